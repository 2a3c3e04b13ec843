//! Lab 4B: a sharded key/value service (Go's `src/shardkv`). Replica groups, each on its
//! own Raft, serve the shards the shard controller's current configuration gives them.
//!
//! The protocol lives in [`store`]: a state machine that takes the commands Raft applied,
//! in log order: clients' requests (for shards the group serves, at most once each),
//! configurations (one at a time, each the next number), shards received from their
//! previous owner (with their duplicate tables), and deletions of shards handed over.
//! [`ShardKv`] is the plumbing: RPCs, the leader's tasks that poll the controller, pull
//! shards and confirm their deletion, and snapshots. [`Clerk`] is the client library.

mod clerk;
pub mod common;
mod server;
pub mod store;

pub use clerk::Clerk;
pub use server::{Handover, ShardKv, Whole};
