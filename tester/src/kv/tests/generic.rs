//! Go's `GenericTest` and `GenericTestSpeed`: clerks appending and reading for a while,
//! under failures, then every append checked and the history checked for linearizability.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use lab_runtime::random;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, Duration, Instant};

use super::appends::{check_client_appends, element};
use super::join;
use crate::kv::clerks::Record;
use crate::kv::linearizability;
use crate::kv::{KvClerk, KvConfig, KvService};
use crate::ELECTION_TIMEOUT;

/// What a generic test runs (Go's `GenericTest` parameters).
pub(crate) struct Generic {
    pub(crate) part: &'static str,
    pub(crate) clients: usize,
    pub(crate) servers: usize,
    /// The network drops and delays RPCs.
    pub(crate) unreliable: bool,
    /// Every server restarts after each round, so persistence must work.
    pub(crate) crash: bool,
    /// The network repartitions while the clerks run.
    pub(crate) partitions: bool,
    /// Snapshot past this many bytes of Raft state; `None`: never (Go's -1).
    pub(crate) max_raft_state: Option<usize>,
    /// Clerks use each other's keys, and Put too (checked for linearizability only).
    pub(crate) random_keys: bool,
}

impl Generic {
    fn title(&self) -> String {
        let mut title = String::from("Test: ");
        if self.unreliable {
            title += "unreliable net, ";
        }
        if self.crash {
            title += "restarts, ";
        }
        if self.partitions {
            title += "partitions, ";
        }
        if self.max_raft_state.is_some() {
            title += "snapshots, ";
        }
        if self.random_keys {
            title += "random keys, ";
        }
        title += if self.clients > 1 {
            "many clients"
        } else {
            "one client"
        };
        format!("{title} ({})", self.part)
    }
}

/// How long the clerks run in each of the three rounds.
const ROUND: Duration = Duration::from_secs(5);

pub(crate) async fn generic<S: KvService, C: KvClerk>(spec: Generic) {
    let cfg = KvConfig::<S, C>::new(spec.servers, spec.unreliable, spec.max_raft_state);
    cfg.begin(&spec.title());
    let mut ck = cfg.make_client(&cfg.all());
    for _ in 0..3 {
        let done_clients = Arc::new(AtomicBool::new(false));
        let done_partitioner = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..spec.clients)
            .map(|cli| {
                let run = ClientRun {
                    cli,
                    clients: spec.clients,
                    random_keys: spec.random_keys,
                };
                spawn(run.go(cfg.clone(), done_clients.clone()))
            })
            .collect();
        let partitioner = if spec.partitions {
            // Let the clerks make progress before the first partition.
            sleep(Duration::from_secs(1)).await;
            Some(spawn(partitioner(cfg.clone(), done_partitioner.clone())))
        } else {
            None
        };
        sleep(ROUND).await;
        done_clients.store(true, Ordering::Relaxed);
        done_partitioner.store(true, Ordering::Relaxed);

        if let Some(partitioner) = partitioner {
            join(partitioner).await;
            // A request sent into a minority returns only once its server sees a new term.
            cfg.connect_all();
            sleep(ELECTION_TIMEOUT).await;
        }
        if spec.crash {
            for i in 0..spec.servers {
                cfg.shutdown_server(i);
            }
            sleep(ELECTION_TIMEOUT).await;
            for i in 0..spec.servers {
                cfg.start_server(i);
            }
            cfg.connect_all();
        }

        for (i, client) in clients.into_iter().enumerate() {
            let appends = join(client).await;
            let value = cfg.get(&mut ck, &i.to_string(), Record::AsClient(0)).await;
            if !spec.random_keys {
                check_client_appends(i, &value, appends);
            }
        }

        match spec.max_raft_state {
            Some(max) => cfg.check_logs_trimmed(max).await,
            None => {
                let size = cfg.snapshot_size();
                if size > 0 {
                    panic!(
                        "snapshot too large ({size}), should not be used when maxraftstate = -1"
                    );
                }
            }
        }
    }
    linearizability::check_or_fail(&cfg.history);
    cfg.end();
}

/// One clerk of a round of the generic test.
struct ClientRun {
    cli: usize,
    clients: usize,
    random_keys: bool,
}

impl ClientRun {
    /// Appends, puts and gets until told to stop; returns how many values it wrote.
    async fn go<S: KvService, C: KvClerk>(
        self,
        cfg: Arc<KvConfig<S, C>>,
        done: Arc<AtomicBool>,
    ) -> usize {
        let ClientRun {
            cli,
            clients,
            random_keys,
        } = self;
        let record = Record::AsClient(cli);
        let mut ck = cfg.make_client(&cfg.all());
        let mut written = 0;
        // What the clerk's own key must hold, when no other clerk writes it.
        let mut last = String::new();
        if !random_keys {
            cfg.put(&mut ck, &cli.to_string(), &last, record).await;
        }
        while !done.load(Ordering::Relaxed) {
            let key = if random_keys {
                random::below(clients as u64).to_string()
            } else {
                cli.to_string()
            };
            let new_value = element(cli, written);
            if random::below(1000) < 500 {
                cfg.append(&mut ck, &key, &new_value, record).await;
                if !random_keys {
                    last += &new_value;
                }
                written += 1;
            } else if random_keys && random::below(1000) < 100 {
                // Only with random keys: a Put would break the check of `last` below.
                cfg.put(&mut ck, &key, &new_value, record).await;
                written += 1;
            } else {
                let value = cfg.get(&mut ck, &key, record).await;
                if !random_keys && value != last {
                    panic!("get wrong value, key {key}, wanted:\n{last}\n, got\n{value}\n");
                }
            }
        }
        cfg.delete_client(ck.id());
        written
    }
}

/// Repartitions the servers at random, every election timeout or a little more, until told
/// to stop.
async fn partitioner<S: KvService, C: KvClerk>(cfg: Arc<KvConfig<S, C>>, done: Arc<AtomicBool>) {
    while !done.load(Ordering::Relaxed) {
        let sides: Vec<u64> = (0..cfg.n()).map(|_| random::below(2)).collect();
        let side = |s: u64| -> Vec<usize> { (0..cfg.n()).filter(|&i| sides[i] == s).collect() };
        cfg.partition(&side(0), &side(1));
        sleep(ELECTION_TIMEOUT + Duration::from_millis(random::below(200))).await;
    }
}

/// Go's `GenericTestSpeed`: 1000 appends by one clerk, at least three per heartbeat
/// interval.
pub(crate) async fn speed<S: KvService, C: KvClerk>(part: &str, max_raft_state: Option<usize>) {
    const OPS: u32 = 1000;
    const HEARTBEAT_INTERVAL: Duration = Duration::from_millis(100);
    const OPS_PER_INTERVAL: u32 = 3;
    const TIME_PER_OP: Duration =
        Duration::from_nanos(HEARTBEAT_INTERVAL.as_nanos() as u64 / OPS_PER_INTERVAL as u64);

    let cfg = KvConfig::<S, C>::new(3, false, max_raft_state);
    let mut ck = cfg.make_client(&cfg.all());
    cfg.begin(&format!("Test: ops complete fast enough ({part})"));
    // The first operation completes once a leader is elected and serving.
    ck.clerk.get("x").await;
    let start = Instant::now();
    for i in 0..OPS {
        ck.clerk.append("x", &element(0, i as usize)).await;
    }
    let duration = start.elapsed();
    log::info!(target: "tester", "{part}: {OPS} appends took {:?}/op", duration / OPS);
    let value = ck.clerk.get("x").await;
    check_client_appends(0, &value, OPS as usize);
    if duration > TIME_PER_OP * OPS {
        panic!(
            "Operations completed too slowly {:?}/op > {:?}/op",
            duration / OPS,
            TIME_PER_OP
        );
    }
    cfg.end();
}
