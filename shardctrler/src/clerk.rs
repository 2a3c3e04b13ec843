//! The clerk: sends each request to the server it believes leads, and on to the others
//! until one applies it (kvraft's `Replicas`).

use std::collections::BTreeMap;

use kvraft::clerk::{Replicas, Reply};
use lab_runtime::random;
use labrpc::ClientEnd;
use tester::ctrler::{Config, CtrlerClerk, Gid};

use crate::common::{
    ChangeReply, JoinArgs, LeaveArgs, MoveArgs, Outcome, QueryArgs, QueryReply, RequestId, JOIN,
    LEAVE, MOVE, QUERY,
};

pub struct Clerk {
    servers: Replicas,
    client: u64,
    /// The number of the clerk's last request.
    seq: u64,
}

impl Reply for ChangeReply {
    fn outcome(&self) -> Outcome {
        self.outcome
    }
}

impl Reply for QueryReply {
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
}

impl CtrlerClerk for Clerk {
    fn new(servers: Vec<ClientEnd>) -> Self {
        let client = random::below(1 << 62);
        Clerk {
            servers: Replicas::new(servers, client),
            client,
            seq: 0,
        }
    }

    async fn query(&mut self, num: Option<u64>) -> Config {
        let args = QueryArgs {
            num,
            id: self.next_id(),
        };
        let reply: QueryReply = self.servers.call(QUERY, &args).await;
        reply.config
    }

    async fn join(&mut self, groups: BTreeMap<Gid, Vec<String>>) {
        let args = JoinArgs {
            servers: groups,
            id: self.next_id(),
        };
        let _: ChangeReply = self.servers.call(JOIN, &args).await;
    }

    async fn leave(&mut self, gids: &[Gid]) {
        let args = LeaveArgs {
            gids: gids.to_vec(),
            id: self.next_id(),
        };
        let _: ChangeReply = self.servers.call(LEAVE, &args).await;
    }

    async fn move_shard(&mut self, shard: usize, gid: Gid) {
        let args = MoveArgs {
            shard,
            gid,
            id: self.next_id(),
        };
        let _: ChangeReply = self.servers.call(MOVE, &args).await;
    }
}
