//! The Raft lab's tester, a port of Go's `config.go` and `test_test.go`.
//!
//! The tests are written once, here, against the [`RaftPeer`] interface; a Raft crate runs
//! them all from its test target with one line:
//!
//! ```ignore
//! tester::raft_tests!(raft::Raft);
//! ```
//!
//! Each test keeps Go's part tag in its name (`initial_election_2A`), so that
//! `cargo test -p raft 2A` runs exactly part 2A.

mod applier;
mod apply_channel;
mod config;
pub mod harness;
mod peer;
mod persister;
mod report;
pub mod tests;

pub use apply_channel::{apply_channel, ApplyClosed, ApplyReceiver, ApplySender};
pub use config::{Config, ELECTION_TIMEOUT, SNAPSHOT_INTERVAL};
pub use peer::{ApplyMsg, RaftPeer};
pub use persister::Persister;

/// Generates the lab's tests as `#[test]` functions that run them against `$raft`.
#[macro_export]
macro_rules! raft_tests {
    ($raft:ty) => {
        $crate::raft_tests!(@each $raft;
            initial_election_2A => part_2a::initial_election,
            re_election_2A => part_2a::re_election,
            many_elections_2A => part_2a::many_elections,
        );
    };
    (@each $raft:ty; $($name:ident => $module:ident :: $test:ident),* $(,)?) => {
        $(
            #[test]
            #[allow(non_snake_case)]
            fn $name() {
                $crate::harness::run_test(|| $crate::tests::$module::$test::<$raft>());
            }
        )*
    };
}
