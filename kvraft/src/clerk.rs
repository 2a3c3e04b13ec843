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
    servers: Vec<ClientEnd>,
    /// The server that answered last: most likely the leader.
    leader: usize,
    client: u64,
    /// The number of the clerk's last request.
    seq: u64,
}

/// A reply that says whether its request succeeded.
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

    /// Calls `method` on the servers, the likely leader first, until one succeeds.
    async fn call<A: Gob, R: Gob + Reply>(&mut self, method: &str, args: &A) -> R {
        let mut failures: usize = 0;
        loop {
            match self.servers[self.leader].call::<A, R>(method, args).await {
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
            self.leader = (self.leader + 1) % self.servers.len();
            failures += 1;
            if failures.is_multiple_of(self.servers.len()) {
                sleep(ROUND_PAUSE).await;
            }
        }
    }

    async fn put_append(&mut self, key: &str, value: &str, op: PutAppendOp) {
        let args = PutAppendArgs {
            key: key.to_owned(),
            value: value.to_owned(),
            op,
            id: self.next_id(),
        };
        let _: PutAppendReply = self.call(PUT_APPEND, &args).await;
    }
}

impl KvClerk for Clerk {
    fn new(servers: Vec<ClientEnd>) -> Self {
        Clerk {
            servers,
            leader: 0,
            client: random::below(1 << 62),
            seq: 0,
        }
    }

    async fn get(&mut self, key: &str) -> String {
        let args = GetArgs {
            key: key.to_owned(),
            id: self.next_id(),
        };
        let reply: GetReply = self.call(GET, &args).await;
        reply.value
    }

    async fn put(&mut self, key: &str, value: &str) {
        self.put_append(key, value, PutAppendOp::Put).await;
    }

    async fn append(&mut self, key: &str, value: &str) {
        self.put_append(key, value, PutAppendOp::Append).await;
    }
}
