//! The test configuration: the shard controller's servers and three replica groups of
//! key/value servers, all on one labrpc network, and their clerks (Go's shardkv
//! `config.go`). The controllers and each group are a cluster of lab 3's `KvConfig`, so
//! restarts, persisters and the Raft checks of lab 2 work as there.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use lab_runtime::random;
use lab_runtime::time::Instant;
use labrpc::{ClientEnd, Network, Service};

use super::service::{MakeEnd, ShardKvClerk, ShardKvService};
use crate::checks::{monitor, Checks};
use crate::ctrler::{AsKv, Config, CtrlerClerk, CtrlerService, Gid, Steps};
use crate::harness::TEST_TIME_LIMIT;
use crate::kv::clerks::{Call, Record};
use crate::kv::config::{fail_on_programming_errors, Cluster};
use crate::kv::history::{History, OpKind};
use crate::kv::{ClerkId, KvConfig, KvService, TestClerk};
use crate::persister::Persister;

/// Go's `nctrlers`: the controller runs on three servers.
pub const NCTRLERS: usize = 3;
/// Go's `ngroups`: three replica groups, gids 100, 101 and 102.
pub const NGROUPS: usize = 3;
/// Group `gi`'s gid is `FIRST_GID + gi`.
pub const FIRST_GID: Gid = 100;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A group's server seen as lab 3's configuration sees a service. Its group's
/// configuration starts it through its own starter, which hands it the group's links.
pub(crate) struct Member<S>(S);

impl<S: ShardKvService> KvService for Member<S> {
    type Raft = S::Raft;

    fn start(
        _servers: Vec<ClientEnd>,
        _me: usize,
        _persister: Arc<Persister>,
        _max_raft_state: Option<usize>,
    ) -> Self {
        // Every group's `KvConfig` is made with a starter; nothing calls this.
        unreachable!("a replica group's server is started by ShardKvConfig, with its gid")
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

/// One replica group (Go's `group`).
struct Group<S: ShardKvService> {
    gid: Gid,
    kv: Arc<KvConfig<Member<S>, ()>>,
    /// Each server's ends to the controllers (Go's `mendnames`), disabled when it shuts
    /// down.
    mend_names: Arc<Mutex<Vec<Vec<String>>>>,
}

/// The controllers, `NGROUPS` groups of `n` servers of type `S`, and clerks of type `C`;
/// the controller's servers are `CS` and its clerk `CC`.
pub struct ShardKvConfig<S, C, CS, CC>
where
    S: ShardKvService,
    CS: CtrlerService,
{
    net: Network,
    n: usize,
    max_raft_state: Option<usize>,
    ctrlers: Arc<KvConfig<AsKv<CS>, CC>>,
    /// The tester's own controller clerk (Go's `mck`), for joins and leaves.
    mck: futures::lock::Mutex<TestClerk<CC>>,
    groups: Vec<Group<S>>,
    history: Arc<History>,
    /// When the configuration was made, for Go's 120 s limit and the grader's figures.
    start: Instant,
    /// How many clerk operations the test called.
    ops: AtomicUsize,
    /// The first programming error a call on the network hit: fatal, as in Go's labrpc.
    programming_error: Arc<Mutex<Option<String>>>,
    steps: Mutex<Steps>,
    _clerk: PhantomData<fn() -> C>,
}

/// Makes an end to each of `servers` (names on the network), connected and enabled; the
/// ends, and their names.
fn ends_to(net: &Network, servers: impl Iterator<Item = String>) -> (Vec<ClientEnd>, Vec<String>) {
    servers
        .map(|server| {
            let name = random::string(20);
            let end = net.make_end(&name);
            net.connect(&name, server);
            net.enable(&name, true);
            (end, name)
        })
        .unzip()
}

/// Go's `make_end` closure: a fresh end, enabled, to the server of that name.
fn make_end(net: &Network) -> MakeEnd {
    let net = net.clone();
    Arc::new(move |server: &str| {
        let (mut ends, _) = ends_to(&net, std::iter::once(server.to_owned()));
        // `ends_to` makes one end per name given.
        ends.remove(0)
    })
}

fn ctrler_name(i: usize) -> String {
    format!("ctrler{i}")
}

/// Group `gid`'s server `i` on the network (Go's `servername`).
fn server_name(gid: Gid, i: usize) -> String {
    format!("server-{gid}-{i}")
}

impl<S, C, CS, CC> ShardKvConfig<S, C, CS, CC>
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    /// Go's `make_config`: the controllers, and three groups of `n` servers each that
    /// snapshot past `max_raft_state` bytes (`None`: never), all started, on a network
    /// reliable or not. No group has joined yet.
    pub fn new(n: usize, unreliable: bool, max_raft_state: Option<usize>) -> Arc<Self> {
        let net = Network::new();
        let history = Arc::new(History::default());
        let programming_error = Arc::new(Mutex::new(None));
        fail_on_programming_errors(&net, &programming_error);

        let ctrlers = KvConfig::on_network(Cluster {
            net: net.clone(),
            owns_net: false,
            prefix: "ctrler".to_owned(),
            n: NCTRLERS,
            max_raft_state: None,
            history: history.clone(),
            starter: Box::new(<AsKv<CS> as KvService>::start),
        });
        let mck = ctrlers.make_client_with(&ctrlers.all(), CC::new);

        let groups: Vec<Group<S>> = (0..NGROUPS)
            .map(|gi| {
                let gid = FIRST_GID + gi as Gid;
                let mend_names = Arc::new(Mutex::new(vec![Vec::new(); n]));
                let (net1, names) = (net.clone(), mend_names.clone());
                let starter = move |ends, me: usize, persister, max| {
                    let (mends, mnames) = ends_to(&net1, (0..NCTRLERS).map(ctrler_name));
                    if let Some(slot) = lock(&names).get_mut(me) {
                        *slot = mnames;
                    }
                    let make_end = make_end(&net1);
                    Member(S::start(ends, me, persister, max, gid, mends, make_end))
                };
                let kv = KvConfig::on_network(Cluster {
                    net: net.clone(),
                    owns_net: false,
                    prefix: format!("server-{gid}-"),
                    n,
                    max_raft_state,
                    history: history.clone(),
                    starter: Box::new(starter),
                });
                Group {
                    gid,
                    kv,
                    mend_names,
                }
            })
            .collect();

        // The silence check of each cluster sees every request sent on the network.
        let mut checks: Vec<Weak<Mutex<Checks>>> = vec![ctrlers.checks()];
        checks.extend(groups.iter().map(|g| g.kv.checks()));
        let hooks: Vec<_> = checks.into_iter().map(monitor::on_send).collect();
        net.on_send(move |end| hooks.iter().for_each(|hook| hook(end)));
        net.set_reliable(!unreliable);

        Arc::new(ShardKvConfig {
            net,
            n,
            max_raft_state,
            ctrlers,
            mck: futures::lock::Mutex::new(mck),
            groups,
            history,
            start: Instant::now(),
            ops: AtomicUsize::new(0),
            programming_error,
            steps: Mutex::new(Steps::default()),
            _clerk: PhantomData,
        })
    }

    /// Servers per group (Go's `n`).
    pub fn n(&self) -> usize {
        self.n
    }

    /// Group `gi`'s gid.
    pub fn gid(&self, gi: usize) -> Gid {
        self.groups[gi].gid
    }

    /// Go's `net.Reliable`.
    pub fn set_reliable(&self, reliable: bool) {
        self.net.set_reliable(reliable);
    }

    /// A clerk with ends to the controllers and Go's `make_end` (Go's `makeClient`).
    pub fn make_client(&self) -> TestClerk<C> {
        let net = self.net.clone();
        self.ctrlers
            .make_client_with(&self.ctrlers.all(), move |ends| {
                C::new(ends, make_end(&net))
            })
    }

    /// Forgets a clerk that is done (Go's `deleteClient`).
    pub fn delete_client(&self, clerk: ClerkId) {
        self.ctrlers.delete_client(clerk);
    }

    /// Shuts server `i` of group `gi` down, keeping what it persisted (Go's
    /// `ShutdownServer`): its ends to its group and to the controllers are disabled first.
    pub fn shutdown_server(&self, gi: usize, i: usize) {
        let group = &self.groups[gi];
        for name in lock(&group.mend_names)[i].iter() {
            self.net.enable(name, false);
        }
        group.kv.shutdown_server(i);
    }

    /// Go's `ShutdownGroup`.
    pub fn shutdown_group(&self, gi: usize) {
        for i in 0..self.n {
            self.shutdown_server(gi, i);
        }
    }

    /// Starts server `i` of group `gi` with what it last persisted, connected at once (Go's
    /// `StartServer`).
    pub fn start_server(&self, gi: usize, i: usize) {
        let group = &self.groups[gi];
        group.kv.start_server(i);
        group.kv.connect_server(i);
    }

    /// Go's `StartGroup`.
    pub fn start_group(&self, gi: usize) {
        for i in 0..self.n {
            self.start_server(gi, i);
        }
    }

    /// Tells the controller that group `gi` joins (Go's `join`).
    pub async fn join(&self, gi: usize) {
        self.joinm(&[gi]).await;
    }

    /// Tells the controller that the groups `gis` join at once (Go's `joinm`).
    pub async fn joinm(&self, gis: &[usize]) {
        let groups: BTreeMap<Gid, Vec<String>> = gis
            .iter()
            .map(|&gi| {
                let gid = self.gid(gi);
                (gid, (0..self.n).map(|i| server_name(gid, i)).collect())
            })
            .collect();
        log::info!(target: "tester", "join {:?}", groups.keys());
        self.history
            .instant_event("config", format!("join {:?}", groups.keys()));
        self.mck.lock().await.clerk.join(groups).await;
    }

    /// Tells the controller that group `gi` leaves (Go's `leave`).
    pub async fn leave(&self, gi: usize) {
        self.leavem(&[gi]).await;
    }

    /// Tells the controller that the groups `gis` leave at once (Go's `leavem`).
    pub async fn leavem(&self, gis: &[usize]) {
        let gids: Vec<Gid> = gis.iter().map(|&gi| self.gid(gi)).collect();
        log::info!(target: "tester", "leave {gids:?}");
        self.history
            .instant_event("config", format!("leave {gids:?}"));
        self.mck.lock().await.clerk.leave(&gids).await;
    }

    /// The latest configuration, from the tester's controller clerk (Go's
    /// `cfg.mck.Query(-1)`).
    pub async fn query_latest(&self) -> Config {
        self.mck.lock().await.clerk.query(None).await
    }

    pub async fn get(&self, ck: &mut TestClerk<C>, key: &str, record: Record) -> String {
        let call = Call {
            record,
            kind: OpKind::Get,
            key,
            value: "",
        };
        let value = self.history.run(call, ck.clerk.get(key)).await;
        self.ops.fetch_add(1, Ordering::Relaxed);
        value
    }

    pub async fn put(&self, ck: &mut TestClerk<C>, key: &str, value: &str, record: Record) {
        let call = Call {
            record,
            kind: OpKind::Put,
            key,
            value,
        };
        let put = async {
            ck.clerk.put(key, value).await;
            String::new()
        };
        self.history.run(call, put).await;
        self.ops.fetch_add(1, Ordering::Relaxed);
    }

    pub async fn append(&self, ck: &mut TestClerk<C>, key: &str, value: &str, record: Record) {
        let call = Call {
            record,
            kind: OpKind::Append,
            key,
            value,
        };
        let append = async {
            ck.clerk.append(key, value).await;
            String::new()
        };
        self.history.run(call, append).await;
        self.ops.fetch_add(1, Ordering::Relaxed);
    }

    /// Go's `check`: a `Get` of `key` must return `value`.
    pub async fn check(&self, ck: &mut TestClerk<C>, key: &str, value: &str) {
        let got = self.get(ck, key, Record::No).await;
        self.history
            .instant_event("check", format!("Get({key:?}) must be {value:?}"));
        if got != value {
            panic!(
                "Get({key}): expected:\n{value}\nreceived:\n{got}\n({})",
                diagnose(value, &got)
            );
        }
    }

    /// The operations recorded, for the linearizability check.
    pub(crate) fn history(&self) -> &History {
        &self.history
    }

    /// Go's `checklogs`: no server's Raft state is over 8 * `maxraftstate`, and without
    /// `maxraftstate` no server has a snapshot.
    pub fn checklogs(&self) {
        for group in &self.groups {
            for i in 0..self.n {
                let persister = group.kv.persister(i);
                let raft = persister.raft_state_size();
                let snap = persister.snapshot_size();
                match self.max_raft_state {
                    Some(max) if raft > 8 * max => panic!(
                        "persister.RaftStateSize() {raft}, but maxraftstate {max} (server {i} \
                         of group {}: a server must snapshot once its Raft state passes \
                         maxraftstate, configuration changes and shards it received \
                         included)",
                        group.gid
                    ),
                    None if snap > 0 => panic!(
                        "maxraftstate is -1, but snapshot is non-empty! (server {i} of group \
                         {}: without maxraftstate a server must never snapshot)",
                        group.gid
                    ),
                    _ => {}
                }
            }
        }
    }

    /// What every server of every group persisted, Raft state and snapshot together (Go's
    /// sum in `TestChallenge1Delete`).
    pub fn total_persisted(&self) -> usize {
        let mut total = 0;
        for group in &self.groups {
            for i in 0..self.n {
                let persister = group.kv.persister(i);
                total += persister.raft_state_size() + persister.snapshot_size();
            }
        }
        total
    }

    /// Starts a test: prints its description (Go's `fmt.Printf("Test: ...")`).
    pub fn begin(&self, description: &str) {
        lock(&self.steps).begin(description);
    }

    /// Fails the test if the Raft checks or the network found an error.
    pub fn check_errors(&self) {
        if let Some(error) = lock(&self.programming_error).clone() {
            panic!("{error}");
        }
        self.ctrlers.check_errors();
        for group in &self.groups {
            group.kv.check_errors();
        }
    }

    /// Ends a test that passed: Go's 120 s limit (its `cleanup`), the Raft checks, the
    /// figures the grader records (Go prints none here), and `  ... Passed`.
    pub fn end(&self, description: &str) {
        if self.start.elapsed() > TEST_TIME_LIMIT {
            panic!(
                "test took longer than {} seconds",
                TEST_TIME_LIMIT.as_secs()
            );
        }
        self.check_errors();
        crate::grade::record_end(crate::grade::Figures {
            seconds: self.start.elapsed().as_secs_f64(),
            peers: NCTRLERS + NGROUPS * self.n,
            rpcs: self.net.total_count(),
            bytes: self.net.total_bytes(),
            commands: self.ops.load(Ordering::Relaxed) as u64,
        });
        let mut steps = lock(&self.steps);
        steps.passed(description);
        steps.end();
    }
}

/// What a wrong value says of the service, for the failure message.
pub(crate) fn diagnose(value: &str, got: &str) -> &'static str {
    if got.len() > value.len() {
        "the value holds more than was written: an Append was applied twice, a retry its \
         group did not recognise; a shard must move with its duplicate table"
    } else if value.starts_with(got) {
        "writes are missing: a group served the key's shard before it arrived from its \
         previous owner, or a shard moved without writes applied to it"
    } else {
        "the value is not what was written: writes were lost, or applied in another order \
         than their clerk made them"
    }
}

/// Go's `cleanup`: every group shut down, the controllers killed, the network shut.
impl<S: ShardKvService, C, CS: CtrlerService, CC> Drop for ShardKvConfig<S, C, CS, CC> {
    fn drop(&mut self) {
        for group in &self.groups {
            for i in 0..self.n {
                for name in lock(&group.mend_names)[i].iter() {
                    self.net.enable(name, false);
                }
                group.kv.shutdown_server(i);
            }
        }
        for i in 0..NCTRLERS {
            self.ctrlers.shutdown_server(i);
        }
        self.net.cleanup();
    }
}

#[cfg(test)]
mod tests {
    use super::diagnose;

    #[test]
    fn a_wrong_value_says_what_it_suggests() {
        assert!(diagnose("ab", "abb").contains("applied twice"));
        assert!(diagnose("abc", "ab").contains("writes are missing"));
        assert!(diagnose("abc", "").contains("before it arrived"));
        assert!(diagnose("abc", "xyz").contains("another order"));
    }
}
