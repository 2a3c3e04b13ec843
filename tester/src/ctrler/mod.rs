//! Lab 4A's tester: Go's shardctrler `config.go` and `test_test.go`, run against any shard
//! controller on Raft.
//!
//! The tests are written once, here, against the [`CtrlerService`] and [`CtrlerClerk`]
//! interfaces; a controller crate runs them from its test target with one line:
//!
//! ```ignore
//! tester::ctrler_tests!(shardctrler::ShardCtrler, shardctrler::Clerk);
//! ```
//!
//! Go's `TestBasic` and `TestMulti` become `basic_4A` and `multi_4A`, so that
//! `cargo test -p shardctrler 4A` runs exactly them. The configuration is lab 3's, so the
//! Raft safety checks of lab 2 keep watching the Raft underneath.

mod config;
mod minimal;
mod report;
mod service;
pub mod tests;

pub(crate) use config::AsKv;
pub use config::CtrlerConfig;
pub(crate) use report::Steps;
pub use service::{Config, CtrlerClerk, CtrlerService, Gid, NSHARDS};

/// Generates lab 4A's tests as `#[test]` functions that run them against the controller
/// `$ctrler` and the clerk `$clerk`.
#[macro_export]
macro_rules! ctrler_tests {
    ($ctrler:ty, $clerk:ty) => {
        $crate::ctrler_tests!(@each $ctrler, $clerk;
            basic_4A => basic,
            multi_4A => multi,
        );
    };
    (@each $ctrler:ty, $clerk:ty; $($name:ident => $test:ident),* $(,)?) => {
        $(
            #[test]
            #[allow(non_snake_case)]
            fn $name() {
                $crate::kv::harness::run_test(|| $crate::ctrler::tests::$test::<$ctrler, $clerk>());
            }
        )*
    };
}
