//! `n_committed`, `wait`, `one`, and the applier's checks.

mod fakes;

use fakes::Cluster;
use lab_runtime::time::{sleep, Duration};
use tester::harness::run_test;

/// Waits until `peers` peers have applied `index`, or fails after a second.
async fn applied_by(cfg: &tester::Config<fakes::FakeRaft>, index: u64, peers: usize) {
    for _ in 0..100 {
        if cfg.n_committed(index).0 >= peers {
            return;
        }
        sleep(Duration::from_millis(10)).await;
    }
    panic!("index {index} was not applied by {peers} peers");
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

/// `wait` tries for about 23 s before failing: that much real time is not worth spending,
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
