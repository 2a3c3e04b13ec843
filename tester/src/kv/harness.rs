//! How one kvraft test runs: as lab 2's (see `crate::harness`), with a longer wall-clock
//! watchdog in simulation. Simulated time makes the network's hops cost microseconds, so
//! the clerks of a reliable-network test make ten to twenty times the operations they make
//! in real time, and each one persists a Raft log that, without snapshots (part 3A), only
//! grows: a correct run then needs minutes of a loaded machine, which is no deadlock.
//! (Each save copies the whole log, so the cost grows with the square of the operations.)

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::{Mutex, PoisonError};

use lab_runtime::time::timeout;
use lab_runtime::{Mode, MODE};

use crate::harness::{TEST_TIME_LIMIT, WATCHDOG_LIMIT};

/// The wall-clock limit of the watchdog on one run of a kvraft test: lab 2's in real time,
/// half an hour in simulation, where `concurrent_3A` takes ten minutes of a machine at load
/// 9 (a deadlock that stops the simulation is still caught; one that only waits is caught
/// sooner, by the 120 s of virtual time). `LAB_WATCHDOG_SECS` overrides it.
pub fn watchdog_limit() -> std::time::Duration {
    match MODE {
        Mode::Real => WATCHDOG_LIMIT,
        Mode::Simulated => std::time::Duration::from_secs(1800),
    }
}

/// Real-time tests measure timing, so they run one at a time, as Go runs them.
static REAL_TIME_TESTS: Mutex<()> = Mutex::new(());

/// Runs one kvraft test within Go's 120 s limit; under the grader, its verdict goes to the
/// grader's channel.
#[track_caller]
pub fn run_test<F, Fut>(test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    crate::grade::open();
    let name = std::thread::current().name().unwrap_or("").to_owned();
    let started_at = Location::caller();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let _alone = (MODE == Mode::Real).then(|| {
            REAL_TIME_TESTS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        });
        lab_runtime::run_test_at(watchdog_limit(), started_at, || {
            let test = test();
            async move {
                if timeout(TEST_TIME_LIMIT, test).await.is_err() {
                    panic!(
                        "test took longer than {} seconds",
                        TEST_TIME_LIMIT.as_secs()
                    );
                }
            }
        })
    }));
    let failure = outcome.as_ref().err().map(|panic| {
        let text = panic.downcast_ref::<&str>().map(|s| (*s).to_owned());
        text.or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the test panicked with a value that is not text".to_owned())
    });
    crate::grade::send(&name, failure);
    if let Err(panic) = outcome {
        resume_unwind(panic);
    }
}
