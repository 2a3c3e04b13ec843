//! How one test runs: alone in real time, within the 120 s limit, and from a seed in
//! simulation (see `lab_runtime::run_test`). A test whose threads are stuck, so that not
//! even its timer runs, is failed by lab-runtime's watchdog shortly after the limit.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::{Mutex, PoisonError};

use lab_runtime::time::{timeout, Duration};
use lab_runtime::{Mode, MODE};

/// Go's limit on the length of one test.
pub const TEST_TIME_LIMIT: Duration = Duration::from_secs(120);

/// The wall-clock limit of lab-runtime's watchdog on one run (one seed in simulation):
/// later than the test's own limit, which reports the ordinary slow test first.
/// `LAB_WATCHDOG_SECS` overrides it.
pub const WATCHDOG_LIMIT: std::time::Duration = std::time::Duration::from_secs(130);

/// Real-time tests measure timing and share the machine's cores, so they run one at a
/// time, as Go runs them, even when cargo runs tests in several threads.
static REAL_TIME_TESTS: Mutex<()> = Mutex::new(());

/// Runs one tester test. Under the grader, its verdict goes to the grader's private
/// channel (see `grade`), on failure too.
#[track_caller]
pub fn run_test<F, Fut>(test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_test_watched(WATCHDOG_LIMIT, test);
}

/// `run_test` with another wall-clock limit for lab-runtime's watchdog, for a lab whose
/// correct runs take longer than lab 2's on a loaded machine.
#[track_caller]
pub(crate) fn run_test_watched<F, Fut>(watchdog: std::time::Duration, test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let name = std::thread::current().name().unwrap_or("").to_owned();
    // Under the grader, only the graded test's call on libtest's thread gives a verdict.
    let claim = crate::grade::claim(&name);
    if let crate::grade::Claim::Refused(_) = claim {
        crate::grade::send(&claim, &name, None);
        return;
    }
    let started_at = Location::caller();
    let outcome = catch_unwind(AssertUnwindSafe(|| run_alone(watchdog, started_at, test)));
    crate::grade::send(
        &claim,
        &name,
        outcome.as_ref().err().map(|p| panic_message(p.as_ref())),
    );
    if let Err(panic) = outcome {
        resume_unwind(panic);
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(text), _) => (*text).to_owned(),
        (None, Some(text)) => text.clone(),
        (None, None) => "the test panicked with a value that is not text".to_owned(),
    }
}

/// Runs the test alone in real time; `started_at` is where the test was written, for the
/// watchdog's report.
fn run_alone<F, Fut>(watchdog: std::time::Duration, started_at: &'static Location<'static>, test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _alone = (MODE == Mode::Real).then(|| {
        REAL_TIME_TESTS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    });
    lab_runtime::run_test_at(watchdog, started_at, || {
        let test = test();
        async move {
            if timeout(TEST_TIME_LIMIT, test).await.is_err() {
                panic!(
                    "test took longer than {} seconds",
                    TEST_TIME_LIMIT.as_secs()
                );
            }
        }
    });
}
