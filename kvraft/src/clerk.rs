//! The clerk: sends each request to the server it believes leads, and on to the others
//! until one applies it.

use lab_runtime::random;
use lab_runtime::time::{sleep, Duration};
use labgob::Gob;
use labrpc::ClientEnd;
use tester::kv::KvClerk;

use crate::common::{
    GetArgs, GetReply, Outcome, PutAppendArgs, PutAppendOp, PutAppendReply, RequestId, GET,
    PUT_APPEND,
};

/// How long a clerk pauses after every server failed it once: during an election no
/// server leads, and asking again at once only loads the network.
const ROUND_PAUSE: Duration = Duration::from_millis(20);

pub struct Clerk {
    servers: Replicas,
    client: u64,
    /// The number of the clerk's last request.
    seq: u64,
}

/// A reply that says whether its request succeeded.
pub trait Reply {
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

/// The servers of a service on Raft, as a clerk reaches them: it remembers which one
/// answered last and retries a request on each in turn until one applies it. Shared with
/// the other services built this way (the shard controller).
pub struct Replicas {
    ends: Vec<ClientEnd>,
    /// The server that answered last: most likely the leader.
    leader: usize,
    /// Who calls, for the logs: the clerk's id.
    client: u64,
}

impl Replicas {
    pub fn new(ends: Vec<ClientEnd>, client: u64) -> Self {
        Replicas {
            ends,
            leader: 0,
            client,
        }
    }

    /// Calls `method` on the servers, the likely leader first, until one succeeds.
    pub async fn call<A: Gob, R: Gob + Reply>(&mut self, method: &str, args: &A) -> R {
        let mut failures: usize = 0;
        loop {
            match self.ends[self.leader].call::<A, R>(method, args).await {
                Ok(reply) if matches!(reply.outcome(), Outcome::Ok | Outcome::NoKey) => {
                    return reply
                }
                Ok(_) => {}
                Err(err) if err.is_programming_error() => {
                    // The tester fails the test on it; keep trying meanwhile, as in Go.
                    log::error!(target: "kvraft::clerk", "C{}: {err}", self.client);
                }
                Err(_) => {}
            }
            self.leader = (self.leader + 1) % self.ends.len();
            failures += 1;
            if failures.is_multiple_of(self.ends.len()) {
                sleep(ROUND_PAUSE).await;
            }
        }
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

    async fn put_append(&mut self, key: &str, value: &str, op: PutAppendOp) {
        let args = PutAppendArgs {
            key: key.to_owned(),
            value: value.to_owned(),
            op,
            id: self.next_id(),
        };
        let _: PutAppendReply = self.servers.call(PUT_APPEND, &args).await;
    }
}

impl KvClerk for Clerk {
    fn new(servers: Vec<ClientEnd>) -> Self {
        let client = random::below(1 << 62);
        Clerk {
            servers: Replicas::new(servers, client),
            client,
            seq: 0,
        }
    }

    async fn get(&mut self, key: &str) -> String {
        let args = GetArgs {
            key: key.to_owned(),
            id: self.next_id(),
        };
        let reply: GetReply = self.servers.call(GET, &args).await;
        reply.value
    }

    async fn put(&mut self, key: &str, value: &str) {
        self.put_append(key, value, PutAppendOp::Put).await;
    }

    async fn append(&mut self, key: &str, value: &str) {
        self.put_append(key, value, PutAppendOp::Append).await;
    }
}
