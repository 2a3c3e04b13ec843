//! The test configuration: a set of Raft peers on a labrpc network, as Go's `config.go`.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lab_runtime::naming::{named, within};
use lab_runtime::random;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, Duration, Instant};
use labgob::Gob;
use labrpc::{Network, Server};

use crate::applier::{self, Applied};
use crate::apply_channel::apply_channel;
use crate::checks::{self, monitor, Checks};
use crate::harness::TEST_TIME_LIMIT;
use crate::peer::RaftPeer;
use crate::persister::Persister;
use crate::report;

/// The tester allows an election to take this long (Go's `RaftElectionTimeout`).
pub const ELECTION_TIMEOUT: Duration = Duration::from_millis(1000);
/// With snapshots, each peer's service snapshots every this many commands.
pub const SNAPSHOT_INTERVAL: u64 = 10;
/// With snapshots, no peer's persisted Raft state may reach this many bytes (Go's
/// `MAXLOGSIZE`).
pub const MAX_LOG_SIZE: usize = 2000;

/// A set of `n` Raft peers of type `R` on one network.
pub struct Config<R: RaftPeer> {
    n: usize,
    net: Network,
    snapshots: bool,
    shared: Arc<Mutex<Shared<R>>>,
    /// The running peers again, for `Drop` alone: with `&mut self` it reads them without a
    /// lock, so it kills them all even while an applier holds `shared`.
    peers: Mutex<Vec<Option<Arc<R>>>>,
    /// When the configuration was made, for the time limit.
    start: Instant,
    stats: Mutex<Stats>,
    /// The safety checks' state. Only the configuration holds it strongly: the monitor
    /// and the network's hook stop when it goes.
    checks: Arc<Mutex<Checks>>,
    /// How many warnings this test gave.
    warnings: Mutex<usize>,
}

/// What the test and the appliers share.
pub(crate) struct Shared<R> {
    pub(crate) rafts: Vec<Option<Arc<R>>>,
    pub(crate) connected: Vec<bool>,
    /// Peers made deaf (`deafen`): their requests reach the connected peers, nothing
    /// reaches them. Not connected.
    pub(crate) deaf: Vec<bool>,
    pub(crate) saved: Vec<Option<Arc<Persister>>>,
    /// The names of each peer's outgoing ends, one per peer.
    pub(crate) end_names: Vec<Option<Vec<String>>>,
    /// Each peer's instance: bumped at each start, so that the checks tell restarts apart.
    pub(crate) instances: Vec<u64>,
    pub(crate) applied: Applied,
    /// The first programming error a call on the network hit (an unknown method, a
    /// reply of the wrong type): fatal, as in Go's labrpc.
    pub(crate) programming_error: Option<String>,
}

/// `begin`'s snapshot of the counters, for `end`.
#[derive(Default)]
struct Stats {
    description: String,
    t0: Option<Instant>,
    rpcs0: usize,
    bytes0: u64,
    max_index0: u64,
}

impl<R: RaftPeer> Config<R> {
    /// Go's `make_config`: `n` peers, all started and connected, on a network with long
    /// delays, unreliable or not, whose services snapshot every 10 commands or not.
    pub fn new(n: usize, unreliable: bool, snapshots: bool) -> Self {
        let cfg = Config {
            n,
            net: Network::new(),
            snapshots,
            shared: Arc::new(Mutex::new(Shared {
                rafts: (0..n).map(|_| None).collect(),
                connected: vec![false; n],
                deaf: vec![false; n],
                saved: vec![None; n],
                end_names: vec![None; n],
                instances: vec![0; n],
                applied: Applied::new(n),
                programming_error: None,
            })),
            peers: Mutex::new((0..n).map(|_| None).collect()),
            start: Instant::now(),
            stats: Mutex::new(Stats::default()),
            checks: Arc::new(Mutex::new(Checks::new(n))),
            warnings: Mutex::new(0),
        };
        cfg.fail_on_programming_errors();
        cfg.net
            .on_send(monitor::on_send(Arc::downgrade(&cfg.checks)));
        if cfg!(madsim) && cfg.checks().enabled() {
            let watch = monitor::watch(Arc::downgrade(&cfg.shared), Arc::downgrade(&cfg.checks));
            let what = "the safety checks' look at each peer (its inspect() or get_state())";
            spawn(named(what.to_owned(), watch));
        }
        cfg.set_unreliable(unreliable);
        cfg.net.set_long_delays(true);
        for i in 0..n {
            cfg.start1(i);
        }
        for i in 0..n {
            cfg.connect(i);
        }
        cfg
    }

    /// Go's labrpc stops the test on a call to an unknown method or with the wrong types;
    /// here the call returns an error the Raft may only log, so the tester records it and
    /// fails the test with it.
    fn fail_on_programming_errors(&self) {
        // Weak: the network must not keep the peers (and so itself) alive.
        let shared = Arc::downgrade(&self.shared);
        self.net.on_programming_error(move |error| {
            let message = format!("a Raft's RPC failed: {error}");
            log::error!(target: "tester", "{message}");
            if let Some(shared) = shared.upgrade() {
                let mut shared = shared.lock().unwrap_or_else(PoisonError::into_inner);
                shared.programming_error.get_or_insert(message.clone());
            }
            lab_runtime::fail_run(message);
        });
    }

    fn shared(&self) -> MutexGuard<'_, Shared<R>> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn checks(&self) -> MutexGuard<'_, Checks> {
        self.checks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The number of peers.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Peer `i`, unless it is crashed.
    pub fn raft(&self, i: usize) -> Option<Arc<R>> {
        self.shared().rafts[i].clone()
    }

    /// Whether peer `i` is connected to the network.
    pub fn is_connected(&self, i: usize) -> bool {
        self.shared().connected[i]
    }

    /// Shuts peer `i` down, keeping what it persisted.
    pub fn crash1(&self, i: usize) {
        self.disconnect(i);
        // Calls in progress to the old instance fail from now on.
        self.net.delete_server(i);
        let (raft, ends) = {
            let mut shared = self.shared();
            // A fresh persister, in case the old instance goes on saving into the old one.
            if let Some(saved) = &shared.saved[i] {
                shared.saved[i] = Some(Arc::new(saved.copy()));
            }
            (shared.rafts[i].take(), shared.end_names[i].clone())
        };
        self.peers.lock().unwrap_or_else(PoisonError::into_inner)[i] = None;
        if let Some(raft) = raft {
            log::info!(target: "tester", "S{i} crashed");
            within(|| format!("server {i}'s kill()"), || raft.kill());
            self.checks()
                .killed(i, ends.unwrap_or_default(), Instant::now());
        }
        let mut shared = self.shared();
        if let Some(saved) = &shared.saved[i] {
            let persister = Persister::new();
            persister.save(saved.raft_state(), saved.snapshot());
            shared.saved[i] = Some(Arc::new(persister));
        }
    }

    /// Starts or restarts peer `i` with its last persisted state, fresh ends (so that an
    /// old instance can no longer send) and a fresh persister (so that it can no longer
    /// save).
    pub fn start1(&self, i: usize) {
        self.crash1(i);
        log::info!(target: "tester", "S{i} started");
        let end_names: Vec<String> = (0..self.n).map(|_| random::string(20)).collect();
        let ends = end_names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let end = self.net.make_end(name);
                self.net.connect(name, j);
                end
            })
            .collect();
        // Failing outside the lock: the test's cleanup takes it again.
        let persister = self
            .restore(i, end_names)
            .unwrap_or_else(|error| panic!("{error}"));
        let (apply_tx, apply_rx) = apply_channel();
        let make = || R::make(ends, i, persister, apply_tx);
        let raft = Arc::new(within(|| format!("server {i}'s make()"), make));
        self.shared().rafts[i] = Some(raft.clone());
        self.peers.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(raft.clone());
        let shared = self.shared.clone();
        let instance = self.shared().instances[i];
        if self.snapshots {
            spawn(applier::apply_with_snapshots(
                shared,
                i,
                instance,
                Arc::downgrade(&raft),
                apply_rx,
            ));
        } else {
            spawn(applier::apply(shared, i, instance, apply_rx));
        }
        let server = Server::new();
        server.add_service(raft.service());
        self.net.add_server(i, server);
    }

    /// Records peer `i`'s new ends and hands it a copy of its persister; with snapshots,
    /// restores what the service had applied from the persisted snapshot.
    fn restore(&self, i: usize, end_names: Vec<String>) -> Result<Arc<Persister>, String> {
        let mut shared = self.shared();
        shared.end_names[i] = Some(end_names);
        shared.instances[i] += 1;
        let instance = shared.instances[i];
        shared.applied.started(i, instance);
        let persister = Arc::new(match &shared.saved[i] {
            Some(saved) => saved.copy(),
            None => Persister::new(),
        });
        shared.saved[i] = Some(persister.clone());
        if self.snapshots {
            let snapshot = persister.snapshot();
            shared.applied.restart(i);
            if !snapshot.is_empty() {
                // Mimic a service that restores its snapshot at start-up.
                shared.applied.ingest_snapshot(i, &snapshot, None)?;
            }
        }
        Ok(persister)
    }

    /// Attaches peer `i` to the network (undoing `deafen` too).
    pub fn connect(&self, i: usize) {
        log::info!(target: "tester", "S{i} connected");
        let mut shared = self.shared();
        self.hear_again(&mut shared, i);
        shared.connected[i] = true;
        for j in 0..self.n {
            if shared.connected[j] {
                for (from, to) in [(i, j), (j, i)] {
                    if let Some(names) = &shared.end_names[from] {
                        self.net.enable(&names[to], true);
                    }
                }
            }
            // A deaf peer's requests reach every connected peer.
            if shared.deaf[j] {
                if let Some(names) = &shared.end_names[j] {
                    self.net.enable(&names[i], true);
                }
            }
        }
    }

    /// Not in Go's tester: makes peer `i` deaf. Its requests still reach the connected
    /// peers (and those connected later), but every reply to it is lost and no request
    /// reaches it: a leader cut off this way goes on sending heartbeats of its old term,
    /// never learning of a newer one. It counts as disconnected; `connect` or `disconnect`
    /// ends it.
    pub fn deafen(&self, i: usize) {
        log::info!(target: "tester", "S{i} deafened");
        let mut shared = self.shared();
        shared.connected[i] = false;
        shared.deaf[i] = true;
        for j in 0..self.n {
            if let Some(names) = &shared.end_names[i] {
                self.net.set_replies_lost(&names[j], true);
                self.net.enable(&names[j], shared.connected[j]);
            }
            if let Some(names) = &shared.end_names[j] {
                self.net.enable(&names[i], false);
            }
        }
    }

    /// Ends peer `i`'s deafness, if any: its ends get their replies again.
    fn hear_again(&self, shared: &mut Shared<R>, i: usize) {
        if std::mem::take(&mut shared.deaf[i]) {
            if let Some(names) = &shared.end_names[i] {
                for name in names {
                    self.net.set_replies_lost(name, false);
                }
            }
        }
    }

    /// Detaches peer `i` from the network (undoing `deafen` too).
    pub fn disconnect(&self, i: usize) {
        log::info!(target: "tester", "S{i} disconnected");
        let mut shared = self.shared();
        self.hear_again(&mut shared, i);
        shared.connected[i] = false;
        for j in 0..self.n {
            for (from, to) in [(i, j), (j, i)] {
                if let Some(names) = &shared.end_names[from] {
                    self.net.enable(&names[to], false);
                }
            }
        }
    }

    /// How many RPCs reached peer `server`.
    pub fn rpc_count(&self, server: usize) -> usize {
        self.net.count(server)
    }

    /// How many RPCs were sent in all.
    pub fn rpc_total(&self) -> usize {
        self.net.total_count()
    }

    /// How many bytes crossed the network in all.
    pub fn bytes_total(&self) -> u64 {
        self.net.total_bytes()
    }

    pub fn set_unreliable(&self, unreliable: bool) {
        self.net.set_reliable(!unreliable);
    }

    pub fn set_long_reordering(&self, long_reordering: bool) {
        self.net.set_long_reordering(long_reordering);
    }

    /// Not in Go's tester: the network delivers some requests a second time, up to 2 s
    /// later (`labrpc::Network::set_duplicate_requests`).
    pub fn set_duplicate_requests(&self, duplicate_requests: bool) {
        self.net.set_duplicate_requests(duplicate_requests);
    }

    /// The connected peers' states, with the peer's number.
    fn connected_states(&self) -> Vec<(usize, (u64, bool))> {
        let rafts: Vec<(usize, Arc<R>)> = {
            let shared = self.shared();
            (0..self.n)
                .filter(|&i| shared.connected[i])
                .filter_map(|i| Some((i, shared.rafts[i].clone()?)))
                .collect()
        };
        let states: Vec<(usize, (u64, bool))> = rafts
            .into_iter()
            .map(|(i, raft)| {
                (
                    i,
                    within(|| format!("server {i}'s get_state()"), || raft.get_state()),
                )
            })
            .collect();
        let mut checks = self.checks();
        for &(i, (term, leader)) in &states {
            checks.state(i, term, leader);
        }
        drop(checks);
        self.check_errors();
        states
    }

    /// Checks that there is exactly one leader among the connected peers, trying ten times
    /// in case re-elections are needed, and returns it.
    pub async fn check_one_leader(&self) -> usize {
        for _ in 0..10 {
            sleep(Duration::from_millis(450 + random::below(100))).await;
            self.check_errors();
            let mut leaders: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
            for (i, (term, is_leader)) in self.connected_states() {
                if is_leader {
                    leaders.entry(term).or_default().push(i);
                }
            }
            for (term, peers) in &leaders {
                if peers.len() > 1 {
                    log::info!(target: "tester", "failed: term {term} has {} (>1) leaders", peers.len());
                    panic!("term {term} has {} (>1) leaders", peers.len());
                }
            }
            if let Some((term, peers)) = leaders.last_key_value() {
                log::info!(target: "tester", "check_one_leader: S{} in T{term}", peers[0]);
                return peers[0];
            }
        }
        log::info!(target: "tester", "failed: expected one leader, got none");
        panic!("expected one leader, got none");
    }

    /// Checks that every connected peer is in the same term, and returns it.
    pub fn check_terms(&self) -> u64 {
        self.check_errors();
        let mut terms = self
            .connected_states()
            .into_iter()
            .map(|(_, (term, _))| term);
        let Some(term) = terms.next() else {
            panic!("no connected peer to take the term from");
        };
        if terms.any(|other| other != term) {
            panic!("servers disagree on term");
        }
        term
    }

    /// Checks that no connected peer believes it is the leader.
    pub fn check_no_leader(&self) {
        self.check_errors();
        if let Some((i, _)) = self
            .connected_states()
            .into_iter()
            .find(|(_, (_, is_leader))| *is_leader)
        {
            panic!("expected no leader among connected servers, but {i} claims to be leader");
        }
    }

    /// Looks at every peer for the safety checks, and fails the test if they, an applier
    /// or the network found an error.
    fn check_errors(&self) {
        monitor::look(&self.shared, &self.checks, false);
        // The lock is released before failing: the test's cleanup takes it again.
        let error = {
            let shared = self.shared();
            shared
                .programming_error
                .clone()
                .or_else(|| shared.applied.first_error())
        };
        let error = error.or_else(|| self.checks().first_error());
        if let Some(error) = error {
            panic!("{error}");
        }
    }

    /// How many peers have applied a command at `index`, and which command.
    pub fn n_committed(&self, index: u64) -> (usize, Option<Vec<u8>>) {
        self.check_errors();
        let applied: Vec<Vec<u8>> = {
            let shared = self.shared();
            (0..self.n)
                .filter_map(|i| shared.applied.command(i, index).cloned())
                .collect()
        };
        if let Some(other) = applied.iter().find(|command| **command != applied[0]) {
            panic!(
                "committed values do not match: index {index}, {}, {}",
                applier::describe(&applied[0]),
                applier::describe(other)
            );
        }
        (applied.len(), applied.into_iter().next())
    }

    /// Waits for at least `n` peers to commit `index`, but not forever. Returns `None` if
    /// a peer moved past `start_term`, since agreement is then no longer guaranteed.
    pub async fn wait(&self, index: u64, n: usize, start_term: Option<u64>) -> Option<Vec<u8>> {
        let mut pause = Duration::from_millis(10);
        for _ in 0..30 {
            if self.n_committed(index).0 >= n {
                break;
            }
            sleep(pause).await;
            if pause < Duration::from_secs(1) {
                pause *= 2;
            }
            if let Some(start_term) = start_term {
                let rafts: Vec<(usize, Arc<R>)> = {
                    let shared = self.shared();
                    let running = shared.rafts.iter().enumerate();
                    running.filter_map(|(i, r)| Some((i, r.clone()?))).collect()
                };
                let states: Vec<(usize, (u64, bool))> = rafts
                    .iter()
                    .map(|(i, raft)| {
                        let state = || raft.get_state();
                        (*i, within(|| format!("server {i}'s get_state()"), state))
                    })
                    .collect();
                for &(i, (term, leader)) in &states {
                    self.checks().state(i, term, leader);
                }
                if states.iter().any(|(_, (term, _))| *term > start_term) {
                    return None;
                }
            }
        }
        let (count, command) = self.n_committed(index);
        if count < n {
            self.fail_with_cause(format!(
                "only {count} decided for index {index}; wanted {n}"
            ));
        }
        command
    }

    /// A complete agreement on `command`, which must be committed by `expected_servers`
    /// peers; returns its index. Gives up after about 10 seconds. With `retry`, the command
    /// may be submitted again, in case a leader fails just after `start`.
    pub async fn one<C: Gob>(&self, command: &C, expected_servers: usize, retry: bool) -> u64 {
        let bytes = match labgob::encode(command) {
            Ok(bytes) => bytes,
            Err(err) => panic!("cannot encode the command {command:?}: {err}"),
        };
        let t0 = Instant::now();
        let mut starts = 0;
        while t0.elapsed() < Duration::from_secs(10) {
            let mut index = None;
            for _ in 0..self.n {
                starts = (starts + 1) % self.n;
                let raft = {
                    let shared = self.shared();
                    shared.connected[starts]
                        .then(|| shared.rafts[starts].clone())
                        .flatten()
                };
                let start = |raft: Arc<R>| {
                    let call = || raft.start(bytes.clone());
                    within(
                        || format!("server {starts}'s start({})", applier::describe(&bytes)),
                        call,
                    )
                };
                if let Some((i, _term)) = raft.and_then(start) {
                    index = Some(i);
                    break;
                }
            }
            let Some(index) = index else {
                sleep(Duration::from_millis(50)).await;
                continue;
            };
            // Somebody claimed to be the leader and to have submitted the command.
            let t1 = Instant::now();
            while t1.elapsed() < Duration::from_secs(2) {
                let (count, applied) = self.n_committed(index);
                if count > 0 && count >= expected_servers && applied.as_ref() == Some(&bytes) {
                    log::info!(target: "tester", "one({command:?}): committed at index {index}");
                    return index;
                }
                sleep(Duration::from_millis(20)).await;
            }
            if !retry {
                self.fail_with_cause(failed_agreement(command));
            }
        }
        self.fail_with_cause(failed_agreement(command))
    }

    /// Fails the test with `message`, and the likely cause when the tester sees one.
    fn fail_with_cause(&self, message: String) -> ! {
        log::info!(target: "tester", "failed: {message}");
        let cause = self.shared().applied.stuck_in_snapshot();
        match cause {
            Some(cause) => panic!("{message}\n  likely cause: {cause}"),
            None => panic!("{message}"),
        }
    }

    /// Starts a test: prints its description and notes the counters.
    pub fn begin(&self, description: &str) {
        report::begin(description);
        let max_index0 = self.shared().applied.max_index();
        *self.stats.lock().unwrap_or_else(PoisonError::into_inner) = Stats {
            description: description.to_owned(),
            t0: Some(Instant::now()),
            rpcs0: self.rpc_total(),
            bytes0: self.bytes_total(),
            max_index0,
        };
    }

    /// Ends a test that passed: prints the time, peers, RPCs, bytes and commands it took.
    pub fn end(&self) {
        self.check_timeout();
        self.check_errors();
        let max_index = self.shared().applied.max_index();
        let stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        let seconds = stats.t0.map_or(0.0, |t0| t0.elapsed().as_secs_f64());
        report::passed(
            &stats.description,
            seconds,
            self.n,
            self.rpc_total() - stats.rpcs0,
            self.bytes_total() - stats.bytes0,
            max_index - stats.max_index0,
        );
        let warnings = *self.warnings.lock().unwrap_or_else(PoisonError::into_inner);
        report::warnings_total(warnings);
    }

    /// A warning, as Go's tester gives (`warning: term changed even though there were no
    /// failures`): shown even when the test passes, and counted; with `LAB_STRICT=1` it
    /// fails the test.
    pub fn warning(&self, text: &str) {
        *self.warnings.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        if checks::strict() {
            log::info!(target: "tester", "failed: warning: {text}");
            panic!("warning: {text} (a failure with {}=1)", checks::STRICT_VAR);
        }
        report::warning(text);
    }

    fn check_timeout(&self) {
        if self.start.elapsed() > TEST_TIME_LIMIT {
            panic!(
                "test took longer than {} seconds",
                TEST_TIME_LIMIT.as_secs()
            );
        }
    }

    /// The largest Raft state any peer has persisted.
    pub fn log_size(&self) -> usize {
        self.persisters()
            .iter()
            .map(|p| p.raft_state_size())
            .max()
            .unwrap_or(0)
    }

    /// The largest snapshot any peer has persisted.
    pub fn snapshot_size(&self) -> usize {
        self.persisters()
            .iter()
            .map(|p| p.snapshot_size())
            .max()
            .unwrap_or(0)
    }

    /// What peer `i` persisted last (its current persister), if it ever ran.
    pub fn persister(&self, i: usize) -> Arc<Persister> {
        self.shared().saved[i].clone().unwrap_or_default()
    }

    fn persisters(&self) -> Vec<Arc<Persister>> {
        self.shared().saved.iter().flatten().cloned().collect()
    }
}

fn failed_agreement(command: &impl Debug) -> String {
    format!("one({command:?}) failed to reach agreement")
}

/// Go's `cleanup`: kill every peer and shut the network.
impl<R: RaftPeer> Drop for Config<R> {
    fn drop(&mut self) {
        // No lock to wait for: an applier may hold `shared` (another thread, in real time),
        // and a test that failed holding it has released it (poisoned) by now.
        let peers = self.peers.get_mut().unwrap_or_else(PoisonError::into_inner);
        for (i, raft) in peers.iter_mut().enumerate() {
            let Some(raft) = raft.take() else { continue };
            within(|| format!("server {i}'s kill()"), || raft.kill());
        }
        // `Shared`'s references go too: the appliers hold `Shared`, and a peer holds its
        // applier's channel, so leaving them would keep both alive for good in simulation
        // (madsim never drops a pending task). Busy only in real time, where the runtime's
        // end drops the appliers and so the cycle.
        let shared = match self.shared.try_lock() {
            Ok(shared) => Some(shared),
            Err(std::sync::TryLockError::Poisoned(shared)) => Some(shared.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        };
        if let Some(mut shared) = shared {
            shared.rafts.iter_mut().for_each(|raft| *raft = None);
        }
        self.net.cleanup();
    }
}
