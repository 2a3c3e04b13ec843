//! Fake Raft peers whose behaviour a test scripts, to drive every helper of the tester,
//! including the paths where it must fail.

#![allow(dead_code)] // each test binary uses a part

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::channel::mpsc;
use futures::StreamExt;
use lab_runtime::time::{sleep, Duration, Instant};
use labrpc::{ClientEnd, Service};
use tester::{ApplyMsg, ApplySender, Config, Inspection, LogTerms, Persister, RaftPeer, Role};

/// What the peers of one test share, and what the test scripts.
#[derive(Default)]
pub struct Cluster {
    state: Mutex<ClusterState>,
}

#[derive(Default)]
struct ClusterState {
    /// Indexed by peer; replaced when a peer restarts.
    peers: Vec<Option<Instance>>,
    /// Each peer's term and leadership, as `get_state` reports them.
    states: Vec<(u64, bool)>,
    /// Whether `start` on the leader commits at once on every live peer.
    commits: bool,
    /// What commits in place of each started command, if set.
    substitute: Option<Vec<u8>>,
    /// The peers `start` was called on, in order.
    starts: Vec<usize>,
    /// The commands committed so far, from index 1.
    log: Vec<Vec<u8>>,
    /// Every `snapshot` call: peer, index.
    snapshots: Vec<(usize, u64)>,
    /// How many instances were killed.
    kills: usize,
    /// What an instance saves as it is killed, if set.
    last_words: Option<Vec<u8>>,
    /// How many more `get_state` calls see the old terms, and the term after them.
    term_change: Option<(usize, u64)>,
    /// What `inspect` shows of each peer, if scripted; else its state and an empty log.
    inspections: Vec<Option<Inspection>>,
    /// Whether a killed instance goes on sending (a Raft whose tasks outlive `kill`).
    chatty: bool,
    /// When, after `kill`, a killed instance's stragglers each send one request to every
    /// other peer (tasks that had passed their `killed` check, then waited for a core).
    stragglers: Vec<Duration>,
    /// How many messages the peers' appliers have taken.
    taken: usize,
}

struct Instance {
    /// Queues messages for the instance's apply task, so that scripted steps never wait
    /// for the tester's applier.
    apply: mpsc::UnboundedSender<ApplyMsg>,
    persister: Arc<Persister>,
    ends: Vec<ClientEnd>,
    killed: Arc<AtomicBool>,
}

/// The cluster that `FakeRaft::make` joins: set only while a test builds peers.
static BUILDING: Mutex<Option<Arc<Cluster>>> = Mutex::new(None);
/// Held while a test builds peers, so that tests in parallel threads take turns.
static BUILD_TURN: Mutex<()> = Mutex::new(());

impl Cluster {
    pub fn new(peers: usize) -> Arc<Self> {
        let cluster = Cluster::default();
        {
            let mut state = cluster.state();
            state.peers = (0..peers).map(|_| None).collect();
            state.states = vec![(0, false); peers];
            state.inspections = vec![None; peers];
        }
        Arc::new(cluster)
    }

    fn state(&self) -> MutexGuard<'_, ClusterState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `build` (which makes or restarts peers) with this cluster as theirs.
    pub fn build<T>(self: &Arc<Self>, build: impl FnOnce() -> T) -> T {
        let _turn = BUILD_TURN.lock().unwrap_or_else(PoisonError::into_inner);
        *BUILDING.lock().unwrap_or_else(PoisonError::into_inner) = Some(self.clone());
        let built = build();
        *BUILDING.lock().unwrap_or_else(PoisonError::into_inner) = None;
        built
    }

    /// Runs `test`, whose first poll makes the configuration, with this cluster's peers:
    /// for the tester's own tests (`tester::tests`), which make theirs.
    pub async fn run<F: std::future::Future>(self: &Arc<Self>, test: F) -> F::Output {
        let mut test = std::pin::pin!(test);
        let first = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(self.build(|| test.as_mut().poll(cx)))
        })
        .await;
        match first {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => test.await,
        }
    }

    /// A configuration of this cluster's peers.
    pub fn config(self: &Arc<Self>, unreliable: bool, snapshots: bool) -> Config<FakeRaft> {
        let n = self.state().peers.len();
        self.build(|| Config::new(n, unreliable, snapshots))
    }

    /// After `reads` more `get_state` calls (on any peer), every peer is in `term`: a Raft
    /// whose term moves between two of the tester's looks.
    pub fn change_term_after_reads(&self, reads: usize, term: u64) {
        self.state().term_change = Some((reads, term));
    }

    pub fn set_state(&self, peer: usize, term: u64, leader: bool) {
        let mut state = self.state();
        state.states[peer] = (term, leader);
        state.inspections[peer] = None;
    }

    /// What `inspect` shows of `peer` from now on: its state (as `set_state` too), commit
    /// index and log terms (from index 1, no snapshot).
    pub fn set_inspection(&self, peer: usize, term: u64, role: Role, commit: u64, log: &[u64]) {
        let mut state = self.state();
        state.states[peer] = (term, role == Role::Leader);
        let log = LogTerms::from_terms(0, 0, log.iter().copied());
        state.inspections[peer] = Some(Inspection::new(term, role, commit, log));
    }

    /// The vote `inspect` shows of `peer` from now on (after `set_inspection`).
    pub fn set_vote(&self, peer: usize, vote: Option<usize>) {
        let mut state = self.state();
        let inspection = state.inspections[peer].as_mut();
        inspection.expect("set_inspection first").voted_for = vote;
    }

    /// Killed instances send one `Echo` to each other peer at each of these delays after
    /// `kill`: a correct Raft's tasks caught between their check and their send.
    pub fn stragglers(&self, delays: &[Duration]) {
        self.state().stragglers = delays.to_vec();
    }

    /// Peers made from now on send an `Echo` to each other peer every 10 ms until the test
    /// ends, killed or not: a Raft whose tasks outlive `kill`.
    pub fn chatty(&self) {
        self.state().chatty = true;
    }

    /// `start` on a leader commits at once on every live peer.
    pub fn commit_on_start(&self, commits: bool) {
        self.state().commits = commits;
    }

    /// Commands started from now on commit as `command` instead: a Raft that commits
    /// something other than what it was given.
    pub fn commit_instead(&self, command: &impl labgob::Gob) {
        self.state().substitute = Some(labgob::encode(command).expect("commands encode"));
    }

    /// The peers `start` was called on, in order.
    pub fn starts(&self) -> Vec<usize> {
        self.state().starts.clone()
    }

    /// `peer` leads in term 1, and commands it starts commit at once everywhere.
    pub fn lead(&self, peer: usize) {
        self.set_state(peer, 1, true);
        self.commit_on_start(true);
    }

    /// Makes `peer` apply `command` at `index`.
    pub fn apply(&self, peer: usize, index: u64, command: &impl labgob::Gob) {
        let command = labgob::encode(command).expect("commands encode");
        self.send(peer, ApplyMsg::Command { index, command });
    }

    /// Where `peer`'s current instance queues its apply messages: kept past a restart, it
    /// sends as the killed instance's late tasks do.
    pub fn apply_queue(&self, peer: usize) -> mpsc::UnboundedSender<ApplyMsg> {
        let state = self.state();
        let instance = state.peers[peer].as_ref().expect("the peer is running");
        instance.apply.clone()
    }

    pub fn send(&self, peer: usize, message: ApplyMsg) {
        let state = self.state();
        let instance = state.peers[peer].as_ref().expect("the peer is running");
        instance
            .apply
            .unbounded_send(message)
            .expect("the tester listens");
    }

    /// Saves `raft_state` in `peer`'s current persister.
    pub fn persist(&self, peer: usize, raft_state: Vec<u8>) {
        self.persister(peer).save_raft_state(raft_state);
    }

    /// The persister `peer`'s current instance was given.
    pub fn persister(&self, peer: usize) -> Arc<Persister> {
        let state = self.state();
        state.peers[peer]
            .as_ref()
            .expect("the peer is running")
            .persister
            .clone()
    }

    /// `peer`'s end to `other`.
    pub fn end(&self, peer: usize, other: usize) -> ClientEnd {
        let state = self.state();
        state.peers[peer]
            .as_ref()
            .expect("the peer is running")
            .ends[other]
            .clone()
    }

    /// From now on, an instance saves `raft_state` as it is killed: a Raft still writing
    /// while the tester crashes it.
    pub fn save_when_killed(&self, raft_state: Vec<u8>) {
        self.state().last_words = Some(raft_state);
    }

    /// How many messages the peers' appliers have taken.
    pub fn taken(&self) -> usize {
        self.state().taken
    }

    pub fn snapshots(&self) -> Vec<(usize, u64)> {
        self.state().snapshots.clone()
    }

    pub fn kills(&self) -> usize {
        self.state().kills
    }
}

/// What a child process printed, and whether its tests passed.
pub struct ChildRun {
    pub passed: bool,
    pub stdout: String,
    /// Standard output, then standard error.
    pub all: String,
}

/// Runs this test binary again, with `args` and `envs`, for tests that must read what a
/// test prints past `cargo test`'s capture, or that leave stuck threads behind. Fails the
/// test if the child runs longer than `limit`.
pub fn run_child(args: &[&str], envs: &[(&str, &str)], limit: std::time::Duration) -> ChildRun {
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let child = Command::new(exe)
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child starts");
    let Some(output) = lab_runtime::child::output_within(child, limit) else {
        panic!("the child {args:?} still runs after {limit:?}");
    };
    ChildRun {
        passed: output.status.success(),
        all: output.all(),
        stdout: output.stdout,
    }
}

/// Polls `condition` every 10 ms until it holds; fails the test after 5 s. Tests wait
/// with this for what the tester's tasks do, instead of sleeping and hoping.
pub async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        sleep(Duration::from_millis(10)).await;
    }
}

/// A peer of a scripted [`Cluster`].
pub struct FakeRaft {
    cluster: Arc<Cluster>,
    me: usize,
    persister: Arc<Persister>,
    killed: Arc<AtomicBool>,
}

impl FakeRaft {
    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }
}

impl RaftPeer for FakeRaft {
    fn make(
        peers: Vec<ClientEnd>,
        me: usize,
        persister: Arc<Persister>,
        apply: ApplySender,
    ) -> Self {
        let cluster = BUILDING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .expect("fake peers are made inside Cluster::build");
        let killed = Arc::new(AtomicBool::new(false));
        let (queue, mut queued) = mpsc::unbounded();
        // Weak: the cluster holds this task's queue.
        let taker = Arc::downgrade(&cluster);
        lab_runtime::task::spawn(async move {
            while let Some(message) = queued.next().await {
                if apply.send(message).await.is_err() {
                    return;
                }
                if let Some(cluster) = taker.upgrade() {
                    cluster.state().taken += 1;
                }
            }
        });
        if cluster.state().chatty {
            let ends = peers.clone();
            lab_runtime::task::spawn(async move {
                // A bounded number of rounds, so that a leftover task never runs for good.
                for _ in 0..1000 {
                    sleep(Duration::from_millis(10)).await;
                    for (_, end) in ends.iter().enumerate().filter(|(to, _)| *to != me) {
                        // A call of its own: a cut-off end answers only after a while.
                        let end = end.clone();
                        lab_runtime::task::spawn(async move {
                            let _ = end.call::<u64, u64>("Raft.Echo", &1).await;
                        });
                    }
                }
            });
        }
        cluster.state().peers[me] = Some(Instance {
            apply: queue,
            persister: persister.clone(),
            ends: peers,
            killed: killed.clone(),
        });
        FakeRaft {
            cluster,
            me,
            persister,
            killed,
        }
    }

    fn service(&self) -> Service {
        let held = Arc::new(Mutex::new(0u64));
        Service::new("Raft")
            .method("Echo", |x: u64| x)
            .method("Deadlock", move |x: u64| {
                // A handler that takes a lock it already holds: Linux's std Mutex blocks.
                let _held = held.lock().unwrap_or_else(PoisonError::into_inner);
                let again = held.lock().unwrap_or_else(PoisonError::into_inner);
                *again + x
            })
    }

    fn start(&self, command: Vec<u8>) -> Option<(u64, u64)> {
        let mut state = self.cluster.state();
        state.starts.push(self.me);
        let (term, leader) = state.states[self.me];
        if !leader {
            return None;
        }
        if !state.commits {
            // A leader that accepts the command and then loses it: the index stays free for
            // the next leader.
            return Some((state.log.len() as u64 + 1, term));
        }
        let command = state.substitute.clone().unwrap_or(command);
        state.log.push(command.clone());
        let index = state.log.len() as u64;
        for instance in state.peers.iter().flatten() {
            if !instance.killed.load(Ordering::Relaxed) {
                let message = ApplyMsg::Command {
                    index,
                    command: command.clone(),
                };
                let _ = instance.apply.unbounded_send(message);
            }
        }
        Some((index, term))
    }

    fn get_state(&self) -> (u64, bool) {
        let mut state = self.cluster.state();
        match &mut state.term_change {
            Some((0, term)) => {
                let term = *term;
                state.states.iter_mut().for_each(|s| s.0 = term);
                state.term_change = None;
            }
            Some((reads, _)) => *reads -= 1,
            None => {}
        }
        state.states[self.me]
    }

    fn snapshot(&self, index: u64, snapshot: Vec<u8>) {
        self.cluster.state().snapshots.push((self.me, index));
        let persister = &self.persister;
        persister.save(persister.raft_state(), snapshot);
    }

    fn inspect(&self) -> Option<Inspection> {
        let state = self.cluster.state();
        let scripted = state.inspections.get(self.me).cloned().flatten();
        let (term, leader) = state.states[self.me];
        let role = if leader { Role::Leader } else { Role::Follower };
        Some(scripted.unwrap_or(Inspection::new(term, role, 0, LogTerms::default())))
    }

    fn kill(&self) {
        if !self.killed.swap(true, Ordering::Relaxed) {
            let (last_words, stragglers, ends) = {
                let mut state = self.cluster.state();
                state.kills += 1;
                let ends = state.peers[self.me].as_ref().map(|i| i.ends.clone());
                (state.last_words.clone(), state.stragglers.clone(), ends)
            };
            let others: Vec<ClientEnd> = (ends.unwrap_or_default().into_iter().enumerate())
                .filter_map(|(to, end)| (to != self.me).then_some(end))
                .collect();
            for delay in stragglers {
                let others = others.clone();
                lab_runtime::task::spawn(async move {
                    sleep(delay).await;
                    for end in others {
                        lab_runtime::task::spawn(async move {
                            let _ = end.call::<u64, u64>("Raft.Echo", &1).await;
                        });
                    }
                });
            }
            if let Some(raft_state) = last_words {
                self.persister.save_raft_state(raft_state);
            }
        }
    }
}
