//! The clerk (Go's `client.go`): finds the group that serves a key's shard in the latest
//! configuration it knows, sends the request to that group's servers in turn, and asks
//! the controller again when the group says it is the wrong one.

use std::collections::HashMap;

use lab_runtime::random;
use lab_runtime::time::{sleep, Duration};
use labgob::Gob;
use labrpc::ClientEnd;
use shardctrler::{Config, Gid};
use tester::ctrler::CtrlerClerk;
use tester::shardkv::{key2shard, MakeEnd, ShardKvClerk};

use crate::common::{
    GetArgs, GetReply, Outcome, PutAppendArgs, PutAppendOp, PutAppendReply, RequestId, GET,
    PUT_APPEND,
};

/// How long the clerk waits before asking the controller again, after the group it chose
/// failed it (Go's 100 ms).
const RETRY_PAUSE: Duration = Duration::from_millis(100);

pub struct Clerk {
    ctrler: shardctrler::Clerk,
    config: Config,
    make_end: MakeEnd,
    /// The ends made so far, by server name: one each is enough.
    ends: HashMap<String, ClientEnd>,
    /// For each group, the server that answered last: most likely its leader.
    leaders: HashMap<Gid, usize>,
    client: u64,
    /// The number of the clerk's last request.
    seq: u64,
}

/// A reply that says how its request went.
trait Reply {
    fn outcome(&self) -> Outcome;
}

impl Reply for GetReply {
    fn outcome(&self) -> Outcome {
        self.outcome
    }
}

impl Reply for PutAppendReply {
    fn outcome(&self) -> Outcome {
        self.outcome
    }
}

impl Clerk {
    fn next_id(&mut self) -> RequestId {
        self.seq += 1;
        RequestId {
            client: self.client,
            seq: self.seq,
        }
    }

    fn end(&mut self, server: &str) -> ClientEnd {
        let make_end = &self.make_end;
        self.ends
            .entry(server.to_owned())
            .or_insert_with(|| make_end(server))
            .clone()
    }

    /// Sends `args` to the group serving `key` until one of its servers applies it.
    async fn call<A: Gob, R: Gob + Reply>(&mut self, key: &str, method: &str, args: &A) -> R {
        let shard = key2shard(key);
        loop {
            let gid = self.config.shards[shard];
            if let Some(servers) = self.config.groups.get(&gid).cloned() {
                let first = self.leaders.get(&gid).copied().unwrap_or(0);
                for k in 0..servers.len() {
                    let si = (first + k) % servers.len();
                    let end = self.end(&servers[si]);
                    match end.call::<A, R>(method, args).await {
                        Ok(reply) => match reply.outcome() {
                            Outcome::Ok | Outcome::NoKey => {
                                self.leaders.insert(gid, si);
                                return reply;
                            }
                            Outcome::WrongGroup => break,
                            _ => {}
                        },
                        Err(err) if err.is_programming_error() => {
                            // The tester fails the test on it; keep trying meanwhile.
                            log::error!(target: "shardkv::clerk", "C{}: {err}", self.client);
                        }
                        Err(_) => {}
                    }
                }
                sleep(RETRY_PAUSE).await;
            }
            // Configuration 0 serves nothing: ask at once.
            self.config = self.ctrler.query(None).await;
        }
    }

    async fn put_append(&mut self, key: &str, value: &str, op: PutAppendOp) {
        let args = PutAppendArgs {
            key: key.to_owned(),
            value: value.to_owned(),
            op,
            id: self.next_id(),
        };
        let _: PutAppendReply = self.call(key, PUT_APPEND, &args).await;
    }
}

impl ShardKvClerk for Clerk {
    fn new(ctrlers: Vec<ClientEnd>, make_end: MakeEnd) -> Self {
        Clerk {
            ctrler: shardctrler::Clerk::new(ctrlers),
            config: Config::default(),
            make_end,
            ends: HashMap::new(),
            leaders: HashMap::new(),
            client: random::below(1 << 62),
            seq: 0,
        }
    }

    async fn get(&mut self, key: &str) -> String {
        let args = GetArgs {
            key: key.to_owned(),
            id: self.next_id(),
        };
        let reply: GetReply = self.call(key, GET, &args).await;
        reply.value
    }

    async fn put(&mut self, key: &str, value: &str) {
        self.put_append(key, value, PutAppendOp::Put).await;
    }

    async fn append(&mut self, key: &str, value: &str) {
        self.put_append(key, value, PutAppendOp::Append).await;
    }
}
