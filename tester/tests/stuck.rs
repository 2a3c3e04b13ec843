//! A tester test whose thread is stuck fails within the watchdog's limit instead of
//! hanging, and the tests after it still run. The stuck test runs in a child process
//! (this binary again, its ignored `child_` tests, with `LAB_WATCHDOG_SECS=2`), so that its
//! stuck thread dies with the child.

mod fakes;

use std::time::Duration;

use fakes::{run_child, Cluster};
use lab_runtime::{Mode, MODE};
use tester::harness::run_test;

#[test]
#[ignore = "run by a_deadlocked_handler_fails_the_test_and_the_next_one_runs, in a child process"]
fn child_a_handler_that_takes_its_lock_twice() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let _cfg = cluster.config(false, false);
        let reply = cluster
            .end(0, 1)
            .call::<_, u64>("Raft.Deadlock", &1u64)
            .await;
        panic!("the deadlocked handler replied: {reply:?}");
    });
}

#[test]
#[ignore = "run by a_deadlocked_handler_fails_the_test_and_the_next_one_runs, in a child process"]
fn child_then_a_test_that_passes() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let _cfg = cluster.config(false, false);
        let reply = cluster.end(0, 1).call::<_, u64>("Raft.Echo", &1u64).await;
        assert_eq!(reply, Ok(1));
    });
}

#[test]
fn a_deadlocked_handler_fails_the_test_and_the_next_one_runs() {
    let child = run_child(
        &["--ignored", "--test-threads=1", "child_"],
        &[("LAB_WATCHDOG_SECS", "2"), ("LAB_SEED", "11")],
        Duration::from_secs(60),
    );
    let all = &child.all;
    assert!(!child.passed, "{all}");
    for line in [
        "test child_a_handler_that_takes_its_lock_twice ... FAILED",
        "test child_then_a_test_that_passes ... ok",
        "test `child_a_handler_that_takes_its_lock_twice`",
        "did not finish within 2 s of wall-clock time",
        "a deadlock, or a loop that never awaits",
        "thread apply all bt",
    ] {
        assert!(child.stdout.contains(line), "no {line:?} in:\n{all}");
    }
    if MODE == Mode::Simulated {
        assert!(all.contains("LAB_SEED=11 "), "the replay command: {all}");
    }
}
