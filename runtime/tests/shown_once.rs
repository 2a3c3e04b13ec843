//! A failed run is shown once, at a place the student can use (where the panic happened,
//! or the test's own line for a failure that is no panic), without the runtime's places,
//! madsim's context line or the machine's paths. Each failure happens in a child process
//! (this binary again, its ignored `child_` tests), whose output is checked.

use std::process::Command;

use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, Duration};
use lab_runtime::{fail_run, run_test};

#[test]
#[ignore = "run by each_failure_is_shown_once_at_its_place, in a child"]
fn child_a_task_panics() {
    run_test(|| async {
        spawn(async { panic!("a task's own panic") });
        sleep(Duration::from_secs(60)).await;
    });
}

#[test]
#[ignore = "run by each_failure_is_shown_once_at_its_place, in a child"]
fn child_the_main_future_panics() {
    run_test(|| async { panic!("the main future's own panic") });
}

#[test]
#[ignore = "run by each_failure_is_shown_once_at_its_place, in a child"]
fn child_fail_run() {
    run_test(|| async {
        spawn(async { fail_run("a check failed") });
        sleep(Duration::from_secs(60)).await;
    });
}

#[test]
fn each_failure_is_shown_once_at_its_place() {
    for (test, message) in [
        ("child_a_task_panics", "a task's own panic"),
        (
            "child_the_main_future_panics",
            "the main future's own panic",
        ),
        ("child_fail_run", "a check failed"),
    ] {
        let exe = std::env::current_exe().expect("the test binary knows its path");
        let output = Command::new(exe)
            .args(["--ignored", "--exact", test])
            .env("LAB_SEED", "3")
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("the child runs");
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "{out}");
        assert_eq!(out.matches(" panicked at ").count(), 1, "shown once: {out}");
        assert_eq!(out.matches(message).count(), 1, "shown once: {out}");
        // Each fails in this file: the panic's own line, or the test's.
        assert!(
            out.contains("panicked at runtime/tests/shown_once.rs:"),
            "{out}"
        );
        for machine in ["runtime/src/", "context: node", "/.cargo/", "/rustc/"] {
            assert!(!out.contains(machine), "{machine:?} in: {out}");
        }
    }
}
