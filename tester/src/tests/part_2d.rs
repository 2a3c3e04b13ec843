//! Part 2D: log compaction (Go's `TestSnapshotBasic2D` ... `TestSnapshotInstallUnCrash2D`,
//! with the 2023 `TestSnapshotAllCrash2D` and `TestSnapshotInit2D`).

use super::common::{crash_and_restart_all, encode, rand_int, running};
use crate::{Config, RaftPeer, MAX_LOG_SIZE, SNAPSHOT_INTERVAL};

/// Go's `snapcommon` (2023): 30 rounds in which one peer (a follower, or every third round
/// the leader) is cut off or crashed while the others commit perhaps enough for a
/// snapshot, then comes back and must catch up, perhaps from a snapshot. Without failures
/// (the basic test) every peer must keep up in every round.
async fn snapshot_rounds<R: RaftPeer>(name: &str, disconnect: bool, reliable: bool, crash: bool) {
    let iters = 30;
    let servers = 3;
    let cfg = Config::<R>::new(servers, !reliable, true);
    cfg.begin(name);

    cfg.one(&rand_int(), servers, true).await;
    let mut leader1 = cfg.check_one_leader().await;

    for i in 0..iters {
        let mut victim = (leader1 + 1) % servers;
        let mut sender = leader1;
        if i % 3 == 1 {
            sender = (leader1 + 1) % servers;
            victim = leader1;
        }

        if disconnect {
            cfg.disconnect(victim);
            cfg.one(&rand_int(), servers - 1, true).await;
        }
        if crash {
            cfg.crash1(victim);
            cfg.one(&rand_int(), servers - 1, true).await;
        }

        // Perhaps enough commands for a snapshot: 5 to 14 (2023; 2021 sent 11 every round).
        let raft = running(&cfg, sender);
        let nn = SNAPSHOT_INTERVAL / 2 + rand_int() % SNAPSHOT_INTERVAL;
        for _ in 0..nn {
            raft.start(encode(&rand_int()));
        }

        // Lets the appliers catch up with those commands.
        if !disconnect && !crash {
            // Every peer must have caught up, so that the basic test needs no
            // InstallSnapshot (2023; 2021 let one peer stay behind).
            cfg.one(&rand_int(), servers, true).await;
        } else {
            cfg.one(&rand_int(), servers - 1, true).await;
        }

        if cfg.log_size() >= MAX_LOG_SIZE {
            panic!("Log size too large");
        }
        if disconnect {
            // The follower may be far behind and need a snapshot to catch up.
            cfg.connect(victim);
            cfg.one(&rand_int(), servers, true).await;
            leader1 = cfg.check_one_leader().await;
        }
        if crash {
            cfg.start1(victim);
            cfg.connect(victim);
            cfg.one(&rand_int(), servers, true).await;
            leader1 = cfg.check_one_leader().await;
        }
    }
    cfg.end();
}

pub async fn snapshot_basic<R: RaftPeer>() {
    snapshot_rounds::<R>("Test (2D): snapshots basic", false, true, false).await;
}

pub async fn snapshot_install<R: RaftPeer>() {
    snapshot_rounds::<R>(
        "Test (2D): install snapshots (disconnect)",
        true,
        true,
        false,
    )
    .await;
}

pub async fn snapshot_install_unreliable<R: RaftPeer>() {
    snapshot_rounds::<R>(
        "Test (2D): install snapshots (disconnect+unreliable)",
        true,
        false,
        false,
    )
    .await;
}

pub async fn snapshot_install_crash<R: RaftPeer>() {
    snapshot_rounds::<R>("Test (2D): install snapshots (crash)", false, true, true).await;
}

pub async fn snapshot_install_uncrash<R: RaftPeer>() {
    snapshot_rounds::<R>(
        "Test (2D): install snapshots (unreliable+crash)",
        false,
        false,
        true,
    )
    .await;
}

/// Crashes and restarts every peer at once, after enough commands for a snapshot, five
/// times: the log must go on from where it was.
pub async fn snapshot_all_crash<R: RaftPeer>() {
    let servers = 3;
    let iters = 5;
    let cfg = Config::<R>::new(servers, false, true);
    cfg.begin("Test (2D): crash and restart all servers");

    cfg.one(&rand_int(), servers, true).await;

    for _ in 0..iters {
        // Perhaps enough for a snapshot.
        let nn = SNAPSHOT_INTERVAL / 2 + rand_int() % SNAPSHOT_INTERVAL;
        for _ in 0..nn {
            cfg.one(&rand_int(), servers, true).await;
        }

        let index1 = cfg.one(&rand_int(), servers, true).await;

        crash_and_restart_all(&cfg);

        let index2 = cfg.one(&rand_int(), servers, true).await;
        if index2 < index1 + 1 {
            panic!("index decreased from {index1} to {index2}");
        }
    }
    cfg.end();
}

/// Whether a restarted peer sets up its in-memory copy of the snapshot, so that what it
/// persists next does not lose the snapshot.
pub async fn snapshot_init<R: RaftPeer>() {
    let servers = 3;
    let cfg = Config::<R>::new(servers, false, true);
    cfg.begin("Test (2D): snapshot initialization after crash");
    cfg.one(&rand_int(), servers, true).await;

    // Enough commands for a snapshot.
    let nn = SNAPSHOT_INTERVAL + 1;
    for _ in 0..nn {
        cfg.one(&rand_int(), servers, true).await;
    }

    crash_and_restart_all(&cfg);

    // One command, so that the peers persist their state again.
    cfg.one(&rand_int(), servers, true).await;

    crash_and_restart_all(&cfg);

    // One more command, where a lost snapshot would show.
    cfg.one(&rand_int(), servers, true).await;
    cfg.end();
}
