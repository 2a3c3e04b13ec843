//! Go's shardkv `test_test.go` (2023), with 2021's `TestChallenge1Concurrent`: each test a
//! generic `async fn` over the group's server, its clerk, and the controller's server and
//! clerk, step for step. `shardkv_tests!` turns them into `#[test]`s.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::StreamExt;
use lab_runtime::random;
use lab_runtime::task::{spawn, JoinHandle};
use lab_runtime::time::{sleep, timeout, Duration, Instant};

use super::config::ShardKvConfig;
use super::service::{key2shard, ShardKvClerk, ShardKvService};
use crate::ctrler::{CtrlerClerk, CtrlerService, NSHARDS};
use crate::kv::clerks::Record;
use crate::kv::linearizability;

/// Waits for a task of the test; a task that failed fails the test.
async fn join<T>(handle: JoinHandle<T>) -> T {
    match handle.await {
        Ok(output) => output,
        Err(err) => panic!("a task of the test failed: {err}"),
    }
}

/// The keys `"0"`, `"1"`, ... (Go's `strconv.Itoa(i)`, "to ensure multiple shards").
fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

/// `n` values of `len` random characters (Go's `randstring`).
fn values(n: usize, len: usize) -> Vec<String> {
    (0..n).map(|_| random::string(len)).collect()
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// Go's `rand.Int() % 900` milliseconds.
fn random_pause() -> Duration {
    millis(random::below(900))
}

type Cfg<S, C, CS, CC> = Arc<ShardKvConfig<S, C, CS, CC>>;

/// Clerks appending to their own key (the key of their index) until `done`, pausing
/// `pause` after each append; each returns what it appended (Go's `ff`, which adds to
/// `va[i]` as it goes).
fn appenders<S, C, CS, CC>(
    cfg: &Cfg<S, C, CS, CC>,
    ka: &[String],
    len: usize,
    pause: Option<Duration>,
    done: &Arc<AtomicBool>,
) -> Vec<JoinHandle<String>>
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    ka.iter()
        .map(|key| {
            let (cfg, done, key) = (cfg.clone(), done.clone(), key.clone());
            let mut ck1 = cfg.make_client();
            spawn(async move {
                let mut appended = String::new();
                while !done.load(Ordering::Relaxed) {
                    let x = random::string(len);
                    cfg.append(&mut ck1, &key, &x, Record::No).await;
                    appended += &x;
                    if let Some(pause) = pause {
                        sleep(pause).await;
                    }
                }
                cfg.delete_client(ck1.id());
                appended
            })
        })
        .collect()
}

/// Stops the appenders and adds what each appended to its key's value.
async fn stop_appenders(done: &AtomicBool, tasks: Vec<JoinHandle<String>>, va: &mut [String]) {
    done.store(true, Ordering::Relaxed);
    for (i, task) in tasks.into_iter().enumerate() {
        va[i] += &join(task).await;
    }
}

/// Go's `TestStaticShards`: static 2-way sharding, without shard movement.
pub async fn static_shards<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: static shards";
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, false, None);
    cfg.begin(description);
    let mut ck = cfg.make_client();

    cfg.join(0).await;
    cfg.join(1).await;

    let n = 10;
    let ka = keys(n);
    let va = values(n, 20);
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }

    // The data really is sharded: with one group down, some Gets do not complete.
    cfg.shutdown_group(1);
    // No snapshots without maxraftstate.
    cfg.checklogs();

    let (tx, mut rx) = futures::channel::mpsc::unbounded::<String>();
    for xi in 0..n {
        // One call per clerk: a blocked Get holds its clerk.
        let mut ck1 = cfg.make_client();
        let (cfg, tx) = (cfg.clone(), tx.clone());
        let (key, value) = (ka[xi].clone(), va[xi].clone());
        spawn(async move {
            let v = cfg.get(&mut ck1, &key, Record::No).await;
            let verdict = if v != value {
                format!("Get({key}): expected:\n{value}\nreceived:\n{v}")
            } else {
                String::new()
            };
            // The test may be over: nobody listens then.
            let _ = tx.unbounded_send(verdict);
        });
    }

    // Wait a bit: only about half the Gets should succeed.
    let mut ndone = 0;
    while let Ok(Some(err)) = timeout(Duration::from_secs(2), rx.next()).await {
        if !err.is_empty() {
            panic!("{err}");
        }
        ndone += 1;
    }
    if ndone != 5 {
        let why = if ndone > 5 {
            "a group served keys of shards the configuration gives the group that is down"
        } else {
            "the live group did not serve all of its own shards"
        };
        panic!("expected 5 completions with one shard dead; got {ndone} ({why})");
    }

    // Bring the crashed group back to life.
    cfg.start_group(1);
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }
    cfg.end(description);
}

/// Go's `TestJoinLeave`.
pub async fn join_leave<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: join then leave";
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, false, None);
    cfg.begin(description);
    let mut ck = cfg.make_client();

    cfg.join(0).await;

    let n = 10;
    let ka = keys(n);
    let mut va = values(n, 5);
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }

    cfg.join(1).await;
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
        let x = random::string(5);
        cfg.append(&mut ck, &ka[i], &x, Record::No).await;
        va[i] += &x;
    }

    cfg.leave(0).await;
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
        let x = random::string(5);
        cfg.append(&mut ck, &ka[i], &x, Record::No).await;
        va[i] += &x;
    }

    // Allow time for shards to transfer.
    sleep(Duration::from_secs(1)).await;

    cfg.checklogs();
    cfg.shutdown_group(0);
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }
    cfg.end(description);
}

/// Go's `TestSnapshot`.
pub async fn snapshot<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: snapshots, join, and leave";
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, false, Some(1000));
    cfg.begin(description);
    let mut ck = cfg.make_client();

    cfg.join(0).await;

    let n = 30;
    let ka = keys(n);
    let mut va = values(n, 20);
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }

    cfg.join(1).await;
    cfg.join(2).await;
    cfg.leave(0).await;
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
        let x = random::string(20);
        cfg.append(&mut ck, &ka[i], &x, Record::No).await;
        va[i] += &x;
    }

    cfg.leave(1).await;
    cfg.join(0).await;
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
        let x = random::string(20);
        cfg.append(&mut ck, &ka[i], &x, Record::No).await;
        va[i] += &x;
    }

    sleep(Duration::from_secs(1)).await;
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }

    sleep(Duration::from_secs(1)).await;
    cfg.checklogs();

    cfg.shutdown_group(0);
    cfg.shutdown_group(1);
    cfg.shutdown_group(2);
    cfg.start_group(0);
    cfg.start_group(1);
    cfg.start_group(2);
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }
    cfg.end(description);
}

/// Go's `TestMissChange`: servers miss configuration changes.
pub async fn miss_change<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: servers miss configuration changes";
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, false, Some(1000));
    cfg.begin(description);
    let mut ck = cfg.make_client();

    cfg.join(0).await;

    let n = 10;
    let ka = keys(n);
    let mut va = values(n, 20);
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }

    cfg.join(1).await;

    cfg.shutdown_server(0, 0);
    cfg.shutdown_server(1, 0);
    cfg.shutdown_server(2, 0);

    cfg.join(2).await;
    cfg.leave(1).await;
    cfg.leave(0).await;

    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
        let x = random::string(20);
        cfg.append(&mut ck, &ka[i], &x, Record::No).await;
        va[i] += &x;
    }

    cfg.join(1).await;

    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
        let x = random::string(20);
        cfg.append(&mut ck, &ka[i], &x, Record::No).await;
        va[i] += &x;
    }

    cfg.start_server(0, 0);
    cfg.start_server(1, 0);
    cfg.start_server(2, 0);

    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
        let x = random::string(20);
        cfg.append(&mut ck, &ka[i], &x, Record::No).await;
        va[i] += &x;
    }

    sleep(Duration::from_secs(2)).await;

    cfg.shutdown_server(0, 1);
    cfg.shutdown_server(1, 1);
    cfg.shutdown_server(2, 1);

    cfg.join(0).await;
    cfg.leave(2).await;

    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
        let x = random::string(20);
        cfg.append(&mut ck, &ka[i], &x, Record::No).await;
        va[i] += &x;
    }

    cfg.start_server(0, 1);
    cfg.start_server(1, 1);
    cfg.start_server(2, 1);

    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }
    cfg.end(description);
}

/// Go's `TestConcurrent1`: concurrent puts and configuration changes.
pub async fn concurrent1<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: concurrent puts and configuration changes";
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, false, Some(100));
    cfg.begin(description);
    let mut ck = cfg.make_client();

    cfg.join(0).await;

    let n = 10;
    let ka = keys(n);
    let mut va = values(n, 5);
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }

    let done = Arc::new(AtomicBool::new(false));
    let tasks = appenders(&cfg, &ka, 5, Some(millis(10)), &done);

    sleep(millis(150)).await;
    cfg.join(1).await;
    sleep(millis(500)).await;
    cfg.join(2).await;
    sleep(millis(500)).await;
    cfg.leave(0).await;

    cfg.shutdown_group(0);
    sleep(millis(100)).await;
    cfg.shutdown_group(1);
    sleep(millis(100)).await;
    cfg.shutdown_group(2);

    cfg.leave(2).await;

    sleep(millis(100)).await;
    cfg.start_group(0);
    cfg.start_group(1);
    cfg.start_group(2);

    sleep(millis(100)).await;
    cfg.join(0).await;
    cfg.leave(1).await;
    sleep(millis(500)).await;
    cfg.join(1).await;

    sleep(Duration::from_secs(1)).await;

    stop_appenders(&done, tasks, &mut va).await;
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }
    cfg.end(description);
}

/// Go's `TestConcurrent2`: the various sources from which a restarting group might need to
/// fetch shard contents.
pub async fn concurrent2<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: more concurrent puts and configuration changes";
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, false, None);
    cfg.begin(description);
    let mut ck = cfg.make_client();

    cfg.join(1).await;
    cfg.join(0).await;
    cfg.join(2).await;

    let n = 10;
    let ka = keys(n);
    let mut va = values(n, 1);
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }

    let done = Arc::new(AtomicBool::new(false));
    let tasks = appenders(&cfg, &ka, 1, Some(millis(50)), &done);

    cfg.leave(0).await;
    cfg.leave(2).await;
    sleep(millis(3000)).await;
    cfg.join(0).await;
    cfg.join(2).await;
    cfg.leave(1).await;
    sleep(millis(3000)).await;
    cfg.join(1).await;
    cfg.leave(0).await;
    cfg.leave(2).await;
    sleep(millis(3000)).await;

    cfg.shutdown_group(1);
    cfg.shutdown_group(2);
    sleep(millis(1000)).await;
    cfg.start_group(1);
    cfg.start_group(2);

    sleep(Duration::from_secs(2)).await;

    stop_appenders(&done, tasks, &mut va).await;
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }
    cfg.end(description);
}

/// Go's `TestConcurrent3` (2023), and 2021's `TestChallenge1Concurrent`, the same test:
/// configuration changes while every group restarts, under appends without pause.
async fn changes_and_restarts<S, C, CS, CC>(description: &str)
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, false, Some(300));
    cfg.begin(description);
    let mut ck = cfg.make_client();

    cfg.join(0).await;

    let n = 10;
    let ka = keys(n);
    let mut va = values(n, 1);
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }

    let done = Arc::new(AtomicBool::new(false));
    let tasks = appenders(&cfg, &ka, 1, None, &done);

    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(12) {
        cfg.join(2).await;
        cfg.join(1).await;
        sleep(random_pause()).await;
        cfg.shutdown_group(0);
        cfg.shutdown_group(1);
        cfg.shutdown_group(2);
        cfg.start_group(0);
        cfg.start_group(1);
        cfg.start_group(2);

        sleep(random_pause()).await;
        cfg.leave(1).await;
        cfg.leave(2).await;
        sleep(random_pause()).await;
    }

    sleep(Duration::from_secs(2)).await;

    stop_appenders(&done, tasks, &mut va).await;
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }
    cfg.end(description);
}

/// Go's `TestConcurrent3`: concurrent configuration change and restart.
pub async fn concurrent3<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    changes_and_restarts::<S, C, CS, CC>("Test: concurrent configuration change and restart").await;
}

/// Go's `TestUnreliable1`.
pub async fn unreliable1<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: unreliable 1";
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, true, Some(100));
    cfg.begin(description);
    let mut ck = cfg.make_client();

    cfg.join(0).await;

    let n = 10;
    let ka = keys(n);
    let mut va = values(n, 5);
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }

    cfg.join(1).await;
    cfg.join(2).await;
    cfg.leave(0).await;

    for ii in 0..n * 2 {
        let i = ii % n;
        cfg.check(&mut ck, &ka[i], &va[i]).await;
        let x = random::string(5);
        cfg.append(&mut ck, &ka[i], &x, Record::No).await;
        va[i] += &x;
    }

    cfg.join(0).await;
    cfg.leave(1).await;

    for ii in 0..n * 2 {
        let i = ii % n;
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }
    cfg.end(description);
}

/// The configuration changes of `TestUnreliable2` and `TestUnreliable3`, while clerks run.
async fn unreliable_changes<S, C, CS, CC>(cfg: &Cfg<S, C, CS, CC>)
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    sleep(millis(150)).await;
    cfg.join(1).await;
    sleep(millis(500)).await;
    cfg.join(2).await;
    sleep(millis(500)).await;
    cfg.leave(0).await;
    sleep(millis(500)).await;
    cfg.leave(1).await;
    sleep(millis(500)).await;
    cfg.join(1).await;
    cfg.join(0).await;

    sleep(Duration::from_secs(2)).await;
}

/// Go's `TestUnreliable2`.
pub async fn unreliable2<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: unreliable 2";
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, true, Some(100));
    cfg.begin(description);
    let mut ck = cfg.make_client();

    cfg.join(0).await;

    let n = 10;
    let ka = keys(n);
    let mut va = values(n, 5);
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }

    let done = Arc::new(AtomicBool::new(false));
    let tasks = appenders(&cfg, &ka, 5, None, &done);

    unreliable_changes(&cfg).await;

    done.store(true, Ordering::Relaxed);
    cfg.set_reliable(true);
    stop_appenders(&done, tasks, &mut va).await;
    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }
    cfg.end(description);
}

/// Go's `TestUnreliable3`: clerks put, append and get random keys while the groups change,
/// and the history must be linearizable.
pub async fn unreliable3<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: unreliable 3";
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, true, Some(100));
    cfg.begin(description);
    let mut ck = cfg.make_client();

    cfg.join(0).await;

    let n = 10;
    let ka = keys(n);
    let va = values(n, 5);
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::AsClient(0)).await;
    }

    let done = Arc::new(AtomicBool::new(false));
    let tasks: Vec<JoinHandle<()>> = (0..n)
        .map(|i| {
            let (cfg, done, ka) = (cfg.clone(), done.clone(), ka.clone());
            spawn(async move {
                let mut ck1 = cfg.make_client();
                let record = Record::AsClient(i);
                while !done.load(Ordering::Relaxed) {
                    let key = &ka[random::below(n as u64) as usize];
                    let nv = random::string(5);
                    if random::below(1000) < 500 {
                        cfg.append(&mut ck1, key, &nv, record).await;
                    } else if random::below(1000) < 100 {
                        cfg.put(&mut ck1, key, &nv, record).await;
                    } else {
                        cfg.get(&mut ck1, key, record).await;
                    }
                }
                cfg.delete_client(ck1.id());
            })
        })
        .collect();

    unreliable_changes(&cfg).await;

    done.store(true, Ordering::Relaxed);
    cfg.set_reliable(true);
    for task in tasks {
        join(task).await;
    }

    linearizability::check_or_fail(cfg.history());
    cfg.end(description);
}

/// Go's `TestChallenge1Delete`: servers delete the shards they no longer serve.
pub async fn challenge1_delete<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: shard deletion (challenge 1)";
    // 1: a snapshot after every log entry.
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, false, Some(1));
    cfg.begin(description);
    let mut ck = cfg.make_client();

    cfg.join(0).await;

    // 30,000 bytes of values in all.
    let n = 30;
    let ka = keys(n);
    let va = values(n, 1000);
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }
    for i in 0..3 {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }

    for _ in 0..2 {
        cfg.join(1).await;
        cfg.leave(0).await;
        cfg.join(2).await;
        sleep(Duration::from_secs(3)).await;
        for i in 0..3 {
            cfg.check(&mut ck, &ka[i], &va[i]).await;
        }
        cfg.leave(1).await;
        cfg.join(0).await;
        cfg.leave(2).await;
        sleep(Duration::from_secs(3)).await;
        for i in 0..3 {
            cfg.check(&mut ck, &ka[i], &va[i]).await;
        }
    }

    cfg.join(1).await;
    cfg.join(2).await;
    for _ in 0..3 {
        sleep(Duration::from_secs(1)).await;
        for i in 0..3 {
            cfg.check(&mut ck, &ka[i], &va[i]).await;
        }
    }

    let total = cfg.total_persisted();
    // The 27 keys not read since are stored once, the 3 read also in the duplicate
    // tables, everything on 3 replicas, plus slop.
    let expected = 3 * (((n - 3) * 1000) + 2 * 3 * 1000 + 6000);
    if total > expected {
        panic!(
            "snapshot + persisted Raft state are too big: {total} > {expected} (a group must \
             delete the shards it no longer serves once their new owner has them)"
        );
    }

    for i in 0..n {
        cfg.check(&mut ck, &ka[i], &va[i]).await;
    }
    cfg.end(description);
}

/// 2021's `TestChallenge1Concurrent`: `TestConcurrent3` under another name.
pub async fn challenge1_concurrent<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    changes_and_restarts::<S, C, CS, CC>(
        "Test: concurrent configuration change and restart (challenge 1)",
    )
    .await;
}

/// Go's `TestChallenge2Unaffected`: shards a configuration change does not move are served
/// while the change is under way.
pub async fn challenge2_unaffected<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: unaffected shard access (challenge 2)";
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, true, Some(100));
    cfg.begin(description);
    let mut ck = cfg.make_client();

    // Join 100.
    cfg.join(0).await;

    // Puts to keys in all shards.
    let n = 10;
    let ka = keys(n);
    let mut va: Vec<String> = vec!["100".to_owned(); n];
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }

    // Join 101.
    cfg.join(1).await;

    // The shards 101 now owns.
    let c = cfg.query_latest().await;
    let gid1 = cfg.gid(1);
    let owned: Vec<bool> = (0..NSHARDS).map(|s| c.shards[s] == gid1).collect();

    // Wait for the migration to the new configuration to complete, and for clerks to use
    // it: 101 now serves the keys of the shards it owns.
    sleep(Duration::from_secs(1)).await;
    for i in 0..n {
        // As Go: indexed by the key's index, not its shard; each Put's value is noted, so
        // the checks below stay right either way.
        if owned[i] {
            va[i] = "101".to_owned();
            cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
        }
    }

    // Kill 100.
    cfg.shutdown_group(0);

    // Leave 100: 101 gets no chance to take the shards 100 held.
    cfg.leave(0).await;

    // Wait for clerks to see the new configuration.
    sleep(Duration::from_secs(1)).await;

    // Gets and puts of 101's keys still complete.
    for i in 0..n {
        if owned[key2shard(&ka[i])] {
            cfg.check(&mut ck, &ka[i], &va[i]).await;
            cfg.put(&mut ck, &ka[i], &format!("{}-1", va[i]), Record::No)
                .await;
            cfg.check(&mut ck, &ka[i], &format!("{}-1", va[i])).await;
        }
    }
    cfg.end(description);
}

/// Go's `TestChallenge2Partial`: shards that arrived are served before the whole migration
/// is done.
pub async fn challenge2_partial<S, C, CS, CC>()
where
    S: ShardKvService,
    C: ShardKvClerk,
    CS: CtrlerService,
    CC: CtrlerClerk,
{
    let description = "Test: partial migration shard access (challenge 2)";
    let cfg = ShardKvConfig::<S, C, CS, CC>::new(3, true, Some(100));
    cfg.begin(description);
    let mut ck = cfg.make_client();

    // Join 100, 101 and 102.
    cfg.joinm(&[0, 1, 2]).await;

    // Time to reconfigure.
    sleep(Duration::from_secs(1)).await;

    // Puts to keys in all shards.
    let n = 10;
    let ka = keys(n);
    let va: Vec<String> = vec!["100".to_owned(); n];
    for i in 0..n {
        cfg.put(&mut ck, &ka[i], &va[i], Record::No).await;
    }

    // The shards 102 owns.
    let c = cfg.query_latest().await;
    let gid2 = cfg.gid(2);
    let owned: Vec<bool> = (0..NSHARDS).map(|s| c.shards[s] == gid2).collect();

    // Kill 100.
    cfg.shutdown_group(0);

    // Leave 100 and 102: 101 can take 102's shards but not 100's, and must serve 102's
    // as soon as they arrive.
    cfg.leavem(&[0, 2]).await;

    // Time to start the change, and to move 102's shards to 101.
    sleep(Duration::from_secs(1)).await;

    // Gets and puts of 101's keys from 102 complete.
    for i in 0..n {
        if owned[key2shard(&ka[i])] {
            cfg.check(&mut ck, &ka[i], &va[i]).await;
            cfg.put(&mut ck, &ka[i], &format!("{}-2", va[i]), Record::No)
                .await;
            cfg.check(&mut ck, &ka[i], &format!("{}-2", va[i])).await;
        }
    }
    cfg.end(description);
}
