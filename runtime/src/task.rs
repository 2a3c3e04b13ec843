//! Spawning tasks on the current runtime.

use std::future::Future;

pub use madsim::task::{yield_now, JoinHandle};

/// Spawns a task on the current runtime. Dropping the handle detaches the task.
///
/// # Panics
/// When called outside [`crate::block_on`] (or another runtime context).
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    madsim::task::spawn(future)
}

/// Runs `work`, which may block its thread, without stopping the runtime's other tasks:
/// in real time on tokio's blocking pool (with the runtime's context), in simulation
/// inline as a task, since the simulation has one thread and blocking it stops it anyway.
pub fn spawn_blocking<F, R>(work: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    #[cfg(madsim)]
    {
        spawn(async move { work() })
    }
    #[cfg(not(madsim))]
    {
        madsim::task::spawn_blocking(work)
    }
}
