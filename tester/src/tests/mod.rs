//! The lab's tests, one module per part, each a generic `async fn` over the Raft under
//! test. `raft_tests!` turns them into `#[test]`s.

mod common;
pub mod extra;
pub mod part_2a;
pub mod part_2b;
pub mod part_2c;
pub mod part_2d;
