//! The RPCs peers send each other.

use serde::{Deserialize, Serialize};

/// A log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub term: u64,
    /// As one block of bytes, not a sequence of numbers: copied, not walked, when encoded.
    #[serde(with = "serde_bytes")]
    pub command: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestVoteArgs {
    pub term: u64,
    pub candidate: u64,
    pub last_log_index: u64,
    pub last_log_term: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestVoteReply {
    pub term: u64,
    pub vote_granted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendEntriesArgs {
    pub term: u64,
    pub leader: u64,
    pub prev_log_index: u64,
    pub prev_log_term: u64,
    pub entries: Vec<Entry>,
    pub leader_commit: u64,
}

/// On a mismatch, the follower says where the leader should retry ("accelerated log
/// backtracking"): the term of its conflicting entry, if any, and the first index to retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendEntriesReply {
    pub term: u64,
    pub success: bool,
    pub conflict_term: Option<u64>,
    pub conflict_index: u64,
}

/// A leader's snapshot, for a follower that lacks entries the leader has discarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallSnapshotArgs {
    pub term: u64,
    pub leader: u64,
    pub last_included_index: u64,
    pub last_included_term: u64,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallSnapshotReply {
    pub term: u64,
}

/// The RPC method names, as labrpc dispatches them.
pub const REQUEST_VOTE: &str = "Raft.RequestVote";
pub const APPEND_ENTRIES: &str = "Raft.AppendEntries";
pub const INSTALL_SNAPSHOT: &str = "Raft.InstallSnapshot";
