//! Fake Raft peers whose behaviour a test scripts, to drive every helper of the tester,
//! including the paths where it must fail.

#![allow(dead_code)] // each test binary uses a part

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use labrpc::{ClientEnd, Service};
use tester::{ApplyMsg, ApplySender, Config, Persister, RaftPeer};

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
    /// The commands committed so far, from index 1.
    log: Vec<Vec<u8>>,
    /// Every `snapshot` call: peer, index.
    snapshots: Vec<(usize, u64)>,
    /// How many instances were killed.
    kills: usize,
}

struct Instance {
    apply: ApplySender,
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

    /// A configuration of this cluster's peers.
    pub fn config(self: &Arc<Self>, unreliable: bool, snapshots: bool) -> Config<FakeRaft> {
        let n = self.state().peers.len();
        self.build(|| Config::new(n, unreliable, snapshots))
    }

    pub fn set_state(&self, peer: usize, term: u64, leader: bool) {
        self.state().states[peer] = (term, leader);
    }

    /// `start` on a leader commits at once on every live peer.
    pub fn commit_on_start(&self, commits: bool) {
        self.state().commits = commits;
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

    pub fn snapshots(&self) -> Vec<(usize, u64)> {
        self.state().snapshots.clone()
    }

    pub fn kills(&self) -> usize {
        self.state().kills
    }
}

/// A peer of a scripted [`Cluster`].
pub struct FakeRaft {
    cluster: Arc<Cluster>,
    me: usize,
    killed: Arc<AtomicBool>,
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
        cluster.state().peers[me] = Some(Instance {
            apply,
            persister,
            ends: peers,
            killed: killed.clone(),
        });
        FakeRaft {
            cluster,
            me,
            killed,
        }
    }

    fn service(&self) -> Service {
        Service::new("Raft").method("Echo", |x: u64| x)
    }

    fn start(&self, command: Vec<u8>) -> Option<(u64, u64)> {
        let mut state = self.cluster.state();
        let (term, leader) = state.states[self.me];
        if !leader {
            return None;
        }
        state.log.push(command.clone());
        let index = state.log.len() as u64;
        if state.commits {
            for instance in state.peers.iter().flatten() {
                if !instance.killed.load(Ordering::Relaxed) {
                    let message = ApplyMsg::Command {
                        index,
                        command: command.clone(),
                    };
                    let _ = instance.apply.unbounded_send(message);
                }
            }
        }
        Some((index, term))
    }

    fn get_state(&self) -> (u64, bool) {
        self.cluster.state().states[self.me]
    }

    fn snapshot(&self, index: u64, snapshot: Vec<u8>) {
        let mut state = self.cluster.state();
        state.snapshots.push((self.me, index));
        if let Some(instance) = &state.peers[self.me] {
            let persister = &instance.persister;
            persister.save(persister.raft_state(), snapshot);
        }
    }

    fn kill(&self) {
        if !self.killed.swap(true, Ordering::Relaxed) {
            self.cluster.state().kills += 1;
        }
    }
}
