//! The interfaces a key/value service and its clerk offer the tester (Go's `server.go` and
//! `client.go` skeletons).

use std::future::Future;
use std::sync::Arc;

use labrpc::{ClientEnd, Service};

use crate::peer::RaftPeer;
use crate::persister::Persister;

/// One key/value server, with the Raft peer it runs on.
pub trait KvService: Send + Sync + 'static {
    /// The Raft underneath, which the tester asks who leads and shows its safety checks.
    type Raft: RaftPeer;

    /// Starts server `me` of `servers.len()` (`servers[me]` is its own end; the ends reach
    /// the other servers' Raft peers), restoring what `persister` holds. Past
    /// `max_raft_state` bytes of persisted Raft state the server snapshots; `None` means it
    /// never does (Go's `maxraftstate` of -1). Must return quickly: long-running work goes
    /// into tasks spawned through `lab_runtime`. A server that cannot read its saved state
    /// panics with a message naming itself.
    fn start(
        servers: Vec<ClientEnd>,
        me: usize,
        persister: Arc<Persister>,
        max_raft_state: Option<usize>,
    ) -> Self
    where
        Self: Sized;

    /// The RPC services the tester registers on this server's labrpc server: the key/value
    /// service for clerks, and the Raft's.
    fn services(&self) -> Vec<Service>;

    /// Stops the server and its Raft: their tasks end and they send nothing more.
    fn kill(&self);

    /// The Raft peer underneath.
    fn raft(&self) -> &Self::Raft;
}

/// A client of the service (Go's `Clerk`). Each operation keeps trying, against every
/// server in turn, until it succeeds.
pub trait KvClerk: Send + 'static {
    /// A clerk that reaches server `i` through `servers[i]`, in an order of the tester's.
    fn new(servers: Vec<ClientEnd>) -> Self
    where
        Self: Sized;

    /// The current value of `key`, or `""` if it was never written.
    fn get(&mut self, key: &str) -> impl Future<Output = String> + Send;

    /// Sets `key` to `value`.
    fn put(&mut self, key: &str, value: &str) -> impl Future<Output = ()> + Send;

    /// Appends `value` to the value of `key` (to `""` if it was never written).
    fn append(&mut self, key: &str, value: &str) -> impl Future<Output = ()> + Send;
}
