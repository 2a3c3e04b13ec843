//! The plumbing around the store: RPCs in (from clerks and from other groups), proposals
//! to Raft, the apply channel, snapshots, and the leader's background tasks: poll the
//! controller, pull shards gained, and confirm their deletion to their previous owner.

use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::future::join_all;
use kvraft::pending::{self, Answer, Pending};
use lab_runtime::random;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, timeout, Duration};
use labgob::Gob;
use labrpc::{ClientEnd, Service};
use raft::Raft;
use shardctrler::Gid;
use tester::ctrler::CtrlerClerk;
use tester::shardkv::{MakeEnd, ShardKvService};
use tester::{apply_channel, ApplyMsg, ApplyReceiver, Persister, RaftPeer};

use crate::common::{
    Command, DeleteArgs, DeleteReply, GetArgs, GetReply, Op, Outcome, PullArgs, PullReply,
    PutAppendArgs, PutAppendOp, PutAppendReply, RequestId, DELETE_SHARDS, PULL_SHARDS, SERVICE,
};
use crate::store::{ShardData, Store, Transfer};

/// How often the leader asks the controller for the next configuration (Go's 100 ms).
const POLL_CONFIG: Duration = Duration::from_millis(100);
/// How often the leader pulls the shards it gained, and confirms those it received.
const POLL_SHARDS: Duration = Duration::from_millis(50);
/// How long one query of the controller may take before the poller gives up for this
/// round: the clerk retries forever, and a killed server must stop asking.
const QUERY_WAIT: Duration = Duration::from_millis(500);

/// What a group sends of the shards another group pulls from it. The server is generic
/// over it so that the tester's own tests can run it with a flawed handover; [`Whole`],
/// every key with the shard's duplicate table, is the rule.
pub trait Handover: Send + Sync + 'static {
    /// Makes the reply's shards from the shards as this group holds them.
    fn hand(shards: &mut BTreeMap<usize, ShardData>);
}

/// The handover: the shards as they are, keys and duplicate tables.
pub struct Whole;

impl Handover for Whole {
    fn hand(_shards: &mut BTreeMap<usize, ShardData>) {}
}

/// A server of a replica group, handing shards over by the rule `H`. Cheap to clone;
/// clones are the same server.
pub struct ShardKv<H: Handover = Whole> {
    node: Arc<Node>,
    _rule: PhantomData<H>,
}

impl<H: Handover> Clone for ShardKv<H> {
    fn clone(&self) -> Self {
        ShardKv {
            node: self.node.clone(),
            _rule: PhantomData,
        }
    }
}

struct Node {
    me: usize,
    gid: Gid,
    raft: Raft,
    persister: Arc<Persister>,
    max_raft_state: Option<usize>,
    make_end: MakeEnd,
    hand: fn(&mut BTreeMap<usize, ShardData>),
    /// The ends made so far to other groups' servers, by name: one each is enough.
    ends: Mutex<HashMap<String, ClientEnd>>,
    state: Mutex<State>,
    killed: AtomicBool,
}

struct State {
    store: Store,
    /// Each waiting RPC learns its command's outcome and value.
    pending: Pending<(Outcome, String)>,
}

impl<H: Handover> ShardKvService for ShardKv<H> {
    type Raft = Raft;

    fn start(
        servers: Vec<ClientEnd>,
        me: usize,
        persister: Arc<Persister>,
        max_raft_state: Option<usize>,
        gid: Gid,
        ctrlers: Vec<ClientEnd>,
        make_end: MakeEnd,
    ) -> Self {
        let store = match Store::restore(&persister.snapshot(), gid) {
            Ok(store) => store,
            Err(err) => panic!("shardkv G{gid} S{me} cannot restart: {err}"),
        };
        let (apply_tx, apply_rx) = apply_channel();
        let raft = Raft::make(servers, me, persister.clone(), apply_tx);
        let node = Arc::new(Node {
            me,
            gid,
            raft,
            persister,
            max_raft_state,
            make_end,
            hand: H::hand,
            ends: Mutex::new(HashMap::new()),
            state: Mutex::new(State {
                store,
                pending: Pending::default(),
            }),
            killed: AtomicBool::new(false),
        });
        spawn(applier(node.clone(), apply_rx));
        spawn(poll_configs(node.clone(), shardctrler::Clerk::new(ctrlers)));
        spawn(move_shards(node.clone()));
        ShardKv {
            node,
            _rule: PhantomData,
        }
    }

    fn services(&self) -> Vec<Service> {
        let (gets, writes) = (self.node.clone(), self.node.clone());
        let (pulls, deletes) = (self.node.clone(), self.node.clone());
        let kv = Service::new(SERVICE)
            .async_method("Get", move |args: GetArgs| gets.clone().get(args))
            .async_method("PutAppend", move |args: PutAppendArgs| {
                writes.clone().put_append(args)
            })
            .method("PullShards", move |args: PullArgs| pulls.pull_shards(args))
            .async_method("DeleteShards", move |args: DeleteArgs| {
                deletes.clone().delete_shards(args)
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

/// An id for a command of the group's own (a configuration, shards, a no-op): the clerks'
/// ids are below 2^62, so these never match a clerk's request.
fn own_id() -> RequestId {
    RequestId {
        client: (1 << 62) | random::below(1 << 62),
        seq: 0,
    }
}

impl Node {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    fn is_leader(&self) -> bool {
        self.raft.get_state().1
    }

    /// What a request gets without going through the log: `WrongLeader` from a follower
    /// (whose applied state may lag, so that its `WrongGroup` would send the clerk back to
    /// the controller for nothing), `WrongGroup` if the leader does not serve the key now.
    fn refusal(&self, key: &str) -> Option<Outcome> {
        if !self.is_leader() {
            Some(Outcome::WrongLeader)
        } else if !self.state().store.serves(key) {
            Some(Outcome::WrongGroup)
        } else {
            None
        }
    }

    async fn get(self: Arc<Self>, args: GetArgs) -> GetReply {
        if let Some(outcome) = self.refusal(&args.key) {
            return GetReply {
                outcome,
                value: String::new(),
            };
        }
        let command = Command {
            id: args.id,
            op: Op::Get { key: args.key },
        };
        let (outcome, value) = self.execute(command).await;
        GetReply { outcome, value }
    }

    async fn put_append(self: Arc<Self>, args: PutAppendArgs) -> PutAppendReply {
        let PutAppendArgs { key, value, op, id } = args;
        if let Some(outcome) = self.refusal(&key) {
            return PutAppendReply { outcome };
        }
        // Its effect is in the store already.
        if self.state().store.is_applied_write(&key, id) {
            return PutAppendReply {
                outcome: Outcome::Ok,
            };
        }
        let op = match op {
            PutAppendOp::Put => Op::Put { key, value },
            PutAppendOp::Append => Op::Append { key, value },
        };
        let (outcome, _) = self.execute(Command { id, op }).await;
        PutAppendReply { outcome }
    }

    /// Another group asks for the shards it gained from this one. Only the leader answers,
    /// from its applied state, once it has reached that configuration: from then on the
    /// shards are no longer written here.
    fn pull_shards(&self, args: PullArgs) -> PullReply {
        let refused = |outcome| PullReply {
            outcome,
            shards: Default::default(),
        };
        if !self.is_leader() {
            return refused(Outcome::WrongLeader);
        }
        match self.state().store.handed(args.config_num, &args.shards) {
            Some(mut shards) => {
                (self.hand)(&mut shards);
                PullReply {
                    outcome: Outcome::Ok,
                    shards,
                }
            }
            None => refused(Outcome::NotReady),
        }
    }

    /// Another group has the shards it pulled from this one: delete them, through the log.
    async fn delete_shards(self: Arc<Self>, args: DeleteArgs) -> DeleteReply {
        if !self.is_leader() {
            return DeleteReply {
                outcome: Outcome::WrongLeader,
            };
        }
        let now = self.state().store.config_num();
        if args.config_num < now {
            // Deleted already: this group has moved on since.
            return DeleteReply {
                outcome: Outcome::Ok,
            };
        }
        let op = Op::Delete {
            config_num: args.config_num,
            shards: args.shards,
        };
        let (outcome, _) = self.execute(Command { id: own_id(), op }).await;
        DeleteReply { outcome }
    }

    /// Proposes `command` and waits until it is applied: its outcome and value.
    async fn execute(&self, command: Command) -> (Outcome, String) {
        let (index, term, mut applied) = {
            let mut state = self.state();
            let id = command.id;
            let bytes = labgob::encode(&command).unwrap_or_else(|err| {
                panic!(
                    "shardkv G{} S{}: cannot encode {command:?}: {err}",
                    self.gid, self.me
                )
            });
            // Registered under the lock the applier takes, so the answer cannot pass by.
            let Some((index, term)) = self.raft.start(bytes) else {
                return (Outcome::WrongLeader, String::new());
            };
            (index, term, state.pending.register(index, id))
        };
        log::debug!(target: "shardkv::server", "G{} S{} T{term}: proposed {:?} at {index}", self.gid, self.me, command.id);
        let answer = pending::wait(&mut applied, || {
            let (now_term, leader) = self.raft.get_state();
            now_term == term && leader && !self.is_killed()
        })
        .await;
        match answer {
            Some(Answer::Applied(result)) => result,
            Some(Answer::Lost) => (Outcome::WrongLeader, String::new()),
            None => (Outcome::Timeout, String::new()),
        }
    }

    /// Applies one message of Raft's, then snapshots if the Raft state grew too big.
    fn apply(&self, message: ApplyMsg) {
        let mut state = self.state();
        match message {
            ApplyMsg::Command { index, command } => {
                let command: Command = match labgob::decode(&command) {
                    Ok(command) => command,
                    Err(err) => panic!(
                        "shardkv G{} S{}: the command at index {index} is not a shardkv \
                         command: {err}",
                        self.gid, self.me
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
                state.store = match Store::restore(&snapshot, self.gid) {
                    Ok(store) => store,
                    Err(err) => panic!(
                        "shardkv G{} S{}: the leader's snapshot at index {index} is corrupt: \
                         {err}",
                        self.gid, self.me
                    ),
                };
                state.pending.lose_through(index);
            }
        }
    }

    fn snapshot_if_needed(&self, store: &Store) {
        let Some(max) = self.max_raft_state else {
            return;
        };
        if self.persister.raft_state_size() >= max {
            self.raft.snapshot(store.last_applied(), store.snapshot());
        }
    }

    /// The end to the server of that name.
    fn end(&self, server: &str) -> ClientEnd {
        let mut ends = self.ends.lock().unwrap_or_else(PoisonError::into_inner);
        ends.entry(server.to_owned())
            .or_insert_with(|| (self.make_end)(server))
            .clone()
    }

    /// Calls `method` on the servers of `transfer`'s group in turn until one answers
    /// `Ok`; `None` if none did this round.
    async fn ask_group<A: Gob, R: Gob>(
        &self,
        transfer: &Transfer,
        method: &str,
        args: &A,
        outcome: impl Fn(&R) -> Outcome,
    ) -> Option<R> {
        for server in &transfer.servers {
            if self.is_killed() {
                return None;
            }
            match self.end(server).call::<A, R>(method, args).await {
                Ok(reply) if outcome(&reply) == Outcome::Ok => return Some(reply),
                Ok(_) => {}
                Err(err) if err.is_programming_error() => {
                    log::error!(target: "shardkv::server", "G{} S{}: {err}", self.gid, self.me);
                }
                Err(_) => {}
            }
        }
        None
    }

    /// Pulls the shards of `transfer` and proposes their arrival.
    async fn pull(&self, transfer: Transfer) {
        let args = PullArgs {
            config_num: transfer.config_num,
            shards: transfer.shards.clone(),
        };
        let reply: Option<PullReply> = self
            .ask_group(&transfer, PULL_SHARDS, &args, |r: &PullReply| r.outcome)
            .await;
        if let Some(reply) = reply {
            let op = Op::Insert {
                config_num: transfer.config_num,
                shards: reply.shards,
            };
            self.execute(Command { id: own_id(), op }).await;
        }
    }

    /// Tells the previous owner of the shards of `transfer` to delete them, then settles
    /// them here.
    async fn confirm(&self, transfer: Transfer) {
        let args = DeleteArgs {
            config_num: transfer.config_num,
            shards: transfer.shards.clone(),
        };
        let reply: Option<DeleteReply> = self
            .ask_group(&transfer, DELETE_SHARDS, &args, |r: &DeleteReply| r.outcome)
            .await;
        if reply.is_some() {
            let op = Op::Delete {
                config_num: transfer.config_num,
                shards: transfer.shards,
            };
            self.execute(Command { id: own_id(), op }).await;
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

/// The leader's poller: a no-op at the start of each term it leads (so that what earlier
/// terms left uncommitted commits without clients), and, once every shard is settled, the
/// next configuration from the controller, through the log.
async fn poll_configs(node: Arc<Node>, mut ctrler: shardctrler::Clerk) {
    let mut noop_term = 0;
    while !node.is_killed() {
        let (term, leader) = node.raft.get_state();
        if leader && term != noop_term {
            noop_term = term;
            let id = own_id();
            spawn_detached(node.clone(), Command { id, op: Op::Noop });
        }
        let next = {
            let state = node.state();
            state.store.settled().then(|| state.store.config_num() + 1)
        };
        if let (true, Some(num)) = (leader, next) {
            if let Ok(config) = timeout(QUERY_WAIT, ctrler.query(Some(num))).await {
                if config.num == num && !node.is_killed() {
                    let op = Op::Config(config);
                    node.execute(Command { id: own_id(), op }).await;
                }
            }
        }
        sleep(POLL_CONFIG).await;
    }
}

/// Proposes `command` without waiting in this task.
fn spawn_detached(node: Arc<Node>, command: Command) {
    spawn(async move {
        node.execute(command).await;
    });
}

/// The leader's mover: pulls the shards gained from their previous owners, and tells the
/// owners of shards received to delete them, each group at once.
async fn move_shards(node: Arc<Node>) {
    while !node.is_killed() {
        if node.is_leader() {
            let (pulls, confirms) = {
                let state = node.state();
                (state.store.to_pull(), state.store.to_confirm())
            };
            let pulls = pulls.into_iter().map(|t| node.pull(t));
            let confirms = confirms.into_iter().map(|t| node.confirm(t));
            futures::join!(join_all(pulls), join_all(confirms));
        }
        sleep(POLL_SHARDS).await;
    }
}
