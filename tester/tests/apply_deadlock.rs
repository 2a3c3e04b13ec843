//! The classic 2D deadlock, caught: a Raft that holds its lock while it sends on the apply
//! channel, against a service that calls `snapshot` from its applier, as Go's does. In Go
//! the test hangs; here it fails, naming the likely cause.

mod deadlocked;

use deadlocked::SnapshotBlocker;
use tester::harness::run_test;
use tester::{Config, RaftPeer, SNAPSHOT_INTERVAL};

// In simulation the blocked snapshot() stops the one thread, and the harness's watchdog
// reports it: that is tested with the harness.
#[test]
#[cfg_attr(
    madsim,
    ignore = "real time only: a blocked thread stops the whole simulation"
)]
#[should_panic(expected = "holds its lock while it sends on the apply channel")]
fn a_raft_that_holds_its_lock_across_the_apply_send_fails_the_test() {
    run_test(|| async {
        let cfg = Config::<SnapshotBlocker>::new(1, false, true);
        let raft = cfg.raft(0).expect("peer 0 runs");
        // As Go's snapshot tests do: more commands at once than one snapshot interval.
        for command in 0..=SNAPSHOT_INTERVAL {
            raft.start(labgob::encode(&command).expect("encodes"));
        }
        cfg.one(&1000u64, 1, false).await;
    });
}
