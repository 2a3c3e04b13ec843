//! The plumbing around the store: RPCs in, proposals to Raft, the apply channel, waiting
//! for a command's index to be applied, snapshots, and restarts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lab_runtime::task::spawn;
use labrpc::{ClientEnd, Service};
use raft::Raft;
use tester::kv::KvService;
use tester::{apply_channel, ApplyMsg, ApplyReceiver, Persister, RaftPeer};

use crate::common::{
    Command, GetArgs, GetReply, Op, Outcome, PutAppendArgs, PutAppendOp, PutAppendReply, SERVICE,
};
use crate::pending::{self, Answer, Pending};
use crate::store::Store;

/// A key/value server. Cheap to clone; clones are the same server.
#[derive(Clone)]
pub struct KvServer {
    node: Arc<Node>,
}

struct Node {
    me: usize,
    raft: Raft,
    persister: Arc<Persister>,
    max_raft_state: Option<usize>,
    state: Mutex<State>,
    killed: AtomicBool,
}

struct State {
    store: Store,
    /// Each waiting RPC learns its command's outcome and value.
    pending: Pending<(Outcome, String)>,
}

impl KvService for KvServer {
    type Raft = Raft;

    fn start(
        servers: Vec<ClientEnd>,
        me: usize,
        persister: Arc<Persister>,
        max_raft_state: Option<usize>,
    ) -> Self {
        let store = match Store::restore(&persister.snapshot()) {
            Ok(store) => store,
            Err(err) => panic!("kvraft S{me} cannot restart: {err}"),
        };
        let (apply_tx, apply_rx) = apply_channel();
        let raft = Raft::make(servers, me, persister.clone(), apply_tx);
        let node = Arc::new(Node {
            me,
            raft,
            persister,
            max_raft_state,
            state: Mutex::new(State {
                store,
                pending: Pending::default(),
            }),
            killed: AtomicBool::new(false),
        });
        spawn(applier(node.clone(), apply_rx));
        KvServer { node }
    }

    fn services(&self) -> Vec<Service> {
        let (gets, writes) = (self.node.clone(), self.node.clone());
        let kv = Service::new(SERVICE)
            .async_method("Get", move |args: GetArgs| gets.clone().get(args))
            .async_method("PutAppend", move |args: PutAppendArgs| {
                writes.clone().put_append(args)
            });
        vec![kv, self.node.raft.service()]
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

    async fn get(self: Arc<Self>, args: GetArgs) -> GetReply {
        let command = Command {
            id: args.id,
            op: Op::Get { key: args.key },
        };
        let (outcome, value) = self.execute(command).await;
        GetReply { outcome, value }
    }

    async fn put_append(self: Arc<Self>, args: PutAppendArgs) -> PutAppendReply {
        let PutAppendArgs { key, value, op, id } = args;
        let op = match op {
            PutAppendOp::Put => Op::Put { key, value },
            PutAppendOp::Append => Op::Append { key, value },
        };
        let (outcome, _) = self.execute(Command { id, op }).await;
        PutAppendReply { outcome }
    }

    /// Proposes `command` and waits until it is applied: its outcome and value. A write
    /// already applied is answered at once, since its effect is in the store.
    async fn execute(&self, command: Command) -> (Outcome, String) {
        match self.propose_and_wait(command).await {
            Some(Answer::Applied(result)) => result,
            Some(Answer::Lost) => (Outcome::WrongLeader, String::new()),
            None => (Outcome::Timeout, String::new()),
        }
    }

    /// The answer to `command`, or `None` if it was not applied within `COMMIT_WAIT`.
    async fn propose_and_wait(&self, command: Command) -> Option<Answer<(Outcome, String)>> {
        let (index, term, mut applied) = {
            let mut state = self.state();
            let is_write = !matches!(command.op, Op::Get { .. });
            if is_write && state.store.is_applied_write(command.id) {
                return Some(Answer::Applied((Outcome::Ok, String::new())));
            }
            let id = command.id;
            let bytes = labgob::encode(&command).unwrap_or_else(|err| {
                panic!("kvraft S{}: cannot encode {command:?}: {err}", self.me)
            });
            // Registered under the lock the applier takes, so the answer cannot pass by.
            let Some((index, term)) = self.raft.start(bytes) else {
                return Some(Answer::Lost);
            };
            (index, term, state.pending.register(index, id))
        };
        log::debug!(target: "kvraft::server", "S{} T{term}: proposed {command:?} at {index}", self.me);
        let answer = pending::wait(&mut applied, || {
            let (now_term, leader) = self.raft.get_state();
            now_term == term && leader && !self.is_killed()
        })
        .await;
        if answer == Some(Answer::Lost) {
            log::debug!(target: "kvraft::server", "S{} T{term}: lost index {index}", self.me);
        }
        answer
    }

    /// Applies one message of Raft's, then snapshots if the Raft state grew too big.
    fn apply(&self, message: ApplyMsg) {
        let mut state = self.state();
        match message {
            ApplyMsg::Command { index, command } => {
                let command: Command = match labgob::decode(&command) {
                    Ok(command) => command,
                    Err(err) => panic!(
                        "kvraft S{}: the command at index {index} is not a kvraft command: {err}",
                        self.me
                    ),
                };
                if let Some(applied) = state.store.apply(index, command) {
                    let result = (applied.outcome, applied.value);
                    state.pending.applied(applied.index, applied.id, result);
                    self.snapshot_if_needed(&state.store);
                }
            }
            ApplyMsg::Snapshot {
                snapshot, index, ..
            } => {
                if index <= state.store.last_applied() {
                    return;
                }
                state.store = match Store::restore(&snapshot) {
                    Ok(store) => store,
                    Err(err) => panic!(
                        "kvraft S{}: the leader's snapshot at index {index} is corrupt: {err}",
                        self.me
                    ),
                };
                state.pending.lose_through(index);
                log::debug!(target: "kvraft::server", "S{}: installed the snapshot through {index}", self.me);
            }
        }
    }

    fn snapshot_if_needed(&self, store: &Store) {
        let Some(max) = self.max_raft_state else {
            return;
        };
        if self.persister.raft_state_size() >= max {
            log::debug!(target: "kvraft::server", "S{}: snapshot through {}", self.me, store.last_applied());
            self.raft.snapshot(store.last_applied(), store.snapshot());
        }
    }
}

/// The applier task: feeds Raft's apply channel to the store until the server is killed.
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
