//! The Raft lab's tester, a port of Go's `config.go` and `test_test.go`.
//!
//! The tests are written once, here, against the [`RaftPeer`] interface; a Raft crate runs
//! them all from its test target with one line:
//!
//! ```ignore
//! tester::raft_tests!(raft::Raft);
//! ```
//!
//! Each test keeps Go's part tag in its name (`initial_election_2A`, `basic_agree_2B`), so
//! that `cargo test -p raft 2B` runs exactly part 2B. The tester's own tests
//! ([`tests::extra`]) end in `_extra` instead: `cargo test -p raft extra` runs them.

mod applier;
mod apply_channel;
pub mod checks;
mod config;
pub mod ctrler;
pub mod grade;
pub mod harness;
mod inspection;
pub mod kv;
mod peer;
mod persister;
mod report;
pub mod shardkv;
pub mod tests;

pub use apply_channel::{apply_channel, ApplyClosed, ApplyReceiver, ApplySender};
pub use config::{Config, ELECTION_TIMEOUT, MAX_LOG_SIZE, SNAPSHOT_INTERVAL};
pub use inspection::{Inspection, LogTerms, Role};
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
            basic_agree_2B => part_2b::basic_agree,
            rpc_bytes_2B => part_2b::rpc_bytes,
            follower_failure_2B => part_2b::follower_failure,
            leader_failure_2B => part_2b::leader_failure,
            fail_agree_2B => part_2b::fail_agree,
            fail_no_agree_2B => part_2b::fail_no_agree,
            concurrent_starts_2B => part_2b::concurrent_starts,
            rejoin_2B => part_2b::rejoin,
            backup_2B => part_2b::backup,
            count_2B => part_2b::count,
            persist1_2C => part_2c::persist1,
            persist2_2C => part_2c::persist2,
            persist3_2C => part_2c::persist3,
            figure8_2C => part_2c::figure8,
            unreliable_agree_2C => part_2c::unreliable_agree,
            figure8_unreliable_2C => part_2c::figure8_unreliable,
            reliable_churn_2C => part_2c::reliable_churn,
            unreliable_churn_2C => part_2c::unreliable_churn,
            snapshot_basic_2D => part_2d::snapshot_basic,
            snapshot_install_2D => part_2d::snapshot_install,
            snapshot_install_unreliable_2D => part_2d::snapshot_install_unreliable,
            snapshot_install_crash_2D => part_2d::snapshot_install_crash,
            snapshot_install_uncrash_2D => part_2d::snapshot_install_uncrash,
            snapshot_all_crash_2D => part_2d::snapshot_all_crash,
            snapshot_init_2D => part_2d::snapshot_init,
            split_votes_extra => extra::split_votes,
            stale_replies_extra => extra::stale_replies,
            crashed_peers_extra => extra::crashed_peers,
            voter_restart_extra => extra::voter_restart,
            snapshot_restart_extra => extra::snapshot_restart,
            stale_leader_extra => extra::stale_leader,
            duplicated_snapshots_extra => extra::duplicated_snapshots,
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
