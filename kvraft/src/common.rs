//! The RPC messages between clerks and servers, and the commands Raft carries.

use serde::{Deserialize, Serialize};

/// The service's name on each server, and its methods' full names.
pub const SERVICE: &str = "KVServer";
pub const GET: &str = "KVServer.Get";
pub const PUT_APPEND: &str = "KVServer.PutAppend";

/// Who sent a request: a clerk's id and the request's number in that clerk's sequence.
/// A clerk numbers its requests 1, 2, 3, ... and retries each with the same number, so a
/// server recognises a retry of a request it already applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestId {
    pub client: u64,
    pub seq: u64,
}

/// How a request went (Go's `Err`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Ok,
    /// A `Get` of a key that was never written; the value is empty.
    NoKey,
    /// This server is not the leader, or lost leadership before the request was applied:
    /// try another.
    WrongLeader,
    /// The leader could not commit the request in time (it may be cut off from the
    /// majority): try another server.
    Timeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PutAppendOp {
    Put,
    Append,
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

/// What a client asked for, as it goes through the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Get { key: String },
    Put { key: String, value: String },
    Append { key: String, value: String },
}

/// One command in the Raft log: a client's request and who sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub id: RequestId,
    pub op: Op,
}
