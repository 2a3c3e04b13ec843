//! The tester's warnings reach the user even when the test passes, as Go's do. A passing
//! test's output is captured by `cargo test`, so this runs one in a child process (this
//! binary again, running its ignored `child_` test) and reads what the child printed.

mod fakes;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fakes::{Cluster, FakeRaft};
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
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let mut child = Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "child_initial_election_with_a_moving_term",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child starts");
    // The test takes about 3 s in real time.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                panic!("the child still runs after 120 s");
            }
        }
    }
    let output = child.wait_with_output().expect("the child's output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let all = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the child test passes:\n{all}");
    assert!(
        stdout.contains("warning: term changed even though there were no failures"),
        "{all}"
    );
    assert!(stdout.contains("  ... Passed --"), "{all}");
}
