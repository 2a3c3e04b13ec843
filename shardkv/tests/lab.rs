//! Lab 4B's tests (from the `tester` crate), run against these groups and clerk, with lab
//! 4A's controller.

tester::shardkv_tests!(
    shardkv::ShardKv,
    shardkv::Clerk,
    shardctrler::ShardCtrler,
    shardctrler::Clerk
);
