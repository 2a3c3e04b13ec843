//! Crashes and restarts, connections and counters, persisted sizes, begin and end.

mod fakes;

use fakes::{until, Cluster};
use lab_runtime::time::{timeout, Duration, Instant};
use labrpc::ClientEnd;
use tester::harness::run_test;
use tester::{ApplyMsg, RaftPeer};

/// Whether a call through `end` gets its answer within `limit`.
async fn answered_within(end: &ClientEnd, x: u64, limit: Duration) -> bool {
    let call = end.call::<_, u64>("Raft.Echo", &x);
    matches!(timeout(limit, call).await, Ok(Ok(reply)) if reply == x)
}

/// A reachable peer on a reliable network answers at once; the limit is for a busy machine.
async fn answers(end: &ClientEnd, x: u64) -> bool {
    answered_within(end, x, Duration::from_secs(5)).await
}

/// With the tester's long delays, a cut-off end stays silent up to 7 s before its call
/// fails: half a second of silence is enough to tell.
async fn silent(end: &ClientEnd, x: u64) -> bool {
    !answered_within(end, x, Duration::from_millis(500)).await
}

#[test]
fn a_restarted_peer_gets_a_copy_of_what_its_last_instance_saved() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.persist(1, b"term 4".to_vec());
        let old = cluster.persister(1);
        let old_raft = cfg.raft(1).expect("peer 1 runs");
        let old_end = cluster.end(1, 0);
        // The instance writes as it dies, and after: nobody must see either.
        cluster.save_when_killed(b"written while dying".to_vec());

        cfg.crash1(1);
        assert!(cfg.raft(1).is_none());
        assert!(!cfg.is_connected(1));
        assert!(old_raft.is_killed(), "the crashed instance is killed");
        assert_eq!(cluster.kills(), 1, "only the crashed instance is killed");

        assert_eq!(old.raft_state(), b"written while dying".to_vec());
        old.save_raft_state(b"written after the crash".to_vec());
        assert_eq!(
            cfg.log_size(),
            6,
            "the tester keeps a copy of what peer 1 saved"
        );

        cluster.build(|| cfg.start1(1));
        cfg.connect(1);
        let new_raft = cfg.raft(1).expect("peer 1 runs again");
        assert!(!std::sync::Arc::ptr_eq(&old_raft, &new_raft));
        let new = cluster.persister(1);
        assert!(!std::sync::Arc::ptr_eq(&old, &new), "a fresh persister");
        assert_eq!(new.raft_state(), b"term 4".to_vec());

        // The new instance reaches its peers; the old one's ends are cut for good.
        let count = cfg.rpc_count(0);
        assert!(answers(&cluster.end(1, 0), 1).await);
        assert!(silent(&old_end, 2).await);
        assert_eq!(cfg.rpc_count(0), count + 1);
    });
}

/// Reconnecting a crashed peer's ends reaches no server: the crash deleted it.
#[test]
fn a_crashed_peer_answers_nothing_even_when_reconnected() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cfg.crash1(2);
        cfg.connect(2);
        assert!(silent(&cluster.end(0, 2), 1).await);
        assert!(answers(&cluster.end(0, 1), 2).await);
    });
}

/// Go's configuration sets long delays: a call to a cut-off peer gets its failure after up
/// to 7 s, not 100 ms. Five calls all failing within 150 ms would have odds of (150/7000)^5.
#[test]
fn calls_to_a_disconnected_peer_fail_only_after_long_delays() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cfg.disconnect(1);
        let end = cluster.end(0, 1);
        let calls = (0..5u64).map(|i| {
            let end = end.clone();
            async move {
                let call = end.call::<_, u64>("Raft.Echo", &i);
                timeout(Duration::from_millis(150), call).await
            }
        });
        let outcomes = futures::future::join_all(calls).await;
        assert!(outcomes.iter().all(|outcome| !matches!(outcome, Ok(Ok(_)))));
        assert!(
            outcomes.iter().any(Result::is_err),
            "every call failed within 150 ms: {outcomes:?}"
        );
    });
}

#[test]
fn connected_peers_reach_each_other_and_the_counters_move() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        let (rpcs, bytes) = (cfg.rpc_total(), cfg.bytes_total());
        let reply: u64 = cluster.end(0, 2).call("Raft.Echo", &42u64).await.unwrap();
        assert_eq!(reply, 42);
        assert_eq!(cfg.rpc_count(2), 1);
        assert_eq!(cfg.rpc_total(), rpcs + 1);
        assert!(cfg.bytes_total() > bytes);

        cfg.disconnect(2);
        assert!(!cfg.is_connected(2));
        assert!(silent(&cluster.end(0, 2), 43).await);
        assert!(silent(&cluster.end(2, 1), 44).await, "nor sends");
        assert_eq!(cfg.rpc_count(2), 1, "a disconnected peer receives nothing");
        assert_eq!(cfg.rpc_count(1), 0);
        assert!(
            answers(&cluster.end(1, 0), 45).await,
            "the others still talk"
        );

        cfg.connect(2);
        assert!(cfg.is_connected(2));
        assert!(answers(&cluster.end(2, 0), 46).await);
        assert!(answers(&cluster.end(0, 2), 47).await);
    });
}

/// A deaf peer's requests reach the connected peers (now and later) but it hears
/// nothing: no reply, no request. `connect` ends it.
#[test]
fn a_deaf_peer_is_heard_but_hears_nothing() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cfg.deafen(2);
        assert!(!cfg.is_connected(2));
        let reached = cfg.rpc_count(0);
        let reply = cluster.end(2, 0).call::<_, u64>("Raft.Echo", &1u64).await;
        assert!(
            reply.is_err_and(|err| err.is_no_reply()),
            "the reply is lost"
        );
        assert_eq!(cfg.rpc_count(0), reached + 1, "the request arrived");
        assert!(silent(&cluster.end(0, 2), 2).await);
        assert_eq!(cfg.rpc_count(2), 0, "nothing reaches a deaf peer");
        assert!(
            answers(&cluster.end(0, 1), 3).await,
            "the others still talk"
        );

        // Only connected peers hear it, including those connected after it went deaf.
        cfg.disconnect(1);
        let reached = cfg.rpc_count(1);
        assert!(silent(&cluster.end(2, 1), 4).await);
        assert_eq!(cfg.rpc_count(1), reached);
        cfg.connect(1);
        assert!(silent(&cluster.end(2, 1), 5).await);
        assert_eq!(cfg.rpc_count(1), reached + 1);

        cfg.connect(2);
        assert!(cfg.is_connected(2));
        assert!(answers(&cluster.end(2, 0), 6).await);
        assert!(answers(&cluster.end(0, 2), 7).await);
    });
}

#[test]
fn an_unreliable_network_loses_some_calls() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(true, false);
        let end = cluster.end(0, 1);
        // In parallel: each call waits up to 27 ms on an unreliable network.
        let calls = (0..200u64).map(|i| {
            let end = end.clone();
            async move { end.call::<_, u64>("Raft.Echo", &i).await }
        });
        let replies = futures::future::join_all(calls).await;
        assert!(replies.iter().enumerate().all(|(i, reply)| match reply {
            Ok(x) => *x == i as u64,
            Err(err) => err.is_no_reply(),
        }));
        // About one in five is lost (a request or a reply, one in ten each).
        let lost = replies.iter().filter(|reply| reply.is_err()).count();
        assert!((1..100).contains(&lost), "{lost} of 200 calls lost");
        cfg.set_unreliable(false);
        for i in 0..20u64 {
            assert_eq!(
                cluster.end(0, 1).call::<_, u64>("Raft.Echo", &i).await,
                Ok(i)
            );
        }
    });
}

/// With long reordering, two replies in three are held back for 200 ms or more.
#[test]
fn long_reordering_holds_replies_back() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cfg.set_long_reordering(true);
        let end = cluster.end(0, 1);
        let calls = (0..20u64).map(|i| {
            let end = end.clone();
            async move {
                let t0 = Instant::now();
                assert_eq!(end.call::<_, u64>("Raft.Echo", &i).await, Ok(i));
                t0.elapsed()
            }
        });
        let times = futures::future::join_all(calls).await;
        let late = times
            .iter()
            .filter(|t| **t >= Duration::from_millis(200))
            .count();
        // Not one in 20 held back has odds of 3^-20.
        assert!(late > 0, "no reply held back: {times:?}");
    });
}

#[test]
fn log_size_and_snapshot_size_are_the_largest_saved() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        assert_eq!((cfg.log_size(), cfg.snapshot_size()), (0, 0));
        cluster.persist(0, vec![1; 10]);
        cluster.persist(2, vec![1; 30]);
        cluster.persister(1).save(vec![1; 5], vec![2; 70]);
        assert_eq!((cfg.log_size(), cfg.snapshot_size()), (30, 70));
    });
}

#[test]
fn end_reports_after_begin() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cfg.begin("Test (tester): begin and end");
        cluster.lead(0);
        cfg.one(&1u64, 3, false).await;
        let reply = cluster.end(0, 1).call::<_, u64>("Raft.Echo", &1u64).await;
        assert_eq!(reply, Ok(1));
        cfg.end();
    });
}

/// The wrong command is index 9 with snapshots on: the applier records its error, then
/// snapshots (9 + 1 is a multiple of 10), and that snapshot call tells the test the
/// applier is done, without asking `n_committed` (which would raise the error itself).
#[test]
#[should_panic(expected = "server 1 apply out of order, expected index 1, got 9")]
fn end_fails_a_test_whose_peers_applied_wrongly() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        cfg.begin("Test (tester): a failing end");
        let command = labgob::encode(&1u64).unwrap();
        cluster.send(1, ApplyMsg::Command { index: 9, command });
        until("peer 1's applier snapshots", || {
            cluster.snapshots() == vec![(1, 9)]
        })
        .await;
        cfg.end();
    });
}

#[test]
fn cleanup_kills_every_peer() {
    run_test(|| async {
        let cluster = Cluster::new(5);
        let cfg = cluster.config(false, false);
        let peer = cfg.raft(3).expect("peer 3 runs");
        drop(cfg);
        assert_eq!(cluster.kills(), 5);
        assert_eq!(peer.get_state(), (0, false));
    });
}

/// Once a test ends, nothing holds its peers: not the appliers (which hold the tester's
/// state), not leftover tasks. A cycle here would keep the peers of every seed in memory.
/// Real time cannot show it (tokio drops every task with its runtime); simulation can,
/// since madsim never drops the tasks left pending.
#[test]
fn peers_are_freed_when_their_test_ends() {
    for snapshots in [false, true] {
        let cluster = Cluster::new(3);
        let peer = lab_runtime::block_on(1, {
            let cluster = cluster.clone();
            async move {
                let cfg = cluster.config(false, snapshots);
                cluster.lead(0);
                cfg.one(&1u64, 3, false).await;
                std::sync::Arc::downgrade(&cfg.raft(0).expect("peer 0 runs"))
            }
        });
        assert!(
            peer.upgrade().is_none(),
            "a peer outlived its test (snapshots: {snapshots})"
        );
    }
}
