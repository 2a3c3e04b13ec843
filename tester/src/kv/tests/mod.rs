//! Go's 23 kvraft tests, each a generic `async fn` over the service and clerk under test.
//! `kv_tests!` turns them into `#[test]`s.

mod appends;
mod generic;
pub mod part_3a;
pub mod part_3b;

use lab_runtime::task::JoinHandle;

/// Waits for a task of the test; a task that failed fails the test.
async fn join<T>(handle: JoinHandle<T>) -> T {
    match handle.await {
        Ok(output) => output,
        Err(err) => panic!("a task of the test failed: {err}"),
    }
}
