//! `n_committed`, `wait`, `one`, and the applier's checks.

mod fakes;

use fakes::{until, Cluster};
use lab_runtime::time::{sleep, Duration};
use tester::harness::run_test;

/// Waits until `peers` peers have applied `index`. `n_committed` raises the appliers'
/// errors, so this is also how a test waits for an apply error to fail it.
async fn applied_by(cfg: &tester::Config<fakes::FakeRaft>, index: u64, peers: usize) {
    until(&format!("{peers} peers apply index {index}"), || {
        cfg.n_committed(index).0 >= peers
    })
    .await;
}

#[test]
fn n_committed_counts_the_peers_that_applied_an_index() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        assert_eq!(cfg.n_committed(1), (0, None));
        cluster.apply(0, 1, &100u64);
        cluster.apply(2, 1, &100u64);
        applied_by(&cfg, 1, 2).await;
        assert_eq!(
            cfg.n_committed(1),
            (2, Some(labgob::encode(&100u64).unwrap()))
        );
    });
}

#[test]
#[should_panic(expected = "commit index=1 server=1 101 != server=0 100")]
fn different_commands_at_one_index_fail_the_test() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.apply(0, 1, &100u64);
        applied_by(&cfg, 1, 1).await;
        cluster.apply(1, 1, &101u64);
        applied_by(&cfg, 1, 2).await;
    });
}

#[test]
#[should_panic(expected = "server 2 apply out of order 2")]
fn applying_out_of_order_fails_the_test() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.apply(2, 2, &7u64);
        applied_by(&cfg, 2, 1).await;
    });
}

#[test]
fn one_reaches_agreement_through_the_leader() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.lead(1);
        assert_eq!(cfg.one(&100u64, 3, false).await, 1);
        assert_eq!(cfg.one(&200u64, 3, true).await, 2);
        assert_eq!(
            cfg.n_committed(2),
            (3, Some(labgob::encode(&200u64).unwrap()))
        );
    });
}

/// No leader for half a second (the delay is the scenario): even without retry, `one`
/// keeps asking until one appears.
#[test]
fn one_waits_for_a_leader() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        let election = async {
            sleep(Duration::from_millis(500)).await;
            cluster.lead(2);
        };
        let (index, ()) = futures::join!(cfg.one(&100u64, 3, false), election);
        assert_eq!(index, 1);
    });
}

#[test]
fn one_submits_only_to_connected_peers() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        // `one` tries peer 1 first: a disconnected leader there must be passed over.
        cluster.set_state(1, 2, true);
        cfg.disconnect(1);
        cluster.lead(2);
        assert_eq!(cfg.one(&100u64, 3, false).await, 1);
        assert_eq!(cluster.starts(), vec![2]);
    });
}

/// Two seconds for the first leader to fail, then the retry.
#[test]
fn one_with_retry_submits_again_when_the_first_leader_fails_to_commit() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_state(1, 1, true);
        let new_leader = async {
            until("one submits to peer 1", || cluster.starts() == vec![1]).await;
            // Peer 1 lost the command; peer 2 takes over and commits what it is given.
            cluster.set_state(1, 1, false);
            cluster.set_state(2, 2, true);
            cluster.commit_on_start(true);
        };
        let (index, ()) = futures::join!(cfg.one(&100u64, 3, true), new_leader);
        assert_eq!(index, 1);
        assert_eq!(cluster.starts(), vec![1, 2]);
        assert_eq!(cfg.n_committed(1).0, 3);
    });
}

/// A leader that accepts but never commits: `one` gives up after two seconds.
#[test]
#[should_panic(expected = "one(300) failed to reach agreement")]
fn one_without_retry_fails_when_nothing_commits() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_state(0, 1, true);
        cfg.one(&300u64, 3, false).await;
    });
}

/// Everyone commits, but another command than the one submitted: two seconds, then failure.
#[test]
#[should_panic(expected = "one(300) failed to reach agreement")]
fn one_fails_when_another_command_commits_at_its_index() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.lead(0);
        cluster.commit_instead(&301u64);
        cfg.one(&300u64, 3, false).await;
    });
}

/// Peer 2 is down, so two peers commit: enough for two, not for three (after two seconds).
#[test]
#[should_panic(expected = "one(400) failed to reach agreement")]
fn one_fails_when_fewer_peers_than_expected_commit() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cfg.crash1(2);
        cluster.lead(0);
        assert_eq!(cfg.one(&399u64, 2, false).await, 1);
        cfg.one(&400u64, 3, false).await;
    });
}

/// `one` raises an apply error found while it waits.
#[test]
#[should_panic(expected = "1 != server=2 999")]
fn one_fails_when_peers_apply_different_commands() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.apply(2, 1, &999u64);
        applied_by(&cfg, 1, 1).await;
        cluster.lead(0);
        cfg.one(&1u64, 3, true).await;
    });
}

#[test]
fn wait_returns_the_command_once_enough_peers_apply_it() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.lead(0);
        let index = cfg.one(&5u64, 3, false).await;
        assert_eq!(
            cfg.wait(index, 3, Some(1)).await,
            Some(labgob::encode(&5u64).unwrap())
        );
    });
}

#[test]
fn wait_gives_up_when_a_peer_moves_past_the_start_term() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_state(2, 3, false);
        assert_eq!(cfg.wait(1, 3, Some(2)).await, None);
    });
}

/// `wait` tries for about 30 s before failing: that much real time is not worth spending,
/// so the failure is checked in simulation only.
#[test]
#[should_panic(expected = "only 1 decided for index 1; wanted 3")]
#[cfg(madsim)]
fn wait_fails_when_too_few_peers_commit() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.apply(0, 1, &9u64);
        cfg.wait(1, 3, None).await;
    });
}
