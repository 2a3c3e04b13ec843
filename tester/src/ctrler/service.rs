//! The interfaces a shard controller and its clerk offer the tester (Go's shardctrler
//! `server.go` and `client.go` skeletons), and the configuration they hand out (Go's
//! `common.go`, which students must not change).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use labrpc::{ClientEnd, Service};
use serde::{Deserialize, Serialize};

use crate::peer::RaftPeer;
use crate::persister::Persister;

/// The number of shards (Go's `NShards`).
pub const NSHARDS: usize = 10;

/// A replica group's id. Group 0 is no group: the shards of configuration 0 are on it.
pub type Gid = u64;

/// A configuration: which group serves each shard, and each group's servers. Configuration
/// 0 has no groups and every shard on group 0; each Join, Leave and Move makes the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Its number: 0, 1, 2, ...
    pub num: u64,
    /// `shards[s]`: the group serving shard `s`.
    pub shards: [Gid; NSHARDS],
    /// Each group's servers, by gid.
    pub groups: BTreeMap<Gid, Vec<String>>,
}

impl Default for Config {
    /// Configuration 0.
    fn default() -> Self {
        Config {
            num: 0,
            shards: [0; NSHARDS],
            groups: BTreeMap::new(),
        }
    }
}

/// One shard controller server, with the Raft peer it runs on.
pub trait CtrlerService: Send + Sync + 'static {
    /// The Raft underneath, which the tester asks who leads and shows its safety checks.
    type Raft: RaftPeer;

    /// Starts server `me` of `servers.len()` (`servers[me]` is its own end; the ends reach
    /// the other servers' Raft peers), restoring what `persister` holds. Must return
    /// quickly: long-running work goes into tasks spawned through `lab_runtime`.
    fn start(servers: Vec<ClientEnd>, me: usize, persister: Arc<Persister>) -> Self
    where
        Self: Sized;

    /// The RPC services the tester registers on this server's labrpc server: the
    /// controller's, for clerks, and the Raft's.
    fn services(&self) -> Vec<Service>;

    /// Stops the server and its Raft: their tasks end and they send nothing more.
    fn kill(&self);

    /// The Raft peer underneath.
    fn raft(&self) -> &Self::Raft;
}

/// A client of the controller (Go's `Clerk`). Each operation keeps trying, against every
/// server in turn, until it succeeds.
pub trait CtrlerClerk: Send + 'static {
    /// A clerk that reaches server `i` through `servers[i]`, in an order of the tester's.
    fn new(servers: Vec<ClientEnd>) -> Self
    where
        Self: Sized;

    /// Configuration `num`; the latest for `None` or a number past the latest (Go's
    /// `Query(-1)`).
    fn query(&mut self, num: Option<u64>) -> impl Future<Output = Config> + Send;

    /// Adds the groups of `groups` (gid to servers), and rebalances the shards.
    fn join(&mut self, groups: BTreeMap<Gid, Vec<String>>) -> impl Future<Output = ()> + Send;

    /// Removes the groups `gids`, and gives their shards to those left.
    fn leave(&mut self, gids: &[Gid]) -> impl Future<Output = ()> + Send;

    /// Gives shard `shard` to group `gid`, without rebalancing (Go's `Move`).
    fn move_shard(&mut self, shard: usize, gid: Gid) -> impl Future<Output = ()> + Send;
}
