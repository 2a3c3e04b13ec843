//! The snapshot applier (Go's `applierSnap`): it snapshots every ten commands and ingests
//! the snapshots peers hand it.

mod fakes;

use fakes::Cluster;
use lab_runtime::time::{sleep, Duration};
use tester::harness::run_test;
use tester::{ApplyMsg, Config};

/// Commits commands at indexes 1 to 9 through peer 0: index 9 is the tenth entry counting
/// the sentinel, where each peer's service snapshots.
async fn commit_nine(cluster: &Cluster, cfg: &Config<fakes::FakeRaft>) {
    cluster.lead(0);
    for command in 1..=9u64 {
        cfg.one(&(command * 10), 3, false).await;
    }
}

#[test]
fn the_service_snapshots_every_ten_commands_and_ingests_snapshots() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        commit_nine(&cluster, &cfg).await;
        for _ in 0..100 {
            if cluster.snapshots().len() == 3 {
                break;
            }
            sleep(Duration::from_millis(10)).await;
        }
        let mut snapshots = cluster.snapshots();
        snapshots.sort();
        assert_eq!(snapshots, vec![(0, 9), (1, 9), (2, 9)]);

        // A restarted peer restores its snapshot from its persister at start-up.
        let snapshot = cluster.persister(2).snapshot();
        assert!(!snapshot.is_empty());
        cfg.crash1(2);
        cluster.build(|| cfg.start1(2));
        cfg.connect(2);
        assert_eq!(
            cfg.n_committed(9).0,
            3,
            "the restarted peer's snapshot holds index 9"
        );

        // A snapshot sent up by the peer replaces what it applied.
        cluster.send(
            2,
            ApplyMsg::Snapshot {
                snapshot,
                term: 1,
                index: 9,
            },
        );
        cfg.one(&100u64, 3, false).await;
    });
}

#[test]
#[should_panic(expected = "server 1 snapshot doesn't match m.SnapshotIndex")]
fn a_snapshot_with_the_wrong_index_fails_the_test() {
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, true);
        commit_nine(&cluster, &cfg).await;
        let snapshot = loop {
            let snapshot = cluster.persister(0).snapshot();
            if !snapshot.is_empty() {
                break snapshot;
            }
            sleep(Duration::from_millis(10)).await;
        };
        cluster.send(
            1,
            ApplyMsg::Snapshot {
                snapshot,
                term: 1,
                index: 8,
            },
        );
        sleep(Duration::from_millis(50)).await;
        cfg.n_committed(1);
    });
}
