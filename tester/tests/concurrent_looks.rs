//! The safety checks under real concurrency: in real time, several of a test's clients ask
//! the tester to look at the peers at once (`one()`, `n_committed`, `check_terms` from
//! many tasks, as the churn tests do). A correct Raft must never fail a check because two
//! looks crossed. Simulation runs one task at a time and cannot show this; these tests
//! matter in real time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use lab_runtime::task::{spawn_blocking, JoinHandle};
use labrpc::{ClientEnd, Service};
use tester::harness::run_test;
use tester::{ApplySender, Config, Inspection, LogTerms, Persister, RaftPeer, Role};

/// How many threads look at once, and how many looks each makes.
const LOOKERS: usize = 8;
const LOOKS: usize = 400;

/// How many inspections the peers gave, in all.
static INSPECTIONS: AtomicU64 = AtomicU64::new(0);
/// Tests in this binary share `INSPECTIONS` and run in threads: one at a time.
static ALONE: Mutex<()> = Mutex::new(());

/// A peer of term 1 (peer 0 leads it) whose commit index rises at each look, as a correct
/// Raft's may; a restarted instance starts again from 0. Its inspection sometimes takes a
/// while to hand over after it was taken (a thread descheduled on a loaded machine), so
/// that a later look can overtake it.
struct RisingRaft {
    me: usize,
    commit: AtomicU64,
}

impl RaftPeer for RisingRaft {
    fn make(_: Vec<ClientEnd>, me: usize, _: Arc<Persister>, _: ApplySender) -> Self {
        RisingRaft {
            me,
            commit: AtomicU64::new(0),
        }
    }

    fn service(&self) -> Service {
        Service::new("Raft")
    }

    fn start(&self, _: Vec<u8>) -> Option<(u64, u64)> {
        None
    }

    fn get_state(&self) -> (u64, bool) {
        (1, self.me == 0)
    }

    fn snapshot(&self, _: u64, _: Vec<u8>) {}

    fn kill(&self) {}

    fn inspect(&self) -> Option<Inspection> {
        let commit_index = self.commit.fetch_add(1, Ordering::SeqCst) + 1;
        INSPECTIONS.fetch_add(1, Ordering::SeqCst);
        if commit_index.is_multiple_of(5) {
            thread::sleep(Duration::from_micros(200));
        }
        // The log holds what is committed: every check has something to compare.
        let mut log = LogTerms::new(0, 0);
        log.push_run(commit_index, 1);
        let role = if self.me == 0 {
            Role::Leader
        } else {
            Role::Follower
        };
        Some(Inspection::new(1, role, commit_index, log))
    }
}

/// `LOOKERS` threads of the run that each ask the tester to look `LOOKS` times
/// (`n_committed` looks at every peer first), as a test's clients do.
fn start_lookers(cfg: &Arc<Config<RisingRaft>>) -> Vec<JoinHandle<()>> {
    (0..LOOKERS)
        .map(|_| {
            let cfg = cfg.clone();
            spawn_blocking(move || (0..LOOKS).for_each(|_| drop(cfg.n_committed(1))))
        })
        .collect()
}

/// Many threads ask the tester to look at once; the commit index each peer shows only
/// rises, so no check may fire.
#[test]
fn concurrent_looks_at_a_rising_commit_index_pass() {
    let _alone = ALONE.lock().unwrap_or_else(PoisonError::into_inner);
    run_test(|| async {
        let before = INSPECTIONS.load(Ordering::SeqCst);
        let cfg = Arc::new(Config::<RisingRaft>::new(3, false, false));
        for looker in start_lookers(&cfg) {
            looker.await.expect("a looker panicked");
        }
        // Every look reached the peers: the test exercised what it claims to.
        let inspections = INSPECTIONS.load(Ordering::SeqCst) - before;
        assert!(inspections >= (3 * LOOKERS * LOOKS) as u64, "{inspections}");
    });
}

/// The same while peers crash and restart, from the runtime's own threads (as a test's
/// tasks run): a restarted instance's commit index starts lower, and looks that straddle a
/// restart must tell the instances apart.
#[test]
fn concurrent_looks_across_restarts_pass() {
    let _alone = ALONE.lock().unwrap_or_else(PoisonError::into_inner);
    run_test(|| async {
        let before = INSPECTIONS.load(Ordering::SeqCst);
        let cfg = Arc::new(Config::<RisingRaft>::new(3, false, false));
        let lookers = start_lookers(&cfg);
        let restarts = {
            let cfg = cfg.clone();
            spawn_blocking(move || {
                for round in 0..50 {
                    let peer = round % 3;
                    cfg.crash1(peer);
                    cfg.start1(peer);
                    cfg.connect(peer);
                }
            })
        };
        for looker in lookers {
            looker.await.expect("a looker panicked");
        }
        restarts.await.expect("the restarts panicked");
        cfg.n_committed(1);
        let inspections = INSPECTIONS.load(Ordering::SeqCst) - before;
        assert!(inspections >= (2 * LOOKERS * LOOKS) as u64, "{inspections}");
    });
}
