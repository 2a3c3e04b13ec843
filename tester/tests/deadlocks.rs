//! A deadlocked Raft is reported within seconds, not at the watchdog's limit, naming the
//! server and what it is stuck in: an RPC handler (`server 1's Raft.RequestVote handler`)
//! or the tester's call into it (`server 0's snapshot(9)`). Each deadlock happens in a child
//! process (this binary again, its ignored `child_` tests), whose stuck threads die with
//! it; the child runs with a watchdog limit of 600 s, so that only the fast detector can
//! report within the parent's limit.

mod deadlocked;

use std::process::{Command, Stdio};
use std::time::Duration;

use deadlocked::{DeadlockedVoter, SnapshotBlocker, StateTakenTwice};
use lab_runtime::child::output_within;
use lab_runtime::{Mode, MODE};
use tester::harness::run_test;
use tester::{Config, RaftPeer, SNAPSHOT_INTERVAL};

#[test]
#[ignore = "run by a_vote_handler_that_deadlocks_is_named_within_seconds, in a child process"]
fn child_a_vote_handler_that_deadlocks() {
    run_test(tester::tests::part_2a::initial_election::<DeadlockedVoter>);
}

#[test]
#[ignore = "run by a_snapshot_that_deadlocks_is_named_within_seconds, in a child process"]
fn child_a_snapshot_that_deadlocks() {
    run_test(|| async {
        let cfg = Config::<SnapshotBlocker>::new(1, false, true);
        let raft = cfg.raft(0).expect("peer 0 runs");
        // As Go's snapshot tests do: more commands at once than one snapshot interval.
        for command in 0..=SNAPSHOT_INTERVAL {
            raft.start(labgob::encode(&command).expect("encodes"));
        }
        cfg.one(&1000u64, 1, false).await;
    });
}

#[test]
#[ignore = "run by a_get_state_that_deadlocks_is_named_within_seconds, in a child process"]
fn child_a_get_state_that_deadlocks() {
    run_test(|| async {
        let cfg = Config::<StateTakenTwice>::new(3, false, false);
        cfg.check_one_leader().await;
    });
}

#[test]
fn a_get_state_that_deadlocks_is_named_within_seconds() {
    let test = "child_a_get_state_that_deadlocks";
    // Go's path: without the safety checks, whose look at the peers would block first.
    let out = run_child(test, &[("LAB_CHECKS", "0")]);
    assert_reported_at(&out, test, "tester/tests/deadlocks.rs:");
    // The tester asks the peers in order.
    assert!(
        out.contains("is deadlocked: server 0's get_state() is blocked."),
        "{out}"
    );
    assert!(
        out.contains("is inside server 0's get_state(), in the test's main future, started at tester/tests/deadlocks.rs:"),
        "{out}"
    );
    // With the checks on, their look (the 1 ms monitor, in simulation) names the call too.
    let out = run_child(test, &[]);
    assert_reported_at(&out, test, "tester/tests/deadlocks.rs:");
    assert!(
        out.contains("is deadlocked: server 0's get_state() is blocked."),
        "{out}"
    );
}

#[test]
fn a_vote_handler_that_deadlocks_is_named_within_seconds() {
    let test = "child_a_vote_handler_that_deadlocks";
    let out = run_child(test, &[]);
    assert_reported_at(&out, test, "tester/tests/deadlocks.rs:");
    // Which server's handler blocks first is the run's choice.
    let named = out.contains("is deadlocked: server ")
        && out.contains("'s Raft.RequestVote handler is blocked.");
    assert!(named, "the handler is not named:\n{out}");
    assert!(out.contains("Its last log lines:"), "{out}");
}

#[test]
fn a_snapshot_that_deadlocks_is_named_within_seconds() {
    let test = "child_a_snapshot_that_deadlocks";
    let out = run_child(test, &[]);
    let by_the_detector = out.contains("is deadlocked: server 0's snapshot(9) is blocked.");
    // In real time the tester's applier may still run, and its own limit on the call
    // fail Go's check with the likely cause first; in simulation the blocked call stops
    // the one thread, and only the detector can speak.
    let by_the_tester = out.contains("likely cause: server 0 has been inside snapshot(9) for");
    match (MODE, by_the_detector, by_the_tester) {
        (_, true, _) => assert_reported_at(&out, test, "tester/tests/deadlocks.rs:"),
        (Mode::Real, false, true) => assert_reported_at(&out, test, "tester/src/config.rs:"),
        _ => panic!("the blocked snapshot() is not named:\n{out}"),
    }
}

/// The child failed with a report shown once, at `place` (the test's line, or Go's
/// check), without the framework's places or the machine's paths.
fn assert_reported_at(out: &str, test: &str, place: &str) {
    assert!(out.contains(&format!("test {test} ... FAILED")), "{out}");
    assert_eq!(
        out.matches(" panicked at ").count(),
        1,
        "shown once:\n{out}"
    );
    assert!(out.contains(&format!("panicked at {place}")), "{out}");
    for machine in [
        "runtime/src/",
        "/.cargo/",
        "/rustc/",
        "did not finish within",
    ] {
        assert!(!out.contains(machine), "{machine:?} in:\n{out}");
    }
    if MODE == Mode::Simulated {
        assert!(out.contains("(simulation, seed 11)"), "{out}");
        assert!(out.contains("LAB_SEED=11 "), "the replay command: {out}");
    }
}

/// Runs one ignored test of this binary in a child process, and returns its output.
fn run_child(test: &str, envs: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let child = Command::new(exe)
        .args(["--ignored", "--exact", test])
        .env("LAB_WATCHDOG_SECS", "600")
        .env("LAB_SEED", "11")
        .env("LAB_LOG", "info")
        .env("RUST_BACKTRACE", "0")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child starts");
    // The fast path reports after 10 s of a blocked thread; 300 s is a loaded machine's
    // margin, and still far from the child's 600 s watchdog.
    let limit = Duration::from_secs(300);
    let Some(out) = output_within(child, limit) else {
        panic!("{test} was not reported within {limit:?}: the fast detector did not fire");
    };
    out.all()
}
