//! A key/value server with one deliberate flaw of those students make, speaking kvraft's
//! protocol so that kvraft's own clerk drives it. Apart from its flaw it works as kvraft's.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::channel::oneshot;
use kvraft::common::{
    Command, GetArgs, GetReply, Op, Outcome, PutAppendArgs, PutAppendOp, PutAppendReply, RequestId,
    SERVICE,
};
use lab_runtime::task::spawn;
use lab_runtime::time::{timeout, Duration};
use labrpc::{ClientEnd, Service};
use raft::Raft;
use serde::{Deserialize, Serialize};
use tester::kv::KvService;
use tester::{apply_channel, ApplyMsg, ApplyReceiver, Persister, RaftPeer};

/// The flaws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// No duplicate table: a retried Put or Append is applied again.
    AppliesRetriesTwice,
    /// A server that believes it leads answers Get from its own map, without the log:
    /// a leader cut off in a minority serves stale values.
    ReadsWithoutLog,
    /// A leader answers as soon as Raft accepts the command, before it is committed.
    AnswersBeforeApplied,
    /// The snapshot holds the map but not the duplicate table.
    SnapshotForgetsDuplicates,
    /// On restart the server reads only the index from its snapshot, not the map.
    RestartForgetsKeys,
    /// The server never snapshots, whatever its Raft state's size.
    NeverSnapshots,
}

/// Chooses the flaw of a `Broken` server type.
pub trait Choice: Send + Sync + 'static {
    const FLAW: Flaw;
}

macro_rules! choice {
    ($($name:ident),*) => {$(
        pub struct $name;
        impl Choice for $name {
            const FLAW: Flaw = Flaw::$name;
        }
    )*};
}
choice!(
    AppliesRetriesTwice,
    ReadsWithoutLog,
    AnswersBeforeApplied,
    SnapshotForgetsDuplicates,
    RestartForgetsKeys,
    NeverSnapshots
);

pub struct Broken<C: Choice> {
    node: Arc<Node>,
    _flaw: PhantomData<C>,
}

struct Node {
    me: usize,
    flaw: Flaw,
    raft: Raft,
    persister: Arc<Persister>,
    max_raft_state: Option<usize>,
    state: Mutex<State>,
}

#[derive(Default, Serialize, Deserialize, Debug)]
struct Saved {
    data: BTreeMap<String, String>,
    last_write: BTreeMap<u64, u64>,
    last_applied: u64,
}

#[derive(Default)]
struct State {
    saved: Saved,
    waiting: BTreeMap<u64, (RequestId, oneshot::Sender<(Outcome, String)>)>,
}

impl<C: Choice> KvService for Broken<C> {
    type Raft = Raft;

    fn start(
        servers: Vec<ClientEnd>,
        me: usize,
        persister: Arc<Persister>,
        max_raft_state: Option<usize>,
    ) -> Self {
        let snapshot = persister.snapshot();
        let mut saved: Saved = if snapshot.is_empty() {
            Saved::default()
        } else {
            labgob::decode(&snapshot).expect("the broken server reads its own snapshots")
        };
        if C::FLAW == Flaw::RestartForgetsKeys {
            saved.data.clear();
        }
        let (apply_tx, apply_rx) = apply_channel();
        let raft = Raft::make(servers, me, persister.clone(), apply_tx);
        let node = Arc::new(Node {
            me,
            flaw: C::FLAW,
            raft,
            persister,
            max_raft_state,
            state: Mutex::new(State {
                saved,
                waiting: BTreeMap::new(),
            }),
        });
        spawn(applier(node.clone(), apply_rx));
        Broken {
            node,
            _flaw: PhantomData,
        }
    }

    fn services(&self) -> Vec<Service> {
        let (gets, writes) = (self.node.clone(), self.node.clone());
        let kv = Service::new(SERVICE)
            .async_method("Get", move |args: GetArgs| {
                let node = gets.clone();
                async move {
                    let op = Op::Get { key: args.key };
                    let (outcome, value) = node.execute(Command { id: args.id, op }).await;
                    GetReply { outcome, value }
                }
            })
            .async_method("PutAppend", move |args: PutAppendArgs| {
                let node = writes.clone();
                async move {
                    let (key, value) = (args.key, args.value);
                    let op = match args.op {
                        PutAppendOp::Put => Op::Put { key, value },
                        PutAppendOp::Append => Op::Append { key, value },
                    };
                    let (outcome, _) = node.execute(Command { id: args.id, op }).await;
                    PutAppendReply { outcome }
                }
            });
        vec![kv, self.node.raft.service()]
    }

    fn kill(&self) {
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

    fn read_local(&self, key: &str) -> (Outcome, String) {
        let state = self.state();
        match state.saved.data.get(key) {
            Some(value) => (Outcome::Ok, value.clone()),
            None => (Outcome::NoKey, String::new()),
        }
    }

    async fn execute(&self, command: Command) -> (Outcome, String) {
        let is_get = matches!(command.op, Op::Get { .. });
        if is_get && self.flaw == Flaw::ReadsWithoutLog {
            if !self.raft.get_state().1 {
                return (Outcome::WrongLeader, String::new());
            }
            let Op::Get { key } = &command.op else {
                unreachable!()
            };
            return self.read_local(key);
        }
        let id = command.id;
        let bytes = labgob::encode(&command).expect("a command encodes");
        let (term, rx) = {
            let mut state = self.state();
            let Some((index, term)) = self.raft.start(bytes) else {
                return (Outcome::WrongLeader, String::new());
            };
            let (tx, rx) = oneshot::channel();
            state.waiting.insert(index, (id, tx));
            (term, rx)
        };
        if self.flaw == Flaw::AnswersBeforeApplied {
            return match &command.op {
                Op::Get { key } => self.read_local(key),
                _ => (Outcome::Ok, String::new()),
            };
        }
        let mut rx = rx;
        for _ in 0..10 {
            match timeout(Duration::from_millis(50), &mut rx).await {
                Ok(Ok(answer)) => return answer,
                Ok(Err(_)) => return (Outcome::WrongLeader, String::new()),
                Err(_) => {}
            }
            if self.raft.get_state() != (term, true) {
                return (Outcome::WrongLeader, String::new());
            }
        }
        (Outcome::Timeout, String::new())
    }

    fn apply(&self, message: ApplyMsg) {
        let mut state = self.state();
        match message {
            ApplyMsg::Command { index, command } => {
                if index <= state.saved.last_applied {
                    return;
                }
                let command: Command = labgob::decode(&command).expect("a kvraft command");
                let saved = &mut state.saved;
                saved.last_applied = index;
                let retry = saved
                    .last_write
                    .get(&command.id.client)
                    .is_some_and(|&seq| command.id.seq <= seq);
                let skip = retry && self.flaw != Flaw::AppliesRetriesTwice;
                let (outcome, value) = match command.op {
                    Op::Get { key } => match saved.data.get(&key) {
                        Some(value) => (Outcome::Ok, value.clone()),
                        None => (Outcome::NoKey, String::new()),
                    },
                    _ if skip => (Outcome::Ok, String::new()),
                    Op::Put { key, value } => {
                        saved.data.insert(key, value);
                        saved.last_write.insert(command.id.client, command.id.seq);
                        (Outcome::Ok, String::new())
                    }
                    Op::Append { key, value } => {
                        saved.data.entry(key).or_default().push_str(&value);
                        saved.last_write.insert(command.id.client, command.id.seq);
                        (Outcome::Ok, String::new())
                    }
                };
                if let Some((id, tx)) = state.waiting.remove(&index) {
                    let answer = if id == command.id {
                        (outcome, value)
                    } else {
                        (Outcome::WrongLeader, String::new())
                    };
                    let _ = tx.send(answer);
                }
                self.snapshot_if_needed(&state.saved);
            }
            ApplyMsg::Snapshot {
                snapshot, index, ..
            } => {
                if index > state.saved.last_applied {
                    state.saved = labgob::decode(&snapshot).expect("a broken snapshot");
                }
            }
        }
    }

    fn snapshot_if_needed(&self, saved: &Saved) {
        let Some(max) = self.max_raft_state else {
            return;
        };
        if self.flaw == Flaw::NeverSnapshots || self.persister.raft_state_size() < max {
            return;
        }
        let last_write = if self.flaw == Flaw::SnapshotForgetsDuplicates {
            BTreeMap::new()
        } else {
            saved.last_write.clone()
        };
        let snapshot = Saved {
            data: saved.data.clone(),
            last_write,
            last_applied: saved.last_applied,
        };
        let bytes = labgob::encode(&snapshot).expect("a snapshot encodes");
        log::debug!(target: "kvraft::broken", "S{}: snapshot through {}", self.me, saved.last_applied);
        self.raft.snapshot(saved.last_applied, bytes);
    }
}

async fn applier(node: Arc<Node>, mut apply: ApplyReceiver) {
    while let Some(message) = apply.recv().await {
        node.apply(message);
    }
}
