//! The RPC messages between clerks and servers, and the commands Raft carries. Request ids
//! and outcomes are kvraft's: the clerk and the server treat them alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tester::ctrler::{Config, Gid};

pub use kvraft::common::{Outcome, RequestId};

/// The service's name on each server, and its methods' full names.
pub const SERVICE: &str = "ShardCtrler";
pub const JOIN: &str = "ShardCtrler.Join";
pub const LEAVE: &str = "ShardCtrler.Leave";
pub const MOVE: &str = "ShardCtrler.Move";
pub const QUERY: &str = "ShardCtrler.Query";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinArgs {
    /// The new groups: gid to servers.
    pub servers: BTreeMap<Gid, Vec<String>>,
    pub id: RequestId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaveArgs {
    pub gids: Vec<Gid>,
    pub id: RequestId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveArgs {
    pub shard: usize,
    pub gid: Gid,
    pub id: RequestId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryArgs {
    /// The configuration wanted; `None` (Go's -1) for the latest.
    pub num: Option<u64>,
    pub id: RequestId,
}

/// The reply to a Join, Leave or Move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeReply {
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryReply {
    pub outcome: Outcome,
    /// Configuration 0 unless the outcome is `Ok`.
    pub config: Config,
}

/// What a client asked for, as it goes through the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Join { servers: BTreeMap<Gid, Vec<String>> },
    Leave { gids: Vec<Gid> },
    Move { shard: usize, gid: Gid },
    Query { num: Option<u64> },
}

impl Op {
    /// Whether the operation makes a configuration (a Query only reads).
    pub fn is_change(&self) -> bool {
        !matches!(self, Op::Query { .. })
    }
}

/// One command in the Raft log: a client's request and who sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub id: RequestId,
    pub op: Op,
}
