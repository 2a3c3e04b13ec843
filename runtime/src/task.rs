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
