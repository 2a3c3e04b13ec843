//! The tester's warnings reach the user even when the test passes, as Go's do. A passing
//! test's output is captured by `cargo test`, so this runs one in a child process (this
//! binary again, running its ignored `child_` test) and reads what the child printed.

mod fakes;

use std::time::Duration;

use fakes::{run_child, Cluster, FakeRaft};
use tester::harness::run_test;

/// Go's initial election test, on peers whose term moves while the tester waits.
#[test]
#[ignore = "run by a_changed_term_is_a_warning_that_a_passing_test_shows, in a child process"]
fn child_initial_election_with_a_moving_term() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        cluster.set_state(0, 1, true);
        cluster.set_state(1, 1, false);
        cluster.set_state(2, 1, false);
        // The first check of the leader and the first check of the terms read 3 states
        // each; the second check of the terms sees term 2.
        cluster.change_term_after_reads(6, 2);
        cluster
            .run(tester::tests::part_2a::initial_election::<FakeRaft>())
            .await;
    });
}

#[test]
fn a_changed_term_is_a_warning_that_a_passing_test_shows() {
    // The test takes about 3 s in real time.
    let child = run_child(
        &[
            "--ignored",
            "--exact",
            "child_initial_election_with_a_moving_term",
        ],
        &[],
        Duration::from_secs(120),
    );
    let all = &child.all;
    assert!(child.passed, "the child test passes:\n{all}");
    assert!(
        child
            .stdout
            .contains("warning: term changed even though there were no failures"),
        "{all}"
    );
    assert!(child.stdout.contains("  ... Passed --"), "{all}");
    assert!(
        child
            .stdout
            .contains("  ... 1 warning (LAB_STRICT=1 makes warnings failures)"),
        "the warnings are counted: {all}"
    );
}

#[test]
fn with_lab_strict_a_warning_fails_the_test() {
    let child = run_child(
        &[
            "--ignored",
            "--exact",
            "child_initial_election_with_a_moving_term",
        ],
        &[("LAB_STRICT", "1")],
        Duration::from_secs(120),
    );
    let all = &child.all;
    assert!(!child.passed, "the child test fails:\n{all}");
    assert!(
        all.contains(
            "warning: term changed even though there were no failures (a failure with \
             LAB_STRICT=1)"
        ),
        "{all}"
    );
}
