//! The plumbing around the configurations: RPCs in, proposals to Raft, the apply channel,
//! and waiting for a command's index to be applied (with kvraft's `Pending`).

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use kvraft::pending::{self, Answer, Pending};
use lab_runtime::task::spawn;
use labrpc::{ClientEnd, Service};
use raft::Raft;
use tester::ctrler::{Config, CtrlerService};
use tester::{apply_channel, ApplyMsg, ApplyReceiver, Persister, RaftPeer};

use crate::balance::{Balance, MinimalMoves};
use crate::common::{
    ChangeReply, Command, JoinArgs, LeaveArgs, MoveArgs, Op, Outcome, QueryArgs, QueryReply,
    SERVICE,
};
use crate::configs::Configs;

/// A shard controller server, spreading shards by the rule `B`. Cheap to clone; clones are
/// the same server.
pub struct ShardCtrler<B: Balance = MinimalMoves> {
    node: Arc<Node>,
    _rule: PhantomData<B>,
}

impl<B: Balance> Clone for ShardCtrler<B> {
    fn clone(&self) -> Self {
        ShardCtrler {
            node: self.node.clone(),
            _rule: PhantomData,
        }
    }
}

struct Node {
    me: usize,
    raft: Raft,
    state: Mutex<State>,
    killed: AtomicBool,
    rebalance: crate::configs::Rebalance,
}

struct State {
    configs: Configs,
    /// Each waiting RPC learns its Query's configuration (`None` for a change).
    pending: Pending<Option<Config>>,
}

impl<B: Balance> CtrlerService for ShardCtrler<B> {
    type Raft = Raft;

    fn start(servers: Vec<ClientEnd>, me: usize, persister: Arc<Persister>) -> Self {
        let configs = match Configs::restore(&persister.snapshot()) {
            Ok(configs) => configs,
            Err(err) => panic!("shardctrler S{me} cannot restart: {err}"),
        };
        let (apply_tx, apply_rx) = apply_channel();
        let raft = Raft::make(servers, me, persister, apply_tx);
        let node = Arc::new(Node {
            me,
            raft,
            state: Mutex::new(State {
                configs,
                pending: Pending::default(),
            }),
            killed: AtomicBool::new(false),
            rebalance: B::rebalance,
        });
        spawn(applier(node.clone(), apply_rx));
        ShardCtrler {
            node,
            _rule: PhantomData,
        }
    }

    fn services(&self) -> Vec<Service> {
        let (joins, leaves) = (self.node.clone(), self.node.clone());
        let (moves, queries) = (self.node.clone(), self.node.clone());
        let ctrler = Service::new(SERVICE)
            .async_method("Join", move |args: JoinArgs| {
                let op = Op::Join {
                    servers: args.servers,
                };
                joins.clone().change(Command { id: args.id, op })
            })
            .async_method("Leave", move |args: LeaveArgs| {
                let op = Op::Leave { gids: args.gids };
                leaves.clone().change(Command { id: args.id, op })
            })
            .async_method("Move", move |args: MoveArgs| {
                let op = Op::Move {
                    shard: args.shard,
                    gid: args.gid,
                };
                moves.clone().change(Command { id: args.id, op })
            })
            .async_method("Query", move |args: QueryArgs| queries.clone().query(args));
        vec![ctrler, self.node.raft.service()]
    }

    fn kill(&self) {
        self.node.killed.store(true, Ordering::Relaxed);
        self.node.raft.kill();
    }

    fn raft(&self) -> &Raft {
        &self.node.raft
    }
}

impl Node {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    async fn change(self: Arc<Self>, command: Command) -> ChangeReply {
        let (outcome, _) = self.execute(command).await;
        ChangeReply { outcome }
    }

    async fn query(self: Arc<Self>, args: QueryArgs) -> QueryReply {
        let command = Command {
            id: args.id,
            op: Op::Query { num: args.num },
        };
        let (outcome, config) = self.execute(command).await;
        QueryReply {
            outcome,
            config: config.unwrap_or_default(),
        }
    }

    /// Proposes `command` and waits until it is applied: its outcome, and a Query's
    /// configuration. A change already applied is answered at once.
    async fn execute(&self, command: Command) -> (Outcome, Option<Config>) {
        let (index, term, mut applied) = {
            let mut state = self.state();
            if command.op.is_change() && state.configs.is_applied_change(command.id) {
                return (Outcome::Ok, None);
            }
            let id = command.id;
            let bytes = labgob::encode(&command).unwrap_or_else(|err| {
                panic!("shardctrler S{}: cannot encode {command:?}: {err}", self.me)
            });
            // Registered under the lock the applier takes, so the answer cannot pass by.
            let Some((index, term)) = self.raft.start(bytes) else {
                return (Outcome::WrongLeader, None);
            };
            (index, term, state.pending.register(index, id))
        };
        log::debug!(target: "shardctrler::server", "S{} T{term}: proposed {command:?} at {index}", self.me);
        let answer = pending::wait(&mut applied, || {
            let (now_term, leader) = self.raft.get_state();
            now_term == term && leader && !self.is_killed()
        })
        .await;
        match answer {
            Some(Answer::Applied(config)) => (Outcome::Ok, config),
            Some(Answer::Lost) => (Outcome::WrongLeader, None),
            None => (Outcome::Timeout, None),
        }
    }

    /// Applies one message of Raft's.
    fn apply(&self, message: ApplyMsg) {
        let mut state = self.state();
        match message {
            ApplyMsg::Command { index, command } => {
                let command: Command = match labgob::decode(&command) {
                    Ok(command) => command,
                    Err(err) => panic!(
                        "shardctrler S{}: the command at index {index} is not a controller \
                         command: {err}",
                        self.me
                    ),
                };
                if let Some(applied) = state.configs.apply(index, command, self.rebalance) {
                    state
                        .pending
                        .applied(applied.index, applied.id, applied.config);
                }
            }
            // The controller never snapshots, but a Raft may still hand one over.
            ApplyMsg::Snapshot {
                snapshot, index, ..
            } => {
                if index <= state.configs.last_applied() {
                    return;
                }
                state.configs = match Configs::restore(&snapshot) {
                    Ok(configs) => configs,
                    Err(err) => panic!(
                        "shardctrler S{}: the snapshot at index {index} is corrupt: {err}",
                        self.me
                    ),
                };
                state.pending.lose_through(index);
            }
        }
    }
}

/// The applier task: feeds Raft's apply channel to the configurations until the server is
/// killed.
async fn applier(node: Arc<Node>, mut apply: ApplyReceiver) {
    while let Some(message) = apply.recv().await {
        if node.is_killed() {
            break;
        }
        node.apply(message);
    }
    // Whoever still waits learns the server is gone.
    node.state().pending.lose_through(u64::MAX - 1);
}
