//! The RPC messages between clerks and groups, and between groups, and the commands Raft
//! carries. Request ids are kvraft's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shardctrler::Config;

pub use kvraft::common::{PutAppendOp, RequestId};

use crate::store::ShardData;

/// The service's name on each server, and its methods' full names.
pub const SERVICE: &str = "ShardKV";
pub const GET: &str = "ShardKV.Get";
pub const PUT_APPEND: &str = "ShardKV.PutAppend";
pub const PULL_SHARDS: &str = "ShardKV.PullShards";
pub const DELETE_SHARDS: &str = "ShardKV.DeleteShards";

/// How a request went (Go's `Err`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Ok,
    /// A `Get` of a key that was never written; the value is empty.
    NoKey,
    /// This group does not serve the key's shard now (not in its configuration, or not
    /// arrived yet): the clerk asks the controller for the latest configuration.
    WrongGroup,
    /// This server is not the leader, or lost leadership before the request was applied.
    WrongLeader,
    /// The leader could not commit the request in time: try another server.
    Timeout,
    /// Between groups: the asked group has not reached the configuration yet.
    NotReady,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutAppendArgs {
    pub key: String,
    pub value: String,
    pub op: PutAppendOp,
    pub id: RequestId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutAppendReply {
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetArgs {
    pub key: String,
    pub id: RequestId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetReply {
    pub outcome: Outcome,
    pub value: String,
}

/// A group that gained `shards` in configuration `config_num` asks their previous owner for
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullArgs {
    pub config_num: u64,
    pub shards: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullReply {
    pub outcome: Outcome,
    /// Each shard asked for, with its keys and duplicate table (when `Ok`).
    pub shards: BTreeMap<usize, ShardData>,
}

/// A group that received `shards` in configuration `config_num` tells their previous owner
/// it may delete them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteArgs {
    pub config_num: u64,
    pub shards: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteReply {
    pub outcome: Outcome,
}

/// What a command does, as it goes through the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Get {
        key: String,
    },
    Put {
        key: String,
        value: String,
    },
    Append {
        key: String,
        value: String,
    },
    /// Move to the next configuration.
    Config(Config),
    /// The shards pulled for configuration `config_num` arrived.
    Insert {
        config_num: u64,
        shards: BTreeMap<usize, ShardData>,
    },
    /// For configuration `config_num`: the new owner has these shards (the old owner
    /// deletes them), or the old owner deleted them (the new owner stops telling it).
    Delete {
        config_num: u64,
        shards: Vec<usize>,
    },
    /// A new leader's first entry, so that the entries of earlier terms commit even when
    /// no client writes to the group.
    Noop,
}

/// One command in the Raft log, with an id the waiting RPC recognises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub id: RequestId,
    pub op: Op,
}
