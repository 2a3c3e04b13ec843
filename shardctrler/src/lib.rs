//! Lab 4A: the shard controller, a configuration service replicated with Raft (Go's
//! `src/shardctrler`).
//!
//! The protocol lives in [`configs`]: a state machine that takes the commands Raft applied,
//! in log order, makes a configuration of each Join, Leave and Move (at most once per
//! request), and answers Queries. [`balance`] spreads the shards over the groups, the same
//! on every server. [`ShardCtrler`] is the plumbing, as kvraft's server; [`Clerk`] is the
//! client library the tester (and lab 4B's servers) call.

pub mod balance;
mod clerk;
pub mod common;
pub mod configs;
mod server;

pub use clerk::Clerk;
pub use server::ShardCtrler;
pub use tester::ctrler::{Config, Gid, NSHARDS};
