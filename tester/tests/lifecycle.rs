//! Crashes and restarts, connections and counters, persisted sizes, begin and end.

mod fakes;

use fakes::Cluster;
use labrpc::CallError;
use tester::harness::run_test;
use tester::RaftPeer;

#[test]
fn a_restarted_peer_gets_a_copy_of_what_its_last_instance_saved() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.persist(1, b"term 4".to_vec());
        let old = cluster.persister(1);

        cfg.crash1(1);
        assert!(cfg.raft(1).is_none());
        assert!(!cfg.is_connected(1));
        assert_eq!(cluster.kills(), 1, "the crashed instance is killed");

        // The crashed instance writes on: nobody must see it.
        old.save_raft_state(b"written after the crash".to_vec());

        cluster.build(|| cfg.start1(1));
        cfg.connect(1);
        assert!(cfg.raft(1).is_some());
        let new = cluster.persister(1);
        assert!(!std::sync::Arc::ptr_eq(&old, &new), "a fresh persister");
        assert_eq!(new.raft_state(), b"term 4".to_vec());
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
        let reply = cluster.end(0, 2).call::<_, u64>("Raft.Echo", &43u64).await;
        assert_eq!(reply, Err(CallError::NoReply));
        assert_eq!(cfg.rpc_count(2), 1, "a disconnected peer receives nothing");

        cfg.connect(2);
        assert_eq!(
            cluster.end(2, 0).call::<_, u64>("Raft.Echo", &44u64).await,
            Ok(44)
        );
    });
}

#[test]
fn an_unreliable_network_loses_some_calls() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(true, false);
        cfg.set_long_reordering(false);
        let mut lost = 0;
        for i in 0..200u64 {
            if cluster
                .end(0, 1)
                .call::<_, u64>("Raft.Echo", &i)
                .await
                .is_err()
            {
                lost += 1;
            }
        }
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
        cfg.end();
    });
}

#[test]
#[should_panic(expected = "apply out of order 3")]
fn end_fails_a_test_whose_peers_applied_wrongly() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cfg.begin("Test (tester): a failing end");
        cluster.apply(1, 3, &1u64);
        // Let the applier see the message.
        lab_runtime::time::sleep(lab_runtime::time::Duration::from_millis(50)).await;
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
