//! Spawning tasks on the current runtime.

use std::future::Future;
use std::panic::Location;

pub use madsim::task::{yield_now, JoinHandle};

use crate::watch::Tracked;

/// Spawns a task on the current runtime. Dropping the handle detaches the task.
///
/// A panic in the task fails the run at once (see [`crate::block_on`]), in real time as in
/// simulation; the handle still reports it, as tokio's does.
///
/// # Panics
/// When called outside [`crate::block_on`] (or another runtime context).
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    madsim::task::spawn(Tracked::new(future, Location::caller(), true))
}

/// Runs `work`, which may block its thread, without stopping the runtime's other tasks:
/// in real time on tokio's blocking pool (with the runtime's context), in simulation
/// inline as a task, since the simulation has one thread and blocking it stops it anyway.
#[track_caller]
pub fn spawn_blocking<F, R>(work: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    #[cfg(madsim)]
    {
        madsim::task::spawn(Tracked::new(
            async move { work() },
            Location::caller(),
            true,
        ))
    }
    #[cfg(not(madsim))]
    {
        madsim::task::spawn_blocking(work)
    }
}
