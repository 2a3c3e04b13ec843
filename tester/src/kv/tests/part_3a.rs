//! Part 3A: the key/value service without snapshots (Go's `Test*3A`).

use futures::channel::oneshot;
use futures::FutureExt;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, timeout, Duration};

use super::appends::{check_concurrent_appends, element};
use super::generic::{generic, speed, Generic};
use super::join;
use crate::kv::clerks::Record;
use crate::kv::{KvClerk, KvConfig, KvService};
use crate::ELECTION_TIMEOUT;

fn spec(clients: usize, servers: usize) -> Generic {
    Generic {
        part: "3A",
        clients,
        servers,
        unreliable: false,
        crash: false,
        partitions: false,
        max_raft_state: None,
        random_keys: false,
    }
}

pub async fn basic<S: KvService, C: KvClerk>() {
    generic::<S, C>(spec(1, 5)).await;
}

pub async fn speed_3a<S: KvService, C: KvClerk>() {
    speed::<S, C>("3A", None).await;
}

pub async fn concurrent<S: KvService, C: KvClerk>() {
    generic::<S, C>(spec(5, 5)).await;
}

pub async fn unreliable<S: KvService, C: KvClerk>() {
    let unreliable = true;
    generic::<S, C>(Generic {
        unreliable,
        ..spec(5, 5)
    })
    .await;
}

/// Five clerks append to one key over an unreliable network: each append lands once.
pub async fn unreliable_one_key<S: KvService, C: KvClerk>() {
    const CLIENTS: usize = 5;
    const UPTO: usize = 10;
    let cfg = KvConfig::<S, C>::new(3, true, None);
    let mut ck = cfg.make_client(&cfg.all());
    cfg.begin("Test: concurrent append to same key, unreliable (3A)");
    cfg.put(&mut ck, "k", "", Record::No).await;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|me| {
            let cfg = cfg.clone();
            spawn(async move {
                let mut myck = cfg.make_client(&cfg.all());
                for n in 0..UPTO {
                    cfg.append(&mut myck, "k", &element(me, n), Record::No)
                        .await;
                }
                cfg.delete_client(myck.id());
            })
        })
        .collect();
    for client in clients {
        join(client).await;
    }
    let value = cfg.get(&mut ck, "k", Record::No).await;
    check_concurrent_appends(&value, &[UPTO; CLIENTS]);
    cfg.end();
}

/// A request in the minority, where the old leader ends up, does not complete until the
/// partition heals.
pub async fn one_partition<S: KvService, C: KvClerk>() {
    let cfg = KvConfig::<S, C>::new(5, false, None);
    let mut ck = cfg.make_client(&cfg.all());
    cfg.put(&mut ck, "1", "13", Record::No).await;

    cfg.begin("Test: progress in majority (3A)");
    let (p1, p2) = cfg.make_partition();
    cfg.partition(&p1, &p2);
    let mut ckp1 = cfg.make_client(&p1);
    let mut ckp2a = cfg.make_client(&p2);
    let mut ckp2b = cfg.make_client(&p2);
    let (ckp2a_id, ckp2b_id) = (ckp2a.id(), ckp2b.id());
    cfg.put(&mut ckp1, "1", "14", Record::No).await;
    cfg.check(&mut ckp1, "1", "14").await;
    cfg.end();

    cfg.begin("Test: no progress in minority (3A)");
    let (put_done, mut put_done_rx) = oneshot::channel();
    let (get_done, mut get_done_rx) = oneshot::channel();
    spawn({
        let cfg = cfg.clone();
        async move {
            cfg.put(&mut ckp2a, "1", "15", Record::No).await;
            let _ = put_done.send(());
        }
    });
    spawn({
        let cfg = cfg.clone();
        async move {
            // Another clerk in the minority.
            cfg.get(&mut ckp2b, "1", Record::No).await;
            let _ = get_done.send(());
        }
    });
    let minority_done = futures::future::select(&mut put_done_rx, &mut get_done_rx);
    if let Ok(either) = timeout(Duration::from_secs(1), minority_done).await {
        match either {
            futures::future::Either::Left(_) => panic!("Put in minority completed"),
            futures::future::Either::Right(_) => panic!("Get in minority completed"),
        }
    }
    cfg.check(&mut ckp1, "1", "14").await;
    cfg.put(&mut ckp1, "1", "16", Record::No).await;
    cfg.check(&mut ckp1, "1", "16").await;
    cfg.end();

    cfg.begin("Test: completion after heal (3A)");
    cfg.connect_all();
    cfg.connect_client(ckp2a_id, &cfg.all());
    cfg.connect_client(ckp2b_id, &cfg.all());
    sleep(ELECTION_TIMEOUT).await;
    let heal_allowance = Duration::from_millis(30 * 100);
    if timeout(heal_allowance, &mut put_done_rx).await.is_err() {
        panic!("Put did not complete");
    }
    // As in Go, the Get is only looked at, not waited for: it may still be retrying.
    if let Some(Err(_)) = get_done_rx.now_or_never() {
        panic!("Get did not complete");
    }
    cfg.check(&mut ck, "1", "15").await;
    cfg.end();
}

pub async fn many_partitions_one_client<S: KvService, C: KvClerk>() {
    let partitions = true;
    generic::<S, C>(Generic {
        partitions,
        ..spec(1, 5)
    })
    .await;
}

pub async fn many_partitions_many_clients<S: KvService, C: KvClerk>() {
    let partitions = true;
    generic::<S, C>(Generic {
        partitions,
        ..spec(5, 5)
    })
    .await;
}

pub async fn persist_one_client<S: KvService, C: KvClerk>() {
    let crash = true;
    generic::<S, C>(Generic {
        crash,
        ..spec(1, 5)
    })
    .await;
}

pub async fn persist_concurrent<S: KvService, C: KvClerk>() {
    let crash = true;
    generic::<S, C>(Generic {
        crash,
        ..spec(5, 5)
    })
    .await;
}

pub async fn persist_concurrent_unreliable<S: KvService, C: KvClerk>() {
    let (unreliable, crash) = (true, true);
    generic::<S, C>(Generic {
        unreliable,
        crash,
        ..spec(5, 5)
    })
    .await;
}

pub async fn persist_partition<S: KvService, C: KvClerk>() {
    let (crash, partitions) = (true, true);
    generic::<S, C>(Generic {
        crash,
        partitions,
        ..spec(5, 5)
    })
    .await;
}

pub async fn persist_partition_unreliable<S: KvService, C: KvClerk>() {
    let (unreliable, crash, partitions) = (true, true, true);
    generic::<S, C>(Generic {
        unreliable,
        crash,
        partitions,
        ..spec(5, 5)
    })
    .await;
}

pub async fn persist_partition_unreliable_linearizable<S: KvService, C: KvClerk>() {
    let (unreliable, crash, partitions, random_keys) = (true, true, true, true);
    generic::<S, C>(Generic {
        unreliable,
        crash,
        partitions,
        random_keys,
        ..spec(15, 7)
    })
    .await;
}
