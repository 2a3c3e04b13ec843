//! The interface a Raft peer offers the tester (Go's `raft.go` skeleton, 2023 API).

use std::sync::Arc;

use labrpc::{ClientEnd, Service};

use crate::apply_channel::ApplySender;
use crate::inspection::Inspection;
use crate::persister::Persister;

/// What a peer sends on its apply channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyMsg {
    /// A newly committed command, at its log index.
    Command { index: u64, command: Vec<u8> },
    /// A snapshot received from the leader, covering the log through `index`.
    Snapshot {
        snapshot: Vec<u8>,
        term: u64,
        index: u64,
    },
}

/// A Raft peer, as the tester drives it.
pub trait RaftPeer: Send + Sync + 'static {
    /// Creates peer `me` of `peers.len()` (`peers[me]` is its own end), restoring what
    /// `persister` holds. Must return quickly: long-running work goes into tasks spawned
    /// through `lab_runtime`.
    fn make(
        peers: Vec<ClientEnd>,
        me: usize,
        persister: Arc<Persister>,
        apply: ApplySender,
    ) -> Self
    where
        Self: Sized;

    /// The RPC service the tester registers on this peer's server.
    fn service(&self) -> Service;

    /// Proposes a command. A leader returns `Some((index, term))`, the index the command
    /// will have if it is ever committed; any other peer returns `None`.
    fn start(&self, command: Vec<u8>) -> Option<(u64, u64)>;

    /// The current term, and whether this peer believes it is the leader.
    fn get_state(&self) -> (u64, bool);

    /// The service has snapshotted everything through `index`: the peer may discard that
    /// part of its log.
    fn snapshot(&self, index: u64, snapshot: Vec<u8>);

    /// Stops the peer: its tasks end and it sends nothing more.
    fn kill(&self);

    /// Optional: one consistent look at the peer's term, role, commit index and log terms,
    /// taken under its lock, for the tester's safety checks (log matching, leader
    /// completeness, ...). The default shows nothing, and those checks then skip the peer;
    /// any Raft is graded either way. Must return quickly and never wait on the tester.
    fn inspect(&self) -> Option<Inspection> {
        None
    }
}
