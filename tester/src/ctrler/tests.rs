//! Go's shardctrler `test_test.go`: `TestBasic` and `TestMulti`, each a generic `async fn`
//! over the controller and clerk under test, step for step. `ctrler_tests!` turns them
//! into `#[test]`s.

use std::collections::BTreeMap;
use std::sync::Arc;

use lab_runtime::task::{spawn, JoinHandle};
use lab_runtime::time::{sleep, Duration};

use super::config::CtrlerConfig;
use super::minimal::check_minimal_change;
use super::service::{Config, CtrlerClerk, CtrlerService, Gid, NSHARDS};
use crate::kv::TestClerk;

/// Both tests run three controller servers.
const NSERVERS: usize = 3;
/// How many clerks join and leave at once in the concurrent steps.
const NPARA: usize = 10;

/// Go's `check`: the latest configuration has exactly the groups `groups`, every shard on
/// one of them (when there are any), and no group more than one shard ahead of another.
pub async fn check<S: CtrlerService, C: CtrlerClerk>(
    cfg: &CtrlerConfig<S, C>,
    ck: &mut TestClerk<C>,
    groups: &[Gid],
) {
    let c = cfg.query(ck, None).await;
    if let Err(error) = check_config(&c, groups) {
        panic!("{error} (the latest configuration: {c:?})");
    }
}

/// `check`'s verdict on configuration `c`.
pub fn check_config(c: &Config, groups: &[Gid]) -> Result<(), String> {
    if c.groups.len() != groups.len() {
        return Err(format!(
            "wanted {} groups, got {}",
            groups.len(),
            c.groups.len()
        ));
    }
    if let Some(g) = groups.iter().find(|g| !c.groups.contains_key(g)) {
        return Err(format!("missing group {g}"));
    }
    if !groups.is_empty() {
        let stray = c.shards.iter().enumerate();
        if let Some((s, g)) = stray.into_iter().find(|(_, g)| !c.groups.contains_key(g)) {
            return Err(format!("shard {s} -> invalid group {g}"));
        }
    }
    let mut counts: BTreeMap<Gid, usize> = BTreeMap::new();
    for &g in &c.shards {
        *counts.entry(g).or_default() += 1;
    }
    // Go's bounds: a group with no shard counts 0.
    let (mut min, mut max) = (257, 0);
    for g in c.groups.keys() {
        let count = counts.get(g).copied().unwrap_or(0);
        max = max.max(count);
        min = min.min(count);
    }
    if max > min + 1 {
        return Err(format!(
            "max {max} too much larger than min {min}: the shards are not balanced over the \
             groups"
        ));
    }
    Ok(())
}

/// Go's `check_same_config`: two answers for the same configuration are the same.
pub fn check_same_config(c1: &Config, c2: &Config) {
    // Every server must compute each configuration alike from the same log.
    let why = "every server must compute the same configuration from the same commands \
               (for instance, a rebalance must not follow a HashMap's iteration order, which \
               differs between servers)";
    if c1.num != c2.num {
        panic!("Num wrong: {} and {}", c1.num, c2.num);
    }
    if c1.shards != c2.shards {
        panic!(
            "Shards wrong: configuration {} is {:?} and {:?}: {why}",
            c1.num, c1.shards, c2.shards
        );
    }
    if c1.groups.len() != c2.groups.len() {
        panic!(
            "number of Groups is wrong: configuration {} has {:?} and {:?}",
            c1.num, c1.groups, c2.groups
        );
    }
    for (gid, sa) in &c1.groups {
        match c2.groups.get(gid) {
            Some(sa1) if sa1.len() == sa.len() => {
                if sa1 != sa {
                    panic!("Groups wrong: group {gid} is {sa:?} and {sa1:?}");
                }
            }
            _ => panic!(
                "len(Groups) wrong: configuration {} has {:?} and {:?}",
                c1.num, c1.groups, c2.groups
            ),
        }
    }
}

/// A Join's argument: each gid with its servers.
fn groups<const N: usize>(entries: [(Gid, Vec<String>); N]) -> BTreeMap<Gid, Vec<String>> {
    entries.into_iter().collect()
}

fn servers(names: &[&str]) -> Vec<String> {
    names.iter().map(|&name| name.to_owned()).collect()
}

/// Fails the test unless group `gid` of `c` has the servers `want`.
fn check_servers(c: &Config, gid: Gid, want: &[&str]) {
    let sa = c.groups.get(&gid).cloned().unwrap_or_default();
    if sa != servers(want) {
        panic!("wrong servers for gid {gid}: {sa:?}");
    }
}

/// Go's minimal-transfer check: a shard that group `i` (for `i` of 1 to `NPARA`) serves in
/// `c2`, the configuration with the most groups, it serves in `other` too. As in Go, only
/// the gids 1 to 10 are looked at.
fn check_minimal(c2: &Config, other: &Config, what: &str) {
    for i in 1..=NPARA as Gid {
        for j in 0..NSHARDS {
            if c2.shards[j] == i && other.shards[j] != i {
                panic!(
                    "non-minimal transfer after {what}: shard {j} moved between group {i} and \
                     group {} ({:?} and {:?})",
                    other.shards[j], c2.shards, other.shards
                );
            }
        }
    }
}

/// Beyond Go: every configuration from `from` to `to` (numbers) moved as few shards as
/// balance allows, each compared with the one before it (`minimal::check_minimal_change`).
async fn check_fewest_moves<S: CtrlerService, C: CtrlerClerk>(
    cfg: &CtrlerConfig<S, C>,
    ck: &mut TestClerk<C>,
    from: &Config,
    to: &Config,
) {
    let mut before = from.clone();
    for num in from.num + 1..=to.num {
        let after = cfg.query(ck, Some(num)).await;
        if let Err(error) = check_minimal_change(&before, &after) {
            panic!("non-minimal transfer: {error}");
        }
        before = after;
    }
}

/// Waits for a task of the test; a task that failed fails the test.
async fn join<T>(handle: JoinHandle<T>) -> T {
    match handle.await {
        Ok(output) => output,
        Err(err) => panic!("a task of the test failed: {err}"),
    }
}

/// Go's `TestBasic`.
pub async fn basic<S: CtrlerService, C: CtrlerClerk>() {
    let cfg = Arc::new(CtrlerConfig::<S, C>::new(NSERVERS, false));
    let mut ck = cfg.make_client(&cfg.all());

    let step = "Test: Basic leave/join";
    cfg.begin(step);
    // cfa[3] stays configuration 0's value, as in Go.
    let mut cfa = vec![Config::default(); 6];
    cfa[0] = cfg.query(&mut ck, None).await;
    check(&cfg, &mut ck, &[]).await;

    let gid1: Gid = 1;
    cfg.join(&mut ck, groups([(gid1, servers(&["x", "y", "z"]))]))
        .await;
    check(&cfg, &mut ck, &[gid1]).await;
    cfa[1] = cfg.query(&mut ck, None).await;

    let gid2: Gid = 2;
    cfg.join(&mut ck, groups([(gid2, servers(&["a", "b", "c"]))]))
        .await;
    check(&cfg, &mut ck, &[gid1, gid2]).await;
    cfa[2] = cfg.query(&mut ck, None).await;

    let cfx = cfg.query(&mut ck, None).await;
    check_servers(&cfx, gid1, &["x", "y", "z"]);
    check_servers(&cfx, gid2, &["a", "b", "c"]);

    cfg.leave(&mut ck, &[gid1]).await;
    check(&cfg, &mut ck, &[gid2]).await;
    cfa[4] = cfg.query(&mut ck, None).await;

    cfg.leave(&mut ck, &[gid2]).await;
    cfa[5] = cfg.query(&mut ck, None).await;
    cfg.passed(step);

    let step = "Test: Historical queries";
    cfg.begin(step);
    for s in 0..NSERVERS {
        cfg.shutdown_server(s);
        for want in &cfa {
            let c = cfg.query(&mut ck, Some(want.num)).await;
            check_same_config(&c, want);
        }
        cfg.start_server(s);
        cfg.connect_all();
    }
    cfg.passed(step);

    let step = "Test: Move";
    cfg.begin(step);
    {
        let gid3: Gid = 503;
        cfg.join(&mut ck, groups([(gid3, servers(&["3a", "3b", "3c"]))]))
            .await;
        let gid4: Gid = 504;
        cfg.join(&mut ck, groups([(gid4, servers(&["4a", "4b", "4c"]))]))
            .await;
        for i in 0..NSHARDS {
            let cf = cfg.query(&mut ck, None).await;
            let gid = if i < NSHARDS / 2 { gid3 } else { gid4 };
            cfg.move_shard(&mut ck, i, gid).await;
            if cf.shards[i] != gid {
                let cf1 = cfg.query(&mut ck, None).await;
                if cf1.num <= cf.num {
                    panic!(
                        "Move should increase Config.Num: moving shard {i} to group {gid} \
                         left the latest configuration at {}",
                        cf1.num
                    );
                }
            }
        }
        let cf2 = cfg.query(&mut ck, None).await;
        for i in 0..NSHARDS {
            let gid = if i < NSHARDS / 2 { gid3 } else { gid4 };
            if cf2.shards[i] != gid {
                panic!("expected shard {i} on gid {gid} actually {}", cf2.shards[i]);
            }
        }
        cfg.leave(&mut ck, &[gid3]).await;
        cfg.leave(&mut ck, &[gid4]).await;
    }
    cfg.passed(step);

    let step = "Test: Concurrent leave/join";
    cfg.begin(step);
    let gids: Vec<Gid> = (0..NPARA as Gid).map(|xi| xi * 10 + 100).collect();
    let clerks: Vec<TestClerk<C>> = (0..NPARA).map(|_| cfg.make_client(&cfg.all())).collect();
    let tasks: Vec<JoinHandle<()>> = clerks
        .into_iter()
        .zip(gids.iter().copied())
        .map(|(mut cka, gid)| {
            let cfg = cfg.clone();
            spawn(async move {
                let sid1 = format!("s{gid}a");
                let sid2 = format!("s{gid}b");
                cfg.join(&mut cka, groups([(gid + 1000, vec![sid1])])).await;
                cfg.join(&mut cka, groups([(gid, vec![sid2])])).await;
                cfg.leave(&mut cka, &[gid + 1000]).await;
            })
        })
        .collect();
    for task in tasks {
        join(task).await;
    }
    check(&cfg, &mut ck, &gids).await;
    cfg.passed(step);

    let step = "Test: Minimal transfers after joins";
    cfg.begin(step);
    let c1 = cfg.query(&mut ck, None).await;
    for i in 0..5 {
        let gid = (NPARA + 1 + i) as Gid;
        // Go names the third server "b" again.
        let names = vec![format!("{gid}a"), format!("{gid}b"), format!("{gid}b")];
        cfg.join(&mut ck, groups([(gid, names)])).await;
    }
    let c2 = cfg.query(&mut ck, None).await;
    check_minimal(&c2, &c1, "Join()s");
    check_fewest_moves(&cfg, &mut ck, &c1, &c2).await;
    cfg.passed(step);

    let step = "Test: Minimal transfers after leaves";
    cfg.begin(step);
    for i in 0..5 {
        cfg.leave(&mut ck, &[(NPARA + 1 + i) as Gid]).await;
    }
    let c3 = cfg.query(&mut ck, None).await;
    check_minimal(&c2, &c3, "Leave()s");
    check_fewest_moves(&cfg, &mut ck, &c2, &c3).await;
    cfg.passed(step);

    cfg.end();
}

/// Go's `TestMulti`.
pub async fn multi<S: CtrlerService, C: CtrlerClerk>() {
    let cfg = Arc::new(CtrlerConfig::<S, C>::new(NSERVERS, false));
    let mut ck = cfg.make_client(&cfg.all());

    let step = "Test: Multi-group join/leave";
    cfg.begin(step);
    let mut cfa = vec![Config::default(); 6];
    cfa[0] = cfg.query(&mut ck, None).await;
    check(&cfg, &mut ck, &[]).await;

    let (gid1, gid2): (Gid, Gid) = (1, 2);
    cfg.join(
        &mut ck,
        groups([
            (gid1, servers(&["x", "y", "z"])),
            (gid2, servers(&["a", "b", "c"])),
        ]),
    )
    .await;
    check(&cfg, &mut ck, &[gid1, gid2]).await;
    cfa[1] = cfg.query(&mut ck, None).await;

    let gid3: Gid = 3;
    cfg.join(&mut ck, groups([(gid3, servers(&["j", "k", "l"]))]))
        .await;
    check(&cfg, &mut ck, &[gid1, gid2, gid3]).await;
    cfa[2] = cfg.query(&mut ck, None).await;

    let cfx = cfg.query(&mut ck, None).await;
    check_servers(&cfx, gid1, &["x", "y", "z"]);
    check_servers(&cfx, gid2, &["a", "b", "c"]);
    check_servers(&cfx, gid3, &["j", "k", "l"]);

    cfg.leave(&mut ck, &[gid1, gid3]).await;
    check(&cfg, &mut ck, &[gid2]).await;
    cfa[3] = cfg.query(&mut ck, None).await;

    let cfx = cfg.query(&mut ck, None).await;
    check_servers(&cfx, gid2, &["a", "b", "c"]);

    cfg.leave(&mut ck, &[gid2]).await;
    cfg.passed(step);

    let step = "Test: Concurrent multi leave/join";
    cfg.begin(step);
    let gids: Vec<Gid> = (0..NPARA as Gid).map(|xi| xi + 1000).collect();
    let clerks: Vec<TestClerk<C>> = (0..NPARA).map(|_| cfg.make_client(&cfg.all())).collect();
    let tasks: Vec<JoinHandle<()>> = clerks
        .into_iter()
        .zip(gids.iter().copied())
        .map(|(mut cka, gid)| {
            let cfg = cfg.clone();
            spawn(async move {
                let joining = groups([
                    (
                        gid,
                        vec![format!("{gid}a"), format!("{gid}b"), format!("{gid}c")],
                    ),
                    (gid + 1000, vec![format!("{}a", gid + 1000)]),
                    (gid + 2000, vec![format!("{}a", gid + 2000)]),
                ]);
                cfg.join(&mut cka, joining).await;
                cfg.leave(&mut cka, &[gid + 1000, gid + 2000]).await;
            })
        })
        .collect();
    for task in tasks {
        join(task).await;
    }
    check(&cfg, &mut ck, &gids).await;
    cfg.passed(step);

    let step = "Test: Minimal transfers after multijoins";
    cfg.begin(step);
    let c1 = cfg.query(&mut ck, None).await;
    let m: BTreeMap<Gid, Vec<String>> = (0..5)
        .map(|i| {
            let gid = (NPARA + 1 + i) as Gid;
            (gid, vec![format!("{gid}a"), format!("{gid}b")])
        })
        .collect();
    cfg.join(&mut ck, m).await;
    let c2 = cfg.query(&mut ck, None).await;
    check_minimal(&c2, &c1, "Join()s");
    check_fewest_moves(&cfg, &mut ck, &c1, &c2).await;
    cfg.passed(step);

    let step = "Test: Minimal transfers after multileaves";
    cfg.begin(step);
    let l: Vec<Gid> = (0..5).map(|i| (NPARA + 1 + i) as Gid).collect();
    cfg.leave(&mut ck, &l).await;
    let c3 = cfg.query(&mut ck, None).await;
    check_minimal(&c2, &c3, "Leave()s");
    check_fewest_moves(&cfg, &mut ck, &c2, &c3).await;
    cfg.passed(step);

    let step = "Test: Check Same config on servers";
    cfg.begin(step);
    let Some(leader) = cfg.leader() else {
        panic!("Leader not found");
    };
    // The configuration the leader claims.
    let c = cfg.query(&mut ck, None).await;
    cfg.shutdown_server(leader);
    // As Go's loop, which asks for a leader once, right after the shutdown: a server that
    // still claims to lead then fails the test after two one-second pauses.
    if cfg.leader().is_some() {
        for _ in 0..2 {
            sleep(Duration::from_secs(1)).await;
        }
        panic!(
            "Leader not found (Go's words: a server still claimed to lead right after the \
             leader S{leader} was shut down)"
        );
    }
    let c1 = cfg.query(&mut ck, None).await;
    check_same_config(&c, &c1);
    cfg.passed(step);

    cfg.end();
}

#[cfg(test)]
mod unit {
    use super::*;

    fn config(shards: [Gid; NSHARDS], gids: &[Gid]) -> Config {
        Config {
            num: 1,
            shards,
            groups: gids.iter().map(|&g| (g, vec![format!("s{g}")])).collect(),
        }
    }

    #[test]
    fn check_takes_balanced_configurations_only() {
        assert_eq!(check_config(&Config::default(), &[]), Ok(()));
        let c = config([1, 2, 1, 2, 1, 2, 1, 2, 1, 3], &[1, 2, 3]);
        assert_eq!(
            check_config(&c, &[1, 2, 3]),
            Err(
                "max 5 too much larger than min 1: the shards are not balanced over the groups"
                    .into()
            )
        );
        let c = config([1, 2, 3, 1, 2, 3, 1, 2, 3, 1], &[1, 2, 3]);
        assert_eq!(check_config(&c, &[3, 1, 2]), Ok(()));
    }

    #[test]
    fn check_names_what_is_wrong() {
        let c = config([1; NSHARDS], &[1]);
        assert_eq!(
            check_config(&c, &[1, 2]),
            Err("wanted 2 groups, got 1".into())
        );
        assert_eq!(check_config(&c, &[2]), Err("missing group 2".into()));
        let c = config([1, 1, 1, 1, 1, 2, 2, 2, 2, 0], &[1, 2]);
        assert_eq!(
            check_config(&c, &[1, 2]),
            Err("shard 9 -> invalid group 0".into())
        );
    }

    #[test]
    #[should_panic(expected = "Shards wrong: configuration 1")]
    fn configurations_that_differ_in_a_shard_are_not_the_same() {
        let c1 = config([1; NSHARDS], &[1, 2]);
        let mut c2 = c1.clone();
        c2.shards[3] = 2;
        check_same_config(&c1, &c2);
    }

    #[test]
    #[should_panic(expected = "Groups wrong: group 2")]
    fn configurations_that_differ_in_a_server_are_not_the_same() {
        let c1 = config([1; NSHARDS], &[1, 2]);
        let mut c2 = c1.clone();
        c2.groups.insert(2, vec!["other".into()]);
        check_same_config(&c1, &c2);
    }
}
