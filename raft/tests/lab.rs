//! The lab's tests (from the `tester` crate), run against this Raft.

tester::raft_tests!(raft::Raft);
