//! Each safety check against a small broken Raft (scripted fake peers) that Go's checks
//! pass: each scenario runs as a child process twice, with the checks off (`LAB_CHECKS=0`,
//! Go's checks alone: it passes) and on (it fails with the message a student reads).

mod fakes;

use std::time::Duration;

use fakes::{run_child, until, Cluster};
use lab_runtime::time::sleep;
use tester::harness::run_test;
use tester::ApplyMsg;
use tester::Role::{Candidate, Follower, Leader};

/// Runs the ignored test `child` with the checks off, then on.
fn go_passes_but_the_check_fails(child: &str, message: &str) {
    let args = ["--ignored", "--exact", child];
    let limit = Duration::from_secs(120);
    let go = run_child(&args, &[("LAB_CHECKS", "0")], limit);
    assert!(go.passed, "Go's checks pass:\n{}", go.all);
    let checked = run_child(&args, &[], limit);
    assert!(!checked.passed, "the check fails:\n{}", checked.all);
    assert!(checked.all.contains(message), "{}", checked.all);
}

/// Two leaders in term 1, one after the other: never two at the same look.
#[test]
#[ignore = "run by the test below, in a child process"]
fn child_two_leaders_of_one_term_in_turn() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_state(0, 1, true);
        assert_eq!(cfg.check_one_leader().await, 0);
        cluster.set_state(0, 1, false);
        cluster.set_state(1, 1, true);
        assert_eq!(cfg.check_one_leader().await, 1);
    });
}

#[test]
fn election_safety_remembers_every_leader_of_a_term() {
    go_passes_but_the_check_fails(
        "child_two_leaders_of_one_term_in_turn",
        "election safety: term 1 has 2 (>1) leaders: server 1 now, and server 0 earlier",
    );
}

/// A second leader in term 1 for 5 ms between two of the tester's looks.
#[cfg(madsim)]
#[test]
#[ignore = "run by the test below, in a child process"]
fn child_a_second_leader_between_looks() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_state(0, 1, true);
        assert_eq!(cfg.check_one_leader().await, 0);
        cluster.set_state(1, 1, true);
        sleep(lab_runtime::time::Duration::from_millis(5)).await;
        cluster.set_state(1, 1, false);
        assert_eq!(cfg.check_one_leader().await, 0);
    });
}

#[cfg(madsim)]
#[test]
fn in_simulation_election_safety_is_watched_between_looks() {
    go_passes_but_the_check_fails(
        "child_a_second_leader_between_looks",
        "election safety: term 1 has 2 (>1) leaders: server 1 now, and server 0 earlier",
    );
}

/// Index 2 applied twice, with the same command: Go's check only asks that index 1 came
/// before.
#[test]
#[ignore = "run by the test below, in a child process"]
fn child_an_index_applied_twice() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        for (index, command) in [(1, 10u64), (2, 20), (2, 20), (3, 30)] {
            cluster.apply(0, index, &command);
        }
        until("index 3 is applied", || cfg.n_committed(3).0 == 1).await;
    });
}

#[test]
fn each_index_is_applied_once_in_order() {
    go_passes_but_the_check_fails(
        "child_an_index_applied_twice",
        "server 0 applied index 2 again (right after index 2)",
    );
}

/// Two logs that agree at index 3 (term 2) but not at index 2.
#[test]
#[ignore = "run by the test below, in a child process"]
fn child_logs_that_agree_only_at_their_end() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_inspection(0, 2, Leader, 0, &[1, 1, 2]);
        cluster.set_inspection(1, 2, Follower, 0, &[1, 2, 2]);
        cluster.set_inspection(2, 2, Follower, 0, &[1]);
        assert_eq!(cfg.check_one_leader().await, 0);
    });
}

#[test]
fn logs_match() {
    go_passes_but_the_check_fails(
        "child_logs_that_agree_only_at_their_end",
        "log matching: servers 1 and 0 both hold index 3 with term 2, but differ before it, \
         at index 2 (term 2 on server 1, 1 on server 0)",
    );
}

/// Server 1 knew index 2 committed in term 1; server 0 leads term 2 without it.
#[test]
#[ignore = "run by the test below, in a child process"]
fn child_a_leader_without_a_committed_entry() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_inspection(0, 2, Leader, 1, &[1]);
        cluster.set_inspection(1, 1, Follower, 2, &[1, 1]);
        cluster.set_inspection(2, 2, Follower, 1, &[1]);
        assert_eq!(cfg.check_one_leader().await, 0);
    });
}

#[test]
fn leaders_hold_every_entry_committed_before_their_term() {
    go_passes_but_the_check_fails(
        "child_a_leader_without_a_committed_entry",
        "leader completeness: server 0 leads term 2 with a log that ends at index 1, but \
         index 2 was committed in an earlier term",
    );
}

/// Index 2 committed with term 1 on one peer and term 2 on another; nothing applied.
#[test]
#[ignore = "run by the test below, in a child process"]
fn child_a_committed_entry_with_two_terms() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_inspection(0, 2, Leader, 2, &[1, 2]);
        cluster.set_inspection(1, 2, Follower, 2, &[1, 1]);
        assert_eq!(cfg.check_one_leader().await, 0);
    });
}

#[test]
fn a_committed_entry_has_one_term_everywhere() {
    go_passes_but_the_check_fails(
        "child_a_committed_entry_with_two_terms",
        "state machine safety: index 2 is committed with term 2 elsewhere, but server 1 has \
         term 1 there",
    );
}

/// The leader's commit index goes from 2 back to 1.
#[test]
#[ignore = "run by the test below, in a child process"]
fn child_a_commit_index_that_goes_back() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_inspection(0, 1, Leader, 2, &[1, 1]);
        assert_eq!(cfg.check_one_leader().await, 0);
        cluster.set_inspection(0, 1, Leader, 1, &[1, 1]);
        assert_eq!(cfg.check_one_leader().await, 0);
    });
}

#[test]
fn a_commit_index_never_goes_back() {
    go_passes_but_the_check_fails(
        "child_a_commit_index_that_goes_back",
        "server 0's commit index went back from 2 to 1 (without a restart)",
    );
}

/// Peers whose tasks send every 10 ms, killed or not: server 0 is crashed, and the test
/// goes on for 2.5 s (the scenario), long enough to see it keep sending.
#[test]
#[ignore = "run by the test below, in a child process"]
fn child_a_killed_peer_that_still_sends() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        cluster.chatty();
        let cfg = cluster.config(false, false);
        cfg.crash1(0);
        sleep(lab_runtime::time::Duration::from_millis(2500)).await;
        cfg.check_terms();
    });
}

#[test]
fn a_killed_peer_is_silent() {
    go_passes_but_the_check_fails(
        "child_a_killed_peer_that_still_sends",
        "server 0 kept sending after it was killed",
    );
}

/// A killed peer whose tasks each send once more, late (tasks caught between their check
/// of `killed` and their send while the machine was busy): a correct Raft, which passes.
#[test]
fn a_killed_peers_stragglers_pass() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let at = |millis| lab_runtime::time::Duration::from_millis(millis);
        // Four stragglers on each old end, over 2.4 s.
        cluster.stragglers(&[at(300), at(1_000), at(1_100), at(2_700)]);
        let cfg = cluster.config(false, false);
        cfg.crash1(0);
        sleep(at(3_000)).await;
        cfg.check_terms();
    });
}

/// Server 1 votes for server 0 in term 2, then for server 2 in term 2, with no restart.
#[test]
#[ignore = "run by the test below, in a child process"]
fn child_a_vote_that_changes_within_a_term() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_inspection(0, 2, Candidate, 0, &[]);
        cluster.set_inspection(1, 2, Follower, 0, &[]);
        cluster.set_vote(1, Some(0));
        cfg.check_no_leader();
        cluster.set_vote(1, Some(2));
        cfg.check_no_leader();
    });
}

#[test]
fn a_peer_votes_once_per_term() {
    go_passes_but_the_check_fails(
        "child_a_vote_that_changes_within_a_term",
        "one vote per term: server 1 voted for server 0 in term 2, and now shows a vote for \
         server 2 in the same term",
    );
}

/// Server 1 took term 2's leader's entry but stayed in term 1.
#[test]
#[ignore = "run by the test below, in a child process"]
fn child_an_entry_from_a_later_term() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cluster.set_inspection(0, 2, Leader, 0, &[1, 2]);
        cluster.set_inspection(1, 1, Follower, 0, &[1, 2]);
        cluster.set_inspection(2, 2, Follower, 0, &[1, 2]);
        assert_eq!(cfg.check_one_leader().await, 0);
    });
}

#[test]
fn a_follower_takes_its_leaders_term() {
    go_passes_but_the_check_fails(
        "child_an_entry_from_a_later_term",
        "server 1 is in term 1, but its log holds an entry of term 2 (index 2)",
    );
}

/// What the tester's service puts in a snapshot through `index` of `commands` from 1.
fn service_snapshot(commands: &[u64]) -> Vec<u8> {
    let log: Vec<Option<Vec<u8>>> = std::iter::once(None)
        .chain(
            commands
                .iter()
                .map(|c| Some(labgob::encode(c).expect("commands encode"))),
        )
        .collect();
    let mut encoder = labgob::Encoder::new();
    encoder
        .encode(&(commands.len() as u64))
        .expect("an index encodes");
    encoder.encode(&log).expect("a log encodes");
    encoder.into_bytes()
}

/// Server 0 applies 1 to 3, then installs an older snapshot through 2, then applies 3
/// again: Go's applier follows it back.
#[test]
#[ignore = "run by the test below, in a child process"]
fn child_a_snapshot_older_than_the_service() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        for index in 1..=3 {
            cluster.apply(0, index, &(index * 10));
        }
        let snapshot = service_snapshot(&[10, 20]);
        cluster.send(
            0,
            ApplyMsg::Snapshot {
                snapshot,
                term: 1,
                index: 2,
            },
        );
        cluster.apply(0, 3, &30u64);
        until("the five messages are taken", || cluster.taken() == 5).await;
        assert_eq!(cfg.n_committed(3).0, 1);
    });
}

#[test]
fn the_service_never_goes_back() {
    go_passes_but_the_check_fails(
        "child_a_snapshot_older_than_the_service",
        "server 0 was handed a snapshot through index 2 after it had applied index 3: the \
         service went back",
    );
}
