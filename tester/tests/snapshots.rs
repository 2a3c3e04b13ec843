//! The snapshot applier (Go's `applierSnap`): it snapshots every ten commands, ingests the
//! snapshots peers hand it, and restores a restarted peer's persisted snapshot.

mod fakes;

use fakes::{until, Cluster, FakeRaft};
use tester::harness::run_test;
use tester::{ApplyMsg, Config};

/// Commits commands 10, 20, ..., 90 at indexes 1 to 9 through peer 0, on `expected` peers:
/// index 9 is the tenth entry counting the sentinel, where each peer's service snapshots.
async fn commit_nine(cluster: &Cluster, cfg: &Config<FakeRaft>, expected: usize) {
    cluster.lead(0);
    for command in 1..=9u64 {
        cfg.one(&(command * 10), expected, false).await;
    }
}

/// A snapshot as the tester's service writes it: the index, then the log of commands.
fn snapshot_of(index: u64, log: &[Option<Vec<u8>>]) -> Vec<u8> {
    let mut encoder = labgob::Encoder::new();
    encoder.encode(&index).unwrap();
    encoder.encode(&log.to_vec()).unwrap();
    encoder.into_bytes()
}

fn encode(command: u64) -> Vec<u8> {
    labgob::encode(&command).unwrap()
}

/// Polls `n_committed`, which raises the appliers' errors, until it fails the test.
async fn until_apply_error(cfg: &Config<FakeRaft>) {
    until("an apply error", || {
        cfg.n_committed(1);
        false
    })
    .await;
}

#[test]
fn the_service_snapshots_the_index_and_the_log_every_ten_commands() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        commit_nine(&cluster, &cfg, 3).await;
        until("every peer snapshots", || cluster.snapshots().len() == 3).await;
        let mut snapshots = cluster.snapshots();
        snapshots.sort();
        assert_eq!(snapshots, vec![(0, 9), (1, 9), (2, 9)]);

        let log: Vec<Option<Vec<u8>>> = std::iter::once(None)
            .chain((1..=9).map(|i| Some(encode(i * 10))))
            .collect();
        assert_eq!(cluster.persister(1).snapshot(), snapshot_of(9, &log));
        assert_eq!(cfg.snapshot_size(), snapshot_of(9, &log).len());
    });
}

/// Index 10 is in order for the restarted peer only if its snapshot through 9 was restored.
#[test]
fn a_restarted_peer_restores_its_persisted_snapshot() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        commit_nine(&cluster, &cfg, 3).await;
        until("peer 2 snapshots", || cluster.snapshots().contains(&(2, 9))).await;
        cfg.crash1(2);
        cluster.build(|| cfg.start1(2));
        cfg.connect(2);
        assert_eq!(cfg.one(&100u64, 3, false).await, 10);
    });
}

/// A restarted peer without a snapshot applies again from index 1.
#[test]
fn a_restarted_peer_without_a_snapshot_applies_from_the_start() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        cluster.lead(0);
        for command in 1..=3u64 {
            cfg.one(&command, 3, false).await;
        }
        cfg.crash1(2);
        cluster.build(|| cfg.start1(2));
        cfg.connect(2);
        for index in 1..=3u64 {
            cluster.apply(2, index, &index);
        }
        assert_eq!(cfg.one(&4u64, 3, false).await, 4);
    });
}

/// Peer 2 is down while the others commit and snapshot; restarted with nothing, it catches
/// up from the snapshot it sends up, and goes on from index 10.
#[test]
fn a_snapshot_sent_up_by_a_peer_is_ingested() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        cfg.crash1(2);
        commit_nine(&cluster, &cfg, 2).await;
        until("peer 0 snapshots", || cluster.snapshots().contains(&(0, 9))).await;
        cluster.build(|| cfg.start1(2));
        cfg.connect(2);
        assert_eq!(cfg.n_committed(9).0, 2);

        let snapshot = cluster.persister(0).snapshot();
        cluster.send(
            2,
            ApplyMsg::Snapshot {
                snapshot,
                term: 1,
                index: 9,
            },
        );
        until("peer 2 ingests the snapshot", || cfg.n_committed(9).0 == 3).await;
        assert_eq!(cfg.n_committed(5), (3, Some(encode(50))));
        assert_eq!(cfg.one(&100u64, 3, false).await, 10);
    });
}

#[test]
#[should_panic(expected = "server 1 snapshot doesn't match m.SnapshotIndex")]
fn a_snapshot_with_the_wrong_index_fails_the_test() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        cluster.send(
            1,
            ApplyMsg::Snapshot {
                snapshot: snapshot_of(2, &[None, Some(encode(1)), Some(encode(2))]),
                term: 1,
                index: 1,
            },
        );
        until_apply_error(&cfg).await;
    });
}

#[test]
#[should_panic(expected = "server 1 apply out of order, expected index 1, got 2")]
fn the_snapshot_applier_fails_a_command_that_skips_an_index() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        cluster.apply(1, 2, &7u64);
        until_apply_error(&cfg).await;
    });
}

/// Peer 1's killed instance applies index 4 after the restart (its task had passed its
/// `killed` check, then waited for a core): the new instance's order is not its, and a
/// correct Raft passes.
#[test]
fn a_killed_instances_late_command_passes() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        cluster.lead(0);
        for command in 1..=4u64 {
            cfg.one(&command, 3, false).await;
        }
        let late = cluster.apply_queue(1);
        cfg.crash1(1);
        cluster.build(|| cfg.start1(1));
        cfg.connect(1);
        let taken = cluster.taken();
        let command = encode(4);
        late.unbounded_send(ApplyMsg::Command { index: 4, command })
            .expect("the old applier listens");
        until("the late command is taken", || cluster.taken() > taken).await;
        // `n_committed` raises any error an applier found.
        assert_eq!(cfg.n_committed(4), (3, Some(encode(4))));
    });
}

/// The same late command, but not what the others applied there: Go's value check holds.
#[test]
#[should_panic(expected = "commit index=2 server=1 99 != server=")]
fn a_killed_instances_late_command_must_agree() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        cluster.lead(0);
        for command in 1..=2u64 {
            cfg.one(&command, 3, false).await;
        }
        let late = cluster.apply_queue(1);
        cfg.crash1(1);
        cluster.build(|| cfg.start1(1));
        let command = encode(99);
        late.unbounded_send(ApplyMsg::Command { index: 2, command })
            .expect("the old applier listens");
        until_apply_error(&cfg).await;
    });
}

/// A snapshot replaces what a peer applied without the per-command check: a disagreement
/// it brings is found by `n_committed` itself.
#[test]
#[should_panic(expected = "committed values do not match: index 1, 100, 101")]
fn n_committed_fails_when_an_ingested_snapshot_disagrees() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        cluster.apply(0, 1, &100u64);
        until("peer 0 applies index 1", || cfg.n_committed(1).0 == 1).await;
        cluster.send(
            1,
            ApplyMsg::Snapshot {
                snapshot: snapshot_of(1, &[None, Some(encode(101))]),
                term: 1,
                index: 1,
            },
        );
        until("peer 1 ingests the snapshot", || cfg.n_committed(1).0 == 2).await;
    });
}
