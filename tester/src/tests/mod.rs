//! The lab's tests, one module per part, each a generic `async fn` over the Raft under
//! test. `raft_tests!` turns them into `#[test]`s.

pub mod part_2a;
