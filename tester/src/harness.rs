//! How one test runs: alone in real time, within the 120 s limit, and from a seed in
//! simulation (see `lab_runtime::run_test`). A test whose threads are stuck, so that not
//! even its timer runs, is failed by lab-runtime's watchdog shortly after the limit.

use std::future::Future;
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

/// Runs one tester test.
#[track_caller]
pub fn run_test<F, Fut>(test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _alone = (MODE == Mode::Real).then(|| {
        REAL_TIME_TESTS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    });
    lab_runtime::run_test_within(WATCHDOG_LIMIT, || {
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
