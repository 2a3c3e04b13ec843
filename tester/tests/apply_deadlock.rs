//! The classic 2D deadlock, caught: a Raft that holds its lock while it sends on the apply
//! channel, against a service that calls `snapshot` from its applier, as Go's does. In Go
//! the test hangs; here it fails, naming the likely cause.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::channel::mpsc;
use futures::lock::Mutex;
use futures::StreamExt;
use labrpc::{ClientEnd, Service};
use tester::harness::run_test;
use tester::{ApplyMsg, ApplySender, Config, Persister, RaftPeer, SNAPSHOT_INTERVAL};

/// A one-peer "Raft" that commits every command at once, and applies while holding its
/// lock: the bug under test.
struct LockHoldingRaft {
    /// What the applier holds across each send, and `snapshot` needs.
    log: Arc<Mutex<Vec<Vec<u8>>>>,
    proposed: mpsc::UnboundedSender<Vec<u8>>,
    last_index: AtomicU64,
}

impl RaftPeer for LockHoldingRaft {
    fn make(_: Vec<ClientEnd>, _: usize, _: Arc<Persister>, apply: ApplySender) -> Self {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (proposed, mut commands) = mpsc::unbounded::<Vec<u8>>();
        let applier_log = log.clone();
        lab_runtime::task::spawn(async move {
            while let Some(command) = commands.next().await {
                let mut log = applier_log.lock().await;
                let mut next = Some(command);
                while let Some(command) = next {
                    log.push(command.clone());
                    let index = log.len() as u64;
                    // The bug: sending with the lock held.
                    if apply
                        .send(ApplyMsg::Command { index, command })
                        .await
                        .is_err()
                    {
                        return;
                    }
                    next = commands.try_recv().ok();
                }
            }
        });
        LockHoldingRaft {
            log,
            proposed,
            last_index: AtomicU64::new(0),
        }
    }

    fn service(&self) -> Service {
        Service::new("Raft")
    }

    fn start(&self, command: Vec<u8>) -> Option<(u64, u64)> {
        self.proposed.unbounded_send(command).ok()?;
        Some((self.last_index.fetch_add(1, Ordering::SeqCst) + 1, 1))
    }

    fn get_state(&self) -> (u64, bool) {
        (1, true)
    }

    fn snapshot(&self, index: u64, _snapshot: Vec<u8>) {
        let mut log = futures::executor::block_on(self.log.lock());
        log.truncate(index as usize);
    }

    fn kill(&self) {
        self.proposed.close_channel();
    }
}

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
        let cfg = Config::<LockHoldingRaft>::new(1, false, true);
        let raft = cfg.raft(0).expect("peer 0 runs");
        // As Go's snapshot tests do: more commands at once than one snapshot interval.
        for command in 0..=SNAPSHOT_INTERVAL {
            raft.start(labgob::encode(&command).expect("encodes"));
        }
        cfg.one(&1000u64, 1, false).await;
    });
}
