//! Lab 3's tester: Go's kvraft `config.go` and `test_test.go`, run against any key/value
//! service on Raft.
//!
//! The tests are written once, here, against the [`KvService`] and [`KvClerk`] interfaces;
//! a service crate runs them all from its test target with one line:
//!
//! ```ignore
//! tester::kv_tests!(kvraft::KvServer, kvraft::Clerk);
//! ```
//!
//! Each test keeps Go's part tag in its name (`basic_3A`, `snapshot_rpc_3B`), so that
//! `cargo test -p kvraft 3B` runs exactly part 3B. The Raft safety checks of lab 2 keep
//! watching the Raft underneath, and the clerks' history is checked for linearizability.

pub mod clerks;
pub(crate) mod config;
pub mod digest;
pub mod harness;
pub mod history;
pub mod linearizability;
mod report;
mod service;
pub mod tests;

pub use clerks::Record;
pub use config::{ClerkId, KvConfig, TestClerk};
pub use service::{KvClerk, KvService};

/// Generates lab 3's tests as `#[test]` functions that run them against the service `$kv`
/// and the clerk `$clerk`.
#[macro_export]
macro_rules! kv_tests {
    ($kv:ty, $clerk:ty) => {
        $crate::kv_tests!(@each $kv, $clerk;
            basic_3A => part_3a::basic,
            speed_3A => part_3a::speed_3a,
            concurrent_3A => part_3a::concurrent,
            unreliable_3A => part_3a::unreliable,
            unreliable_one_key_3A => part_3a::unreliable_one_key,
            one_partition_3A => part_3a::one_partition,
            many_partitions_one_client_3A => part_3a::many_partitions_one_client,
            many_partitions_many_clients_3A => part_3a::many_partitions_many_clients,
            persist_one_client_3A => part_3a::persist_one_client,
            persist_concurrent_3A => part_3a::persist_concurrent,
            persist_concurrent_unreliable_3A => part_3a::persist_concurrent_unreliable,
            persist_partition_3A => part_3a::persist_partition,
            persist_partition_unreliable_3A => part_3a::persist_partition_unreliable,
            persist_partition_unreliable_linearizable_3A =>
                part_3a::persist_partition_unreliable_linearizable,
            snapshot_rpc_3B => part_3b::snapshot_rpc,
            snapshot_size_3B => part_3b::snapshot_size,
            speed_3B => part_3b::speed_3b,
            snapshot_recover_3B => part_3b::snapshot_recover,
            snapshot_recover_many_clients_3B => part_3b::snapshot_recover_many_clients,
            snapshot_unreliable_3B => part_3b::snapshot_unreliable,
            snapshot_unreliable_recover_3B => part_3b::snapshot_unreliable_recover,
            snapshot_unreliable_recover_concurrent_partition_3B =>
                part_3b::snapshot_unreliable_recover_concurrent_partition,
            snapshot_unreliable_recover_concurrent_partition_linearizable_3B =>
                part_3b::snapshot_unreliable_recover_concurrent_partition_linearizable,
        );
    };
    (@each $kv:ty, $clerk:ty; $($name:ident => $module:ident :: $test:ident),* $(,)?) => {
        $(
            #[test]
            #[allow(non_snake_case)]
            fn $name() {
                $crate::kv::harness::run_test(|| $crate::kv::tests::$module::$test::<$kv, $clerk>());
            }
        )*
    };
}
