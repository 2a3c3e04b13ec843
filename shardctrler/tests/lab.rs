//! Lab 4A's tests (from the `tester` crate), run against this controller and clerk.

tester::ctrler_tests!(shardctrler::ShardCtrler, shardctrler::Clerk);
