//! `check_one_leader`, `check_terms` and `check_no_leader`.

mod fakes;

use fakes::Cluster;
use lab_runtime::time::{sleep, Duration};
use tester::harness::run_test;

#[test]
fn check_one_leader_returns_the_leader_of_the_latest_term() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_state(0, 1, true);
        cluster.set_state(2, 2, true);
        assert_eq!(cfg.check_one_leader().await, 2);
    });
}

#[test]
fn check_one_leader_ignores_disconnected_peers() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_state(0, 5, true);
        cluster.set_state(1, 3, true);
        cfg.disconnect(0);
        assert!(!cfg.is_connected(0));
        assert_eq!(cfg.check_one_leader().await, 1);
    });
}

/// The leader appears two seconds in (the delay is the scenario): `check_one_leader` keeps
/// looking for about five.
#[test]
fn check_one_leader_waits_for_a_leader_to_emerge() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        let election = async {
            sleep(Duration::from_secs(2)).await;
            cluster.set_state(1, 1, true);
        };
        let (leader, ()) = futures::join!(cfg.check_one_leader(), election);
        assert_eq!(leader, 1);
    });
}

#[test]
#[should_panic(expected = "term 4 has 2 (>1) leaders")]
fn check_one_leader_fails_on_two_leaders_in_one_term() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_state(0, 4, true);
        cluster.set_state(1, 4, true);
        cfg.check_one_leader().await;
    });
}

/// Ten tries of about half a second: five seconds in real time.
#[test]
#[should_panic(expected = "expected one leader, got none")]
fn check_one_leader_fails_without_a_leader() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cfg.check_one_leader().await;
    });
}

#[test]
fn check_terms_returns_the_common_term_of_connected_peers() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        for peer in 0..3 {
            cluster.set_state(peer, 6, false);
        }
        assert_eq!(cfg.check_terms(), 6);
        cluster.set_state(1, 9, false);
        cfg.disconnect(1);
        assert_eq!(
            cfg.check_terms(),
            6,
            "a disconnected peer's term does not count"
        );
    });
}

#[test]
#[should_panic(expected = "servers disagree on term")]
fn check_terms_fails_when_terms_differ() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_state(2, 1, false);
        cfg.check_terms();
    });
}

/// Go returns -1 here; the port has no -1 to return, so it fails.
#[test]
#[should_panic(expected = "no connected peer to take the term from")]
fn check_terms_fails_without_connected_peers() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        for peer in 0..3 {
            cfg.disconnect(peer);
        }
        cfg.check_terms();
    });
}

#[test]
fn check_no_leader_passes_when_only_disconnected_peers_lead() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cfg.check_no_leader();
        cluster.set_state(2, 1, true);
        cfg.disconnect(2);
        cfg.check_no_leader();
    });
}

#[test]
#[should_panic(expected = "expected no leader among connected servers, but 1 claims to be leader")]
fn check_no_leader_fails_when_a_connected_peer_leads() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_state(1, 1, true);
        cfg.check_no_leader();
    });
}
