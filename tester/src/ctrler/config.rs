//! The test configuration: shard controller servers on Raft and their clerks on one labrpc
//! network, as Go's shardctrler `config.go`. It is lab 3's `KvConfig` with the controller
//! in the place of the key/value server: the same network, partitions, restarts and Raft
//! checks.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lab_runtime::time::Instant;
use labrpc::{ClientEnd, Service};

use super::report::Steps;
use super::service::{Config, CtrlerClerk, CtrlerService, Gid};
use crate::kv::{KvConfig, KvService, TestClerk};
use crate::persister::Persister;

/// A controller seen as lab 3's configuration sees a service. It never snapshots: Go's
/// controller has no `maxraftstate`.
pub(crate) struct AsKv<S>(S);

impl<S: CtrlerService> KvService for AsKv<S> {
    type Raft = S::Raft;

    fn start(
        servers: Vec<ClientEnd>,
        me: usize,
        persister: Arc<Persister>,
        _max_raft_state: Option<usize>,
    ) -> Self {
        AsKv(S::start(servers, me, persister))
    }

    fn services(&self) -> Vec<Service> {
        self.0.services()
    }

    fn kill(&self) {
        self.0.kill();
    }

    fn raft(&self) -> &S::Raft {
        self.0.raft()
    }
}

/// `n` controller servers of type `S` and clerks of type `C` on one network.
pub struct CtrlerConfig<S: CtrlerService, C: CtrlerClerk> {
    kv: Arc<KvConfig<AsKv<S>, C>>,
    /// When the configuration was made, for the figures the grader records.
    t0: Instant,
    steps: Mutex<Steps>,
}

impl<S: CtrlerService, C: CtrlerClerk> CtrlerConfig<S, C> {
    /// Go's `make_config`: `n` servers, all started and connected, on a network reliable or
    /// not.
    pub fn new(n: usize, unreliable: bool) -> Self {
        CtrlerConfig {
            kv: KvConfig::new(n, unreliable, None),
            t0: Instant::now(),
            steps: Mutex::new(Steps::default()),
        }
    }

    pub fn n(&self) -> usize {
        self.kv.n()
    }

    /// Every server's number (Go's `All()`).
    pub fn all(&self) -> Vec<usize> {
        self.kv.all()
    }

    /// A clerk with ends to every server in a random order, enabled only to those of `to`
    /// (Go's `makeClient`).
    pub fn make_client(&self, to: &[usize]) -> TestClerk<C> {
        self.kv.make_client_with(to, C::new)
    }

    /// Shuts server `i` down, keeping what it persisted (Go's `ShutdownServer`).
    pub fn shutdown_server(&self, i: usize) {
        self.kv.shutdown_server(i);
    }

    /// Starts server `i` with what it last persisted (Go's `StartServer`); its ends are not
    /// enabled until `connect_all`.
    pub fn start_server(&self, i: usize) {
        self.kv.start_server(i);
    }

    /// Connects every server to every other (Go's `ConnectAll`).
    pub fn connect_all(&self) {
        self.kv.connect_all();
    }

    /// Which server believes it leads, the first found (Go's `Leader()`).
    pub fn leader(&self) -> Option<usize> {
        self.kv.leader()
    }

    /// The clerk's `query`, counted.
    pub async fn query(&self, ck: &mut TestClerk<C>, num: Option<u64>) -> Config {
        let config = ck.clerk.query(num).await;
        self.kv.op();
        config
    }

    /// The clerk's `join`, counted.
    pub async fn join(&self, ck: &mut TestClerk<C>, groups: BTreeMap<Gid, Vec<String>>) {
        ck.clerk.join(groups).await;
        self.kv.op();
    }

    /// The clerk's `leave`, counted.
    pub async fn leave(&self, ck: &mut TestClerk<C>, gids: &[Gid]) {
        ck.clerk.leave(gids).await;
        self.kv.op();
    }

    /// The clerk's `move_shard`, counted.
    pub async fn move_shard(&self, ck: &mut TestClerk<C>, shard: usize, gid: Gid) {
        ck.clerk.move_shard(shard, gid).await;
        self.kv.op();
    }

    /// Starts a step of the test: prints its description (Go's `fmt.Printf("Test: ...")`).
    pub fn begin(&self, description: &str) {
        self.steps().begin(description);
    }

    /// Ends a step that passed: `  ... Passed`.
    pub fn passed(&self, description: &str) {
        self.steps().passed(description);
    }

    fn steps(&self) -> MutexGuard<'_, Steps> {
        self.steps.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Fails the test if the Raft checks or the network found an error.
    pub fn check_errors(&self) {
        self.kv.check_errors();
    }

    /// Ends a test that passed: Go's 120 s limit (its `cleanup`), the Raft checks, and the
    /// figures the grader records (Go prints none for the controller).
    pub fn end(&self) {
        self.kv.check_timeout();
        self.check_errors();
        let (rpcs, bytes, ops) = self.kv.totals();
        crate::grade::record_end(crate::grade::Figures {
            seconds: self.t0.elapsed().as_secs_f64(),
            peers: self.n(),
            rpcs,
            bytes,
            commands: ops as u64,
        });
        self.steps().end();
    }
}
