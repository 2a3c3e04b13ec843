//! How one test runs: alone in real time, within the 120 s limit, and from a seed in
//! simulation (see `lab_runtime::run_test`).

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use lab_runtime::time::{timeout, Duration};
use lab_runtime::{Mode, MODE};

/// Go's limit on the length of one test.
pub const TEST_TIME_LIMIT: Duration = Duration::from_secs(120);

/// Real-time tests measure timing and share the machine's cores, so they run one at a
/// time, as Go runs them, even when cargo runs tests in several threads.
static REAL_TIME_TESTS: Mutex<()> = Mutex::new(());

/// Runs one tester test.
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
    lab_runtime::run_test(|| {
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
