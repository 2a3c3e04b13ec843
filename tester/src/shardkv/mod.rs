//! Lab 4B's tester: Go's shardkv `config.go` and `test_test.go` (2023's tests and 2021's
//! `TestChallenge1Concurrent`), run against any sharded key/value service on Raft.
//!
//! The tests are written once, here, against the [`ShardKvService`] and [`ShardKvClerk`]
//! interfaces and lab 4A's [`CtrlerService`](crate::ctrler::CtrlerService) and
//! [`CtrlerClerk`](crate::ctrler::CtrlerClerk); a service crate runs them from its test
//! target with one line:
//!
//! ```ignore
//! tester::shardkv_tests!(shardkv::ShardKv, shardkv::Clerk, shardctrler::ShardCtrler, shardctrler::Clerk);
//! ```
//!
//! Each test keeps Go's name with the part tag `_4B` (`static_shards_4B`,
//! `challenge1_delete_4B`), so that `cargo test -p shardkv 4B` runs them all and
//! `cargo test -p shardkv challenge` the challenges. The controllers and each group are
//! clusters of lab 3's configuration on one network, so the Raft safety checks of lab 2
//! watch every Raft, and `unreliable3_4B` checks the clerks' history for linearizability
//! as lab 3 does.

mod config;
mod service;
pub mod tests;

pub use config::{ShardKvConfig, FIRST_GID, NCTRLERS, NGROUPS};
pub use service::{key2shard, MakeEnd, ShardKvClerk, ShardKvService};

/// Generates lab 4B's tests as `#[test]` functions that run them against the group server
/// `$kv`, its clerk `$clerk`, and the controller `$ctrler` with its clerk `$ctrler_clerk`.
#[macro_export]
macro_rules! shardkv_tests {
    ($kv:ty, $clerk:ty, $ctrler:ty, $ctrler_clerk:ty) => {
        $crate::shardkv_tests!(@each $kv, $clerk, $ctrler, $ctrler_clerk;
            static_shards_4B => static_shards,
            join_leave_4B => join_leave,
            snapshot_4B => snapshot,
            miss_change_4B => miss_change,
            concurrent1_4B => concurrent1,
            concurrent2_4B => concurrent2,
            concurrent3_4B => concurrent3,
            unreliable1_4B => unreliable1,
            unreliable2_4B => unreliable2,
            unreliable3_4B => unreliable3,
            challenge1_delete_4B => challenge1_delete,
            challenge1_concurrent_4B => challenge1_concurrent,
            challenge2_unaffected_4B => challenge2_unaffected,
            challenge2_partial_4B => challenge2_partial,
        );
    };
    (@each $kv:ty, $clerk:ty, $ctrler:ty, $ctrler_clerk:ty; $($name:ident => $test:ident),* $(,)?) => {
        $(
            #[test]
            #[allow(non_snake_case)]
            fn $name() {
                $crate::kv::harness::run_test(|| {
                    $crate::shardkv::tests::$test::<$kv, $clerk, $ctrler, $ctrler_clerk>()
                });
            }
        )*
    };
}
