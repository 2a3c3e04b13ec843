//! A panicking task, or `fail_run`, fails the run at once, in both modes, with the message.

use std::panic::catch_unwind;

use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, Duration};
use lab_runtime::{block_on, fail_run};

/// The text of the panic `body` raises on the test's thread, or `None` if the run passes.
fn failure_of(body: impl FnOnce() + std::panic::UnwindSafe) -> Option<String> {
    let payload = catch_unwind(body).err()?;
    Some(
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default(),
    )
}

/// The main future would pass after a minute; the run must fail long before.
#[test]
fn a_panicking_task_fails_the_run_at_once_with_its_message_and_place() {
    let t0 = std::time::Instant::now();
    let failure = failure_of(|| {
        block_on(1, async {
            spawn(async {
                sleep(Duration::from_millis(10)).await;
                panic!("deliberate panic number {}", 7);
            });
            sleep(Duration::from_secs(60)).await;
        })
    });
    let failure = failure.expect("the run fails");
    assert!(failure.contains("deliberate panic number 7"), "{failure}");
    assert!(
        failure.contains("failures.rs:"),
        "names the place: {failure}"
    );
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(30),
        "took {:?}",
        t0.elapsed()
    );
}

#[test]
fn a_task_that_panics_with_a_literal_fails_the_run() {
    let failure = failure_of(|| {
        block_on(2, async {
            spawn(async { panic!("a literal") });
            sleep(Duration::from_secs(60)).await;
        })
    });
    let failure = failure.expect("the run fails");
    assert!(failure.starts_with("a literal"), "{failure}");
}

/// A task awaiting a panicked task's handle still sees the panic, as tokio reports it.
#[test]
fn the_first_failure_is_the_one_reported() {
    let failure = failure_of(|| {
        block_on(3, async {
            let first = spawn(async { panic!("first") });
            spawn(async move {
                let _ = first.await;
                panic!("second");
            });
            sleep(Duration::from_secs(60)).await;
        })
    });
    let failure = failure.expect("the run fails");
    assert!(failure.starts_with("first"), "{failure}");
}

#[test]
fn fail_run_from_a_task_fails_the_run_at_once() {
    let t0 = std::time::Instant::now();
    let failure = failure_of(|| {
        block_on(4, async {
            spawn(async {
                fail_run("labrpc: unknown method Raft.Nope".to_owned());
            });
            sleep(Duration::from_secs(60)).await;
        })
    });
    assert_eq!(failure.as_deref(), Some("labrpc: unknown method Raft.Nope"));
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(30),
        "took {:?}",
        t0.elapsed()
    );
}

#[test]
fn fail_run_from_the_main_future_fails_the_run() {
    let failure = failure_of(|| {
        block_on(5, async {
            fail_run("from main");
            sleep(Duration::from_secs(60)).await;
        })
    });
    assert_eq!(failure.as_deref(), Some("from main"));
}

#[test]
fn fail_run_outside_a_run_panics_here() {
    let failure = failure_of(|| fail_run("no run"));
    assert_eq!(failure.as_deref(), Some("no run"));
}

/// A panic of the main future keeps its payload, so `should_panic(expected)` still works.
#[test]
#[should_panic(expected = "the main future's own panic")]
fn the_main_futures_panic_is_raised_as_it_was() {
    block_on(6, async { panic!("the main future's own panic") });
}

#[test]
fn a_run_without_failures_returns_its_output() {
    let output = block_on(7, async {
        let task = spawn(async { 20 });
        task.await.unwrap_or_default() + 22
    });
    assert_eq!(output, 42);
}
