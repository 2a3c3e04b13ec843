//! The watchdog: a run whose threads are stuck fails within its wall-clock limit, in real
//! and simulated time, and the tests after it still run. The stuck runs happen in a child
//! process (this binary again, running its ignored `child_` tests with a 2 s limit), so
//! that their leftover threads die with it.

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lab_runtime::task::spawn;
use lab_runtime::{block_on, run_test, Mode, MODE};

/// A handler that takes a lock it already holds.
fn handle(state: &Mutex<u64>) -> u64 {
    log::info!("the handler takes its lock twice");
    let _held = state.lock().unwrap_or_else(|e| e.into_inner());
    // Linux's std Mutex blocks on a second lock by the same thread, as Go's does.
    let again = state.lock().unwrap_or_else(|e| e.into_inner());
    *again
}

#[test]
#[ignore = "run by a_stuck_run_fails_and_the_next_tests_still_run, in a child process"]
fn child_stuck_on_a_lock() {
    run_test(|| async {
        let state = std::sync::Arc::new(Mutex::new(0));
        let task = spawn(async move { handle(&state) });
        let _ = task.await;
    });
}

#[test]
#[ignore = "run by a_stuck_run_fails_and_the_next_tests_still_run, in a child process"]
fn child_stuck_in_a_loop() {
    block_on(3, async {
        spawn(async {
            let never = std::sync::atomic::AtomicBool::new(false);
            while !never.load(std::sync::atomic::Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        })
        .await
        .ok();
    });
}

#[test]
#[ignore = "run by a_stuck_run_fails_and_the_next_tests_still_run, in a child process"]
fn child_then_a_test_that_passes() {
    assert_eq!(
        block_on(4, async { spawn(async { 1 }).await.ok() }),
        Some(1)
    );
}

#[test]
fn a_stuck_run_fails_and_the_next_tests_still_run() {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let mut child = Command::new(exe)
        .args(["--ignored", "--test-threads=1", "child_"])
        .env("LAB_WATCHDOG_SECS", "2")
        .env("LAB_LOG", "info")
        .env("LAB_SEED", "9")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child starts");
    // Three runs of 2 s: a minute is a busy machine's margin, and a hang's end.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                panic!("the child still runs after 60 s: the watchdog did not end it");
            }
        }
    }
    let output = child.wait_with_output().expect("the child's output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let all = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "{all}");
    for line in [
        "test child_stuck_on_a_lock ... FAILED",
        "test child_stuck_in_a_loop ... FAILED",
        "test child_then_a_test_that_passes ... ok",
        "test `child_stuck_on_a_lock`",
        "test `child_stuck_in_a_loop`",
        "did not finish within 2 s of wall-clock time",
        "a deadlock, or a loop that never awaits",
        "gdb -p ",
        "thread apply all bt",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{all}");
    }
    // The report shows the run's last log lines, and names the task each stuck thread
    // polls: where it was spawned.
    assert!(stdout.contains("Its last log lines:"), "{all}");
    assert!(
        stdout.contains("INFO  watchdog         the handler takes its lock twice"),
        "{all}"
    );
    assert!(
        stdout.contains("spawned at runtime/tests/watchdog.rs:"),
        "{all}"
    );
    if MODE == Mode::Simulated {
        assert!(stdout.contains("(simulation, seed 9)"), "{all}");
        assert!(all.contains("LAB_SEED=9 "), "the replay command: {all}");
    }
}
