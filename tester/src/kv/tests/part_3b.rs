//! Part 3B: the key/value service with snapshots (Go's `Test*3B`).

use lab_runtime::time::sleep;

use super::generic::{generic, speed, Generic};
use crate::kv::clerks::Record;
use crate::kv::{KvClerk, KvConfig, KvService};
use crate::ELECTION_TIMEOUT;

/// The `maxraftstate` of part 3B's tests.
const MAX_RAFT_STATE: usize = 1000;

fn spec(clients: usize, servers: usize) -> Generic {
    Generic {
        part: "3B",
        clients,
        servers,
        unreliable: false,
        crash: false,
        partitions: false,
        max_raft_state: Some(MAX_RAFT_STATE),
        random_keys: false,
    }
}

/// A server that fell behind catches up through InstallSnapshot, and the majority trims
/// its log even when the minority does not answer.
pub async fn snapshot_rpc<S: KvService, C: KvClerk>() {
    let cfg = KvConfig::<S, C>::new(3, false, Some(MAX_RAFT_STATE));
    let mut ck = cfg.make_client(&cfg.all());
    cfg.begin("Test: InstallSnapshot RPC (3B)");
    cfg.put(&mut ck, "a", "A", Record::No).await;
    cfg.check(&mut ck, "a", "A").await;

    // Many puts into the majority.
    cfg.partition(&[0, 1], &[2]);
    {
        let mut ck1 = cfg.make_client(&[0, 1]);
        for i in 0..50 {
            let i = i.to_string();
            cfg.put(&mut ck1, &i, &i, Record::No).await;
        }
        sleep(ELECTION_TIMEOUT).await;
        cfg.put(&mut ck1, "b", "B", Record::No).await;
    }
    // The majority has thrown most of its log away.
    cfg.check_logs_trimmed(MAX_RAFT_STATE).await;

    // A majority that needs the lagging server, which must catch up.
    cfg.partition(&[0, 2], &[1]);
    {
        let mut ck1 = cfg.make_client(&[0, 2]);
        cfg.put(&mut ck1, "c", "C", Record::No).await;
        cfg.put(&mut ck1, "d", "D", Record::No).await;
        cfg.check(&mut ck1, "a", "A").await;
        cfg.check(&mut ck1, "b", "B").await;
        cfg.check(&mut ck1, "1", "1").await;
        cfg.check(&mut ck1, "49", "49").await;
    }

    // Everybody.
    cfg.partition(&[0, 1, 2], &[]);
    cfg.put(&mut ck, "e", "E", Record::No).await;
    cfg.check(&mut ck, "c", "C").await;
    cfg.check(&mut ck, "e", "E").await;
    cfg.check(&mut ck, "1", "1").await;
    cfg.end();
}

/// Snapshots stay small: 500 bytes is generous for one key and one clerk.
pub async fn snapshot_size<S: KvService, C: KvClerk>() {
    const MAX_SNAPSHOT_STATE: usize = 500;
    let cfg = KvConfig::<S, C>::new(3, false, Some(MAX_RAFT_STATE));
    let mut ck = cfg.make_client(&cfg.all());
    cfg.begin("Test: snapshot size is reasonable (3B)");
    for _ in 0..200 {
        cfg.put(&mut ck, "x", "0", Record::No).await;
        cfg.check(&mut ck, "x", "0").await;
        cfg.put(&mut ck, "x", "1", Record::No).await;
        cfg.check(&mut ck, "x", "1").await;
    }
    cfg.check_logs_trimmed(MAX_RAFT_STATE).await;
    let size = cfg.snapshot_size();
    if size > MAX_SNAPSHOT_STATE {
        panic!("snapshot too large ({size} > {MAX_SNAPSHOT_STATE})");
    }
    cfg.end();
}

pub async fn speed_3b<S: KvService, C: KvClerk>() {
    speed::<S, C>("3B", Some(MAX_RAFT_STATE)).await;
}

pub async fn snapshot_recover<S: KvService, C: KvClerk>() {
    let crash = true;
    generic::<S, C>(Generic {
        crash,
        ..spec(1, 5)
    })
    .await;
}

pub async fn snapshot_recover_many_clients<S: KvService, C: KvClerk>() {
    let crash = true;
    generic::<S, C>(Generic {
        crash,
        ..spec(20, 5)
    })
    .await;
}

pub async fn snapshot_unreliable<S: KvService, C: KvClerk>() {
    let unreliable = true;
    generic::<S, C>(Generic {
        unreliable,
        ..spec(5, 5)
    })
    .await;
}

pub async fn snapshot_unreliable_recover<S: KvService, C: KvClerk>() {
    let (unreliable, crash) = (true, true);
    generic::<S, C>(Generic {
        unreliable,
        crash,
        ..spec(5, 5)
    })
    .await;
}

pub async fn snapshot_unreliable_recover_concurrent_partition<S: KvService, C: KvClerk>() {
    let (unreliable, crash, partitions) = (true, true, true);
    generic::<S, C>(Generic {
        unreliable,
        crash,
        partitions,
        ..spec(5, 5)
    })
    .await;
}

pub async fn snapshot_unreliable_recover_concurrent_partition_linearizable<
    S: KvService,
    C: KvClerk,
>() {
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
