//! The interfaces a sharded key/value server and its clerk offer the tester (Go's shardkv
//! `server.go` and `client.go` skeletons), and Go's `key2shard`, which both sides must use.

use std::future::Future;
use std::sync::Arc;

use labrpc::{ClientEnd, Service};

use crate::ctrler::{Gid, NSHARDS};
use crate::peer::RaftPeer;
use crate::persister::Persister;

/// Go's `make_end`: turns a server's name, as a configuration lists it in its groups, into
/// an end that reaches that server. Each call makes a new end.
pub type MakeEnd = Arc<dyn Fn(&str) -> ClientEnd + Send + Sync>;

/// Which shard `key` is in: its first byte modulo `NSHARDS`, shard 0 for the empty key
/// (Go's `key2shard`, which students must not change).
pub fn key2shard(key: &str) -> usize {
    key.as_bytes().first().map_or(0, |&b| usize::from(b)) % NSHARDS
}

/// One server of a replica group, with the Raft peer it runs on.
pub trait ShardKvService: Send + Sync + 'static {
    /// The Raft underneath, which the tester asks who leads and shows its safety checks.
    type Raft: RaftPeer;

    /// Starts server `me` of group `gid` (`servers[me]` is its own end; the ends reach its
    /// group's Raft peers), restoring what `persister` holds. Past `max_raft_state` bytes
    /// of persisted Raft state the server snapshots; `None` means it never does (Go's -1).
    /// `ctrlers` reach the shard controller's servers; `make_end` turns the server names of
    /// a configuration's groups into ends, to reach other groups. Must return quickly:
    /// long-running work goes into tasks spawned through `lab_runtime`.
    fn start(
        servers: Vec<ClientEnd>,
        me: usize,
        persister: Arc<Persister>,
        max_raft_state: Option<usize>,
        gid: Gid,
        ctrlers: Vec<ClientEnd>,
        make_end: MakeEnd,
    ) -> Self
    where
        Self: Sized;

    /// The RPC services the tester registers on this server's labrpc server: the shard
    /// key/value service (for clerks and other groups) and the Raft's.
    fn services(&self) -> Vec<Service>;

    /// Stops the server and its Raft: their tasks end and they send nothing more.
    fn kill(&self);

    /// The Raft peer underneath.
    fn raft(&self) -> &Self::Raft;
}

/// A client of the sharded service (Go's `Clerk`): it asks the controller which group
/// serves a key's shard and sends the request there. Each operation keeps trying until it
/// succeeds.
pub trait ShardKvClerk: Send + 'static {
    /// A clerk that reaches the controller's servers through `ctrlers` and the groups'
    /// servers through `make_end`.
    fn new(ctrlers: Vec<ClientEnd>, make_end: MakeEnd) -> Self
    where
        Self: Sized;

    /// The current value of `key`, or `""` if it was never written.
    fn get(&mut self, key: &str) -> impl Future<Output = String> + Send;

    /// Sets `key` to `value`.
    fn put(&mut self, key: &str, value: &str) -> impl Future<Output = ()> + Send;

    /// Appends `value` to the value of `key` (to `""` if it was never written).
    fn append(&mut self, key: &str, value: &str) -> impl Future<Output = ()> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key2shard_is_gos() {
        assert_eq!(key2shard(""), 0);
        // '0' is byte 48, '1' 49, 'a' 97.
        assert_eq!(key2shard("0"), 8);
        assert_eq!(key2shard("17"), 9);
        assert_eq!(key2shard("a"), 7);
    }
}
