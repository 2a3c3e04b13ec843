//! The deadlock detector: a thread blocked on a lock inside a poll, for good, fails the run
//! within seconds, naming what it is inside; a thread that waits as long on a lock whose
//! holder waits on the world (a sleep, a pipe) is left alone. The runs happen in a child
//! process (this binary again, its ignored `child_` tests), with a watchdog limit of
//! 600 s, so that only the detector can end a run within the parent's limit.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lab_runtime::child::output_within;
use lab_runtime::naming::{named, within};
use lab_runtime::task::spawn;
use lab_runtime::{run_test, Mode, MODE};

#[test]
#[ignore = "run by a_lock_taken_twice_is_reported_within_seconds_and_named, in a child"]
fn child_a_lock_taken_twice() {
    run_test(|| async {
        let state = Arc::new(Mutex::new(0u64));
        let handler = named(
            "server 3's Raft.RequestVote handler".to_owned(),
            async move {
                let _held = state.lock().unwrap_or_else(|e| e.into_inner());
                within(
                    || "server 3's get_state()".to_owned(),
                    || *state.lock().unwrap_or_else(|e| e.into_inner()),
                )
            },
        );
        let _ = spawn(handler).await;
    });
}

#[test]
#[ignore = "run by a_lock_held_by_a_sleeping_thread_is_not_a_deadlock, in a child"]
fn child_a_lock_held_by_a_sleeping_thread() {
    // The holder is no thread of the run (a simulation may not start threads).
    let state = Arc::new(Mutex::new(0u64));
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn({
        let state = state.clone();
        move || {
            let _held = state.lock().unwrap_or_else(|e| e.into_inner());
            let _ = held_tx.send(());
            // Longer than the detector's 10 s, asleep on the clock, not on a lock.
            std::thread::sleep(Duration::from_secs(14));
        }
    });
    let _ = held_rx.recv();
    run_test(|| {
        let state = state.clone();
        async move {
            let waiter = spawn(async move { *state.lock().unwrap_or_else(|e| e.into_inner()) });
            assert_eq!(waiter.await.ok(), Some(0));
        }
    });
    assert!(holder.join().is_ok());
}

#[test]
fn a_lock_taken_twice_is_reported_within_seconds_and_named() {
    let (passed, out) = run_child("child_a_lock_taken_twice");
    assert!(!passed, "{out}");
    let report =
        "is deadlocked: server 3's get_state() is blocked. Thread `child_a_lock_taken_twice";
    assert!(out.contains(report), "{out}");
    assert!(
        out.contains("is inside server 3's get_state(), in server 3's Raft.RequestVote handler, in the task spawned at runtime/tests/blocked.rs:"),
        "{out}"
    );
    assert!(
        out.contains("panicked at runtime/tests/blocked.rs:"),
        "at the test's line: {out}"
    );
    assert_eq!(out.matches(" panicked at ").count(), 1, "shown once: {out}");
    assert!(!out.contains("runtime/src/"), "{out}");
    if MODE == Mode::Simulated {
        assert!(out.contains("(simulation, seed 5)"), "{out}");
    }
}

#[test]
fn a_lock_held_by_a_sleeping_thread_is_not_a_deadlock() {
    let (passed, out) = run_child("child_a_lock_held_by_a_sleeping_thread");
    assert!(passed, "{out}");
    assert!(!out.contains("deadlocked"), "{out}");
}

/// Runs one ignored test of this binary in a child process: whether it passed, and what
/// it printed.
fn run_child(test: &str) -> (bool, String) {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let child = Command::new(exe)
        .args(["--ignored", "--exact", test])
        .env("LAB_WATCHDOG_SECS", "600")
        .env("LAB_SEED", "5")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child starts");
    // 10 to 14 s of waiting; 300 s is a loaded machine's margin, far from the 600 s limit.
    let Some(out) = output_within(child, Duration::from_secs(300)) else {
        panic!("{test} still runs after 300 s: the detector did not end it");
    };
    (out.status.success(), out.all())
}
