//! How one kvraft test runs: as lab 2's (see `crate::harness`), with a longer wall-clock
//! watchdog in simulation. A kvraft test does thousands of clerk operations, each persisted
//! by the Raft, whose log in part 3A only grows: a correct simulated run takes tens of
//! seconds of CPU in a debug build, minutes on a loaded machine, which is no deadlock.

use std::future::Future;

use lab_runtime::{Mode, MODE};

use crate::harness::WATCHDOG_LIMIT;

/// The wall-clock limit of the watchdog on one run of a kvraft test: lab 2's in real time,
/// half an hour in simulation, set when `concurrent_3A` took ten minutes of a machine at
/// load 9, before saves cost simulated time (see `SAVE_COST_PER_BYTE`). A deadlock that
/// stops the simulation is still caught; one that only waits is caught sooner, by the 120 s
/// of virtual time. `LAB_WATCHDOG_SECS` overrides it.
pub fn watchdog_limit() -> std::time::Duration {
    match MODE {
        Mode::Real => WATCHDOG_LIMIT,
        Mode::Simulated => std::time::Duration::from_secs(1800),
    }
}

/// Runs one kvraft test as lab 2's run (alone in real time, within Go's 120 s, its verdict
/// to the grader), with this lab's watchdog.
#[track_caller]
pub fn run_test<F, Fut>(test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    crate::harness::run_test_watched(watchdog_limit(), test);
}
