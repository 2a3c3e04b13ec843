//! Clock and timers. In simulation, `Instant::now()` reads the virtual clock.
//!
//! In simulation every timer fires a little late, by a draw from the seed in
//! `0..TIMER_JITTER`: a real machine never wakes a sleeper on the exact nanosecond, and
//! timers set for one instant would otherwise fire together, so that ties (two election
//! timeouts at once) repeat for ever instead of breaking as they do on a real machine. Real
//! time is tokio's, untouched.

use std::future::Future;

pub use madsim::time::{Duration, Instant};

/// The error `timeout` returns when its deadline passes first.
pub use madsim::time::error::Elapsed;

/// The most a simulated timer fires late: the wake-up delay a loaded machine shows (a
/// thread that is runnable waits up to a scheduler slice, ~1 ms, for a busy core).
pub const TIMER_JITTER: Duration = Duration::from_millis(1);

/// How late this timer fires: nothing in real time, `0..TIMER_JITTER` in simulation.
fn lateness() -> Duration {
    if cfg!(madsim) {
        Duration::from_nanos(crate::random::below(TIMER_JITTER.as_nanos() as u64))
    } else {
        Duration::ZERO
    }
}

/// Waits until `duration` has passed (a little more in simulation).
pub fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
    madsim::time::sleep(duration + lateness())
}

/// Waits until `deadline` (a little after it in simulation).
pub fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send {
    madsim::time::sleep_until(deadline + lateness())
}

/// Runs `future` for at most `duration` (a little more in simulation, as `sleep`).
pub fn timeout<F: Future>(
    duration: Duration,
    future: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    madsim::time::timeout(duration + lateness(), future)
}

/// Waits exactly `duration`, without the simulated lateness, and in simulation to the
/// nanosecond (madsim's `sleep` rounds a shorter wait up to 1 ms, as tokio's timer wheel
/// does): for a simulated message's travel time, and the tester's own polling.
pub async fn sleep_exact(duration: Duration) {
    let sleep = std::pin::pin!(madsim::time::sleep(duration));
    #[cfg(madsim)]
    let sleep = {
        let mut sleep = sleep;
        sleep.as_mut().reset(Instant::now() + duration);
        sleep
    };
    sleep.await
}

/// Accounts for work the caller has just done that takes a real machine `duration` (copying
/// a large saved state, say): in simulation the clock moves on by it, as it would have while
/// the work ran; in real time nothing, since the machine's own clock already has. Without
/// it, simulated work is free, and a service that does as much as it can in a second does
/// unboundedly more than a real machine would. Outside a simulated run (a unit test of the
/// caller) there is no clock to move.
pub fn spend(duration: Duration) {
    #[cfg(madsim)]
    if let Some(clock) = madsim::time::TimeHandle::try_current() {
        clock.advance(duration);
    }
    #[cfg(not(madsim))]
    let _ = duration;
}
