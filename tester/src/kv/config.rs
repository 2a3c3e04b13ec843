//! The test configuration: key/value servers on Raft and their clerks on one labrpc
//! network, as Go's kvraft `config.go`.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use lab_runtime::random;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep_exact, Duration, Instant};
use labrpc::{ClientEnd, Network, Server};

use super::history::History;
use super::report;
use super::service::{KvClerk, KvService};
use crate::checks::{monitor, Checks};
use crate::harness::TEST_TIME_LIMIT;
use crate::peer::RaftPeer;
use crate::persister::Persister;
use crate::ELECTION_TIMEOUT;

/// How long `check_logs_trimmed` waits for an oversized Raft state to shrink again: five
/// election timeouts, the 5 s Go allows for electing a leader.
const TRIM_PATIENCE: Duration = ELECTION_TIMEOUT.saturating_mul(5);
/// How often it looks.
const TRIM_POLL: Duration = Duration::from_millis(10);

/// A clerk the configuration made, with the names of its ends so that the test can
/// connect and disconnect it (Go keys its `clerks` map by the clerk itself).
pub struct TestClerk<C> {
    pub(crate) id: usize,
    pub(crate) clerk: C,
}

impl<C> TestClerk<C> {
    /// The handle to connect or disconnect this clerk after it moved into a task.
    pub fn id(&self) -> ClerkId {
        ClerkId(self.id)
    }
}

/// Names a clerk of the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClerkId(usize);

/// `n` key/value servers of type `S` and clerks of type `C` on one network. The clerk
/// type is bound only where a clerk is made, so that services with other clerks (the
/// shard controller's) reuse the configuration.
pub struct KvConfig<S: KvService, C> {
    n: usize,
    net: Network,
    /// Server `i` is `{prefix}{i}` on the network: `0`, `1`, ... in lab 3, and in lab 4B
    /// Go's names (`ctrler0`, `server-101-0`), since several clusters share one network.
    prefix: String,
    /// Whether this configuration made the network, so hooks it and cleans it up: a
    /// cluster on another's network (lab 4B's groups) leaves that to the network's owner.
    owns_net: bool,
    /// How server `i` is started: `S::start`, or for a group of lab 4B, a closure that
    /// also hands the server its group's links.
    starter: Starter<S>,
    max_raft_state: Option<usize>,
    servers: Arc<Mutex<Servers<S>>>,
    /// Each clerk's end names, one per server.
    clerks: Mutex<HashMap<usize, Vec<String>>>,
    next_clerk: AtomicUsize,
    /// When the configuration was made, for the time limit.
    start: Instant,
    stats: Mutex<Stats>,
    /// How many clerk operations the test called (Go's `ops`).
    ops: AtomicUsize,
    /// The Raft safety checks of lab 2, watching the Raft under the service.
    checks: Arc<Mutex<Checks>>,
    /// The first programming error a call on the network hit: fatal, as in Go's labrpc.
    programming_error: Arc<Mutex<Option<String>>>,
    pub(crate) history: Arc<History>,
    _clerk: PhantomData<fn() -> C>,
}

/// The servers, what they persisted, and their ends.
pub(crate) struct Servers<S> {
    pub(crate) running: Vec<Option<Arc<S>>>,
    saved: Vec<Option<Arc<Persister>>>,
    /// The names of each server's outgoing ends, one per server.
    end_names: Vec<Vec<String>>,
    /// Each server's instance, bumped at each start, so that the checks tell restarts apart.
    pub(crate) instances: Vec<u64>,
}

/// `begin`'s snapshot of the counters, for `end`.
#[derive(Default)]
struct Stats {
    description: String,
    t0: Option<Instant>,
    rpcs0: usize,
    bytes0: u64,
}

/// Starts server `me` from its ends, persister and `maxraftstate` (`KvService::start`'s
/// arguments).
pub(crate) type Starter<S> =
    Box<dyn Fn(Vec<ClientEnd>, usize, Arc<Persister>, Option<usize>) -> S + Send + Sync>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S: KvService, C> KvConfig<S, C> {
    /// Go's `make_config`: `n` servers, all started and connected, on a network reliable or
    /// not, snapshotting past `max_raft_state` bytes of Raft state (`None`: never).
    pub fn new(n: usize, unreliable: bool, max_raft_state: Option<usize>) -> Arc<Self> {
        let cfg = Self::build(Cluster {
            net: Network::new(),
            owns_net: true,
            prefix: String::new(),
            n,
            max_raft_state,
            history: Arc::default(),
            starter: Box::new(S::start),
        });
        cfg.net.set_reliable(!unreliable);
        cfg
    }

    /// A cluster of `n` servers on a network another configuration owns and hooks (see
    /// `Cluster`), all started and connected.
    pub(crate) fn on_network(cluster: Cluster<S>) -> Arc<Self> {
        Self::build(cluster)
    }

    fn build(cluster: Cluster<S>) -> Arc<Self> {
        let Cluster {
            net,
            owns_net,
            prefix,
            n,
            max_raft_state,
            history,
            starter,
        } = cluster;
        let cfg = Arc::new(KvConfig {
            n,
            net,
            prefix,
            owns_net,
            starter,
            max_raft_state,
            servers: Arc::new(Mutex::new(Servers {
                running: (0..n).map(|_| None).collect(),
                saved: vec![None; n],
                end_names: vec![Vec::new(); n],
                instances: vec![0; n],
            })),
            clerks: Mutex::new(HashMap::new()),
            next_clerk: AtomicUsize::new(0),
            start: Instant::now(),
            stats: Mutex::new(Stats::default()),
            ops: AtomicUsize::new(0),
            checks: Arc::new(Mutex::new(Checks::new(n))),
            programming_error: Arc::new(Mutex::new(None)),
            history,
            _clerk: PhantomData,
        });
        if cfg.owns_net {
            fail_on_programming_errors(&cfg.net, &cfg.programming_error);
            cfg.net
                .on_send(monitor::on_send(Arc::downgrade(&cfg.checks)));
        }
        if cfg!(madsim) && lock(&cfg.checks).enabled() {
            spawn(watch(
                Arc::downgrade(&cfg.servers),
                Arc::downgrade(&cfg.checks),
            ));
        }
        for i in 0..n {
            cfg.start_server(i);
        }
        cfg.connect_all();
        cfg
    }

    /// The Raft checks, for a network owner that hands them what is sent.
    pub(crate) fn checks(&self) -> Weak<Mutex<Checks>> {
        Arc::downgrade(&self.checks)
    }

    /// Server `i`'s name on the network.
    pub(crate) fn name(&self, i: usize) -> String {
        format!("{}{i}", self.prefix)
    }

    /// Server `i` in the tester's messages: `S1` in lab 3, its network name in lab 4B.
    fn label(&self, i: usize) -> String {
        if self.prefix.is_empty() {
            format!("S{i}")
        } else {
            self.name(i)
        }
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// Every server's number (Go's `All()`).
    pub fn all(&self) -> Vec<usize> {
        (0..self.n).collect()
    }

    /// Server `i`, unless it is shut down.
    pub fn server(&self, i: usize) -> Option<Arc<S>> {
        lock(&self.servers).running[i].clone()
    }

    /// Enables the ends between server `i` and each server of `to`, both ways.
    fn connect(&self, servers: &Servers<S>, i: usize, to: &[usize]) {
        for &j in to {
            for (from, to) in [(i, j), (j, i)] {
                if let Some(name) = servers.end_names[from].get(to) {
                    self.net.enable(name, true);
                }
            }
        }
    }

    /// Disables the ends between server `i` and each server of `from`, both ways.
    fn disconnect(&self, servers: &Servers<S>, i: usize, from: &[usize]) {
        for &j in from {
            for (from, to) in [(i, j), (j, i)] {
                if let Some(name) = servers.end_names[from].get(to) {
                    self.net.enable(name, false);
                }
            }
        }
    }

    /// Connects every server to every other.
    pub fn connect_all(&self) {
        let servers = lock(&self.servers);
        let all = self.all();
        for i in 0..self.n {
            self.connect(&servers, i, &all);
        }
        drop(servers);
        self.history.end_event("partition");
        log::info!(target: "tester", "all servers connected");
    }

    /// Two partitions, each connected within itself and cut off from the other.
    pub fn partition(&self, p1: &[usize], p2: &[usize]) {
        let servers = lock(&self.servers);
        for &i in p1 {
            self.disconnect(&servers, i, p2);
            self.connect(&servers, i, p1);
        }
        for &i in p2 {
            self.disconnect(&servers, i, p1);
            self.connect(&servers, i, p2);
        }
        drop(servers);
        log::info!(target: "tester", "partition {p1:?} {p2:?}");
        self.history.end_event("partition");
        self.history
            .begin_event("partition", format!("partition {p1:?} | {p2:?}"));
    }

    /// A clerk with ends to every server, enabled only to those of `to` (Go's
    /// `makeClient`). Its ends reach the servers in a random order, as in Go.
    pub fn make_client(&self, to: &[usize]) -> TestClerk<C>
    where
        C: KvClerk,
    {
        self.make_client_with(to, C::new)
    }

    /// `make_client` for a clerk that `new` makes from its ends.
    pub(crate) fn make_client_with<X>(
        &self,
        to: &[usize],
        new: impl FnOnce(Vec<ClientEnd>) -> X,
    ) -> TestClerk<X> {
        let names: Vec<String> = (0..self.n).map(|_| random::string(20)).collect();
        let mut ends: Vec<ClientEnd> = names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let end = self.net.make_end(name);
                self.net.connect(name, self.name(j));
                end
            })
            .collect();
        shuffle(&mut ends);
        let id = self.next_clerk.fetch_add(1, Ordering::Relaxed);
        lock(&self.clerks).insert(id, names);
        let clerk = TestClerk {
            id,
            clerk: new(ends),
        };
        self.connect_client(clerk.id(), to);
        clerk
    }

    /// Forgets a clerk that is done (Go's `deleteClient`).
    pub fn delete_client(&self, clerk: ClerkId) {
        lock(&self.clerks).remove(&clerk.0);
    }

    /// Enables the clerk's ends to the servers of `to`.
    pub fn connect_client(&self, clerk: ClerkId, to: &[usize]) {
        self.enable_client(clerk, to, true);
    }

    /// Disables the clerk's ends to the servers of `from`.
    pub fn disconnect_client(&self, clerk: ClerkId, from: &[usize]) {
        self.enable_client(clerk, from, false);
    }

    fn enable_client(&self, clerk: ClerkId, servers: &[usize], enabled: bool) {
        let clerks = lock(&self.clerks);
        let Some(names) = clerks.get(&clerk.0) else {
            panic!("clerk {} is not a clerk of this configuration", clerk.0);
        };
        for &j in servers {
            self.net.enable(&names[j], enabled);
        }
    }

    /// Shuts server `i` down, keeping what it persisted (Go's `ShutdownServer`).
    pub fn shutdown_server(&self, i: usize) {
        let (server, ends) = {
            let mut servers = lock(&self.servers);
            let all = self.all();
            self.disconnect(&servers, i, &all);
            // Cut the clerks off before the persister is replaced, so that the old instance
            // cannot answer a request whose effect it saves only in the superseded one.
            self.net.delete_server(self.name(i));
            if let Some(saved) = &servers.saved[i] {
                servers.saved[i] = Some(Arc::new(saved.copy()));
            }
            (servers.running[i].take(), servers.end_names[i].clone())
        };
        if let Some(server) = server {
            let label = self.label(i);
            log::info!(target: "tester", "{label} shut down");
            self.history
                .instant_event("crash", format!("{label} shut down"));
            server.kill();
            lock(&self.checks).killed(i, ends, Instant::now());
        }
    }

    /// Starts server `i` with what it last persisted, fresh ends and a fresh persister (Go's
    /// `StartServer`; shut it down first to restart it). Its ends are not enabled yet.
    pub fn start_server(&self, i: usize) {
        let names: Vec<String> = (0..self.n).map(|_| random::string(20)).collect();
        let ends = names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let end = self.net.make_end(name);
                self.net.connect(name, self.name(j));
                end
            })
            .collect();
        let persister = {
            let mut servers = lock(&self.servers);
            servers.end_names[i] = names;
            servers.instances[i] += 1;
            let persister = Arc::new(match &servers.saved[i] {
                Some(saved) => saved.copy(),
                None => Persister::new(),
            });
            servers.saved[i] = Some(persister.clone());
            persister
        };
        let label = self.label(i);
        log::info!(target: "tester", "{label} started");
        self.history
            .instant_event("crash", format!("{label} started"));
        let server = Arc::new((self.starter)(ends, i, persister, self.max_raft_state));
        let rpc_server = Server::new();
        for service in server.services() {
            rpc_server.add_service(service);
        }
        lock(&self.servers).running[i] = Some(server);
        self.net.add_server(self.name(i), rpc_server);
    }

    /// Enables the ends between server `i` and every other, both ways (Go's shardkv
    /// `StartServer` enables a restarted server's ends at once).
    pub(crate) fn connect_server(&self, i: usize) {
        let servers = lock(&self.servers);
        self.connect(&servers, i, &self.all());
    }

    /// Whether some server believes it leads, and which (Go's `Leader()`: the first found).
    pub fn leader(&self) -> Option<usize> {
        self.look();
        let running: Vec<(usize, Arc<S>)> = {
            let servers = lock(&self.servers);
            let running = servers.running.iter().enumerate();
            running.filter_map(|(i, s)| Some((i, s.clone()?))).collect()
        };
        running
            .into_iter()
            .find(|(_, server)| server.raft().get_state().1)
            .map(|(i, _)| i)
    }

    /// Two partitions, the current leader last in the minority (Go's `make_partition`).
    pub fn make_partition(&self) -> (Vec<usize>, Vec<usize>) {
        let leader = self.leader().unwrap_or(0);
        let others = (0..self.n).filter(|&i| i != leader);
        let mut p1: Vec<usize> = others.collect();
        let mut p2 = p1.split_off(self.n / 2 + 1);
        p2.push(leader);
        (p1, p2)
    }

    /// The largest Raft state any server has persisted (Go's `LogSize`).
    pub fn log_size(&self) -> usize {
        let servers = lock(&self.servers);
        let saved = servers.saved.iter().flatten();
        saved.map(|p| p.raft_state_size()).max().unwrap_or(0)
    }

    /// Go's check that the servers trimmed their logs: no server's Raft state above
    /// `8 * max_raft_state` bytes. Go looks once; but a server whose applier is behind its
    /// Raft (as a loaded machine makes it) has not yet applied, so cannot yet have
    /// snapshotted, what it holds. So while the largest state is over the bound and still
    /// shrinking, this waits; it fails once that state has not shrunk for `TRIM_PATIENCE`.
    /// A server that never snapshots never shrinks, and fails as in Go, that much later.
    pub async fn check_logs_trimmed(&self, max_raft_state: usize) {
        let bound = 8 * max_raft_state;
        let mut smallest_seen = self.log_size();
        let mut shrunk_at = Instant::now();
        loop {
            let size = self.log_size();
            if size <= bound {
                return;
            }
            if size < smallest_seen {
                log::info!(target: "tester", "Raft state {size} > 8*{max_raft_state} bytes, still shrinking");
                smallest_seen = size;
                shrunk_at = Instant::now();
            } else if shrunk_at.elapsed() > TRIM_PATIENCE {
                panic!("logs were not trimmed ({size} > 8*{max_raft_state})");
            }
            sleep_exact(TRIM_POLL).await;
        }
    }

    /// The largest snapshot any server has persisted (Go's `SnapshotSize`).
    pub fn snapshot_size(&self) -> usize {
        let servers = lock(&self.servers);
        let saved = servers.saved.iter().flatten();
        saved.map(|p| p.snapshot_size()).max().unwrap_or(0)
    }

    /// What server `i` persisted last (its current persister), if it ever ran.
    pub fn persister(&self, i: usize) -> Arc<Persister> {
        lock(&self.servers).saved[i].clone().unwrap_or_default()
    }

    /// Counts one clerk operation of the test (Go's `op()`).
    pub(crate) fn op(&self) {
        self.ops.fetch_add(1, Ordering::Relaxed);
    }

    /// Shows the checks every running Raft, and fails the test if they or the network
    /// found an error.
    pub fn check_errors(&self) {
        self.look();
        let error = lock(&self.programming_error).clone();
        let error = error.or_else(|| lock(&self.checks).first_error());
        if let Some(error) = error {
            panic!("{error}");
        }
    }

    fn look(&self) {
        look(&self.servers, &self.checks);
    }

    /// Starts a test: prints its description and notes the counters (Go's `begin`).
    pub fn begin(&self, description: &str) {
        report::begin(description);
        *lock(&self.stats) = Stats {
            description: description.to_owned(),
            t0: Some(Instant::now()),
            rpcs0: self.net.total_count(),
            bytes0: self.net.total_bytes(),
        };
        self.ops.store(0, Ordering::Relaxed);
    }

    /// Ends a test that passed: prints the time, servers, RPCs and clerk operations it took.
    pub fn end(&self) {
        self.check_timeout();
        self.check_errors();
        let stats = lock(&self.stats);
        report::passed(report::Figures {
            description: &stats.description,
            seconds: stats.t0.map_or(0.0, |t0| t0.elapsed().as_secs_f64()),
            servers: self.n,
            rpcs: self.net.total_count() - stats.rpcs0,
            bytes: self.net.total_bytes() - stats.bytes0,
            ops: self.ops.load(Ordering::Relaxed),
        });
    }

    /// The RPCs and bytes sent on the network, and the clerk operations counted, so far.
    pub(crate) fn totals(&self) -> (usize, u64, usize) {
        let ops = self.ops.load(Ordering::Relaxed);
        (self.net.total_count(), self.net.total_bytes(), ops)
    }

    pub(crate) fn check_timeout(&self) {
        if self.start.elapsed() > TEST_TIME_LIMIT {
            panic!(
                "test took longer than {} seconds",
                TEST_TIME_LIMIT.as_secs()
            );
        }
    }
}

/// Go's labrpc stops the test on a call to an unknown method or with the wrong types; here
/// the call returns an error, so the tester records the first in `slot` and fails the test
/// with it. Shared with lab 4B's configuration, which owns its network.
pub(crate) fn fail_on_programming_errors(net: &Network, slot: &Arc<Mutex<Option<String>>>) {
    let first = Arc::downgrade(slot);
    net.on_programming_error(move |error| {
        let message = format!("an RPC of the service failed: {error}");
        log::error!(target: "tester", "{message}");
        if let Some(first) = first.upgrade() {
            lock(&first).get_or_insert(message.clone());
        }
        lab_runtime::fail_run(message);
    });
}

/// What a cluster on a shared network is made of (lab 4B: the controllers and each
/// replica group share one network, as in Go).
pub(crate) struct Cluster<S> {
    pub(crate) net: Network,
    /// Whether the cluster owns the network: hooks it for programming errors and the
    /// silence check, and cleans it up when dropped.
    pub(crate) owns_net: bool,
    /// Server `i` is `{prefix}{i}` on the network.
    pub(crate) prefix: String,
    pub(crate) n: usize,
    pub(crate) max_raft_state: Option<usize>,
    /// Where operations and the tester's events go.
    pub(crate) history: Arc<History>,
    pub(crate) starter: Starter<S>,
}

/// Go's `random_handles`: a clerk must not learn which server is which from its ends' order.
fn shuffle(ends: &mut [ClientEnd]) {
    for i in 1..ends.len() {
        let j = random::below(i as u64 + 1) as usize;
        ends.swap(i, j);
    }
}

/// Shows the checks every running server's Raft. No lock is held while a Raft is asked.
fn look<S: KvService>(servers: &Mutex<Servers<S>>, checks: &Mutex<Checks>) {
    if !lock(checks).enabled() {
        return;
    }
    let running: Vec<(usize, u64, Arc<S>)> = {
        let servers = lock(servers);
        (0..servers.running.len())
            .filter_map(|i| Some((i, servers.instances[i], servers.running[i].clone()?)))
            .collect()
    };
    for (i, instance, server) in running {
        match server.raft().inspect() {
            Some(inspection) => lock(checks).inspection(i, instance, inspection),
            None => {
                let (term, leader) = server.raft().get_state();
                lock(checks).state(i, term, leader);
            }
        }
    }
}

/// In simulation, looks at every Raft each millisecond of virtual time until the
/// configuration is gone, as lab 2's tester does.
async fn watch<S: KvService>(servers: Weak<Mutex<Servers<S>>>, checks: Weak<Mutex<Checks>>) {
    loop {
        sleep_exact(monitor::POLL).await;
        let (Some(servers), Some(checks)) = (servers.upgrade(), checks.upgrade()) else {
            return;
        };
        look(&servers, &checks);
    }
}

/// Go's `cleanup`: kill every server and shut the network.
impl<S: KvService, C> Drop for KvConfig<S, C> {
    fn drop(&mut self) {
        let running: Vec<Arc<S>> = {
            let mut servers = lock(&self.servers);
            servers
                .running
                .iter_mut()
                .filter_map(Option::take)
                .collect()
        };
        for server in running {
            server.kill();
        }
        if self.owns_net {
            self.net.cleanup();
        }
    }
}
