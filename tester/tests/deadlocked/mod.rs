//! Two Rafts that deadlock, as students' do: one whose vote handler takes its lock twice,
//! one whose `snapshot` waits for a lock its applier holds while it sends on the apply
//! channel.

#![allow(dead_code)] // each test binary uses a part

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::channel::mpsc;
use futures::StreamExt;
use lab_runtime::random;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, Duration};
use labrpc::{ClientEnd, Service};
use tester::{ApplyMsg, ApplySender, Persister, RaftPeer};

/// A Raft whose peers stand once, early, and whose `RequestVote` handler deadlocks: it
/// holds the peer's lock and calls a helper that takes it again.
pub struct DeadlockedVoter(Arc<Voter>);

struct Voter {
    me: usize,
    ends: Vec<ClientEnd>,
    term: Mutex<u64>,
}

impl Voter {
    fn term(&self) -> MutexGuard<'_, u64> {
        self.term.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn request_vote(&self, term: u64) -> bool {
        let mut current = self.term();
        let granted = term > *current;
        *current = (*current).max(term);
        // The bug: a helper that takes the lock this handler holds.
        log::info!(target: "raft::election", "S{} T{term}: voting", self.me);
        granted && *self.term() == term
    }
}

impl RaftPeer for DeadlockedVoter {
    fn make(ends: Vec<ClientEnd>, me: usize, _: Arc<Persister>, _: ApplySender) -> Self {
        let voter = Arc::new(Voter {
            me,
            ends,
            term: Mutex::new(0),
        });
        let candidate = voter.clone();
        spawn(async move {
            sleep(Duration::from_millis(100 + random::below(200))).await;
            let term = {
                let mut term = candidate.term();
                *term += 1;
                *term
            };
            log::info!(target: "raft::election", "S{me} T{term}: standing");
            for (peer, end) in candidate.ends.iter().enumerate() {
                if peer != me {
                    let end = end.clone();
                    spawn(async move { end.call::<u64, bool>("Raft.RequestVote", &term).await });
                }
            }
        });
        DeadlockedVoter(voter)
    }

    fn service(&self) -> Service {
        let voter = self.0.clone();
        Service::new("Raft").method("RequestVote", move |term: u64| voter.request_vote(term))
    }

    fn start(&self, _: Vec<u8>) -> Option<(u64, u64)> {
        None
    }

    fn get_state(&self) -> (u64, bool) {
        (*self.0.term(), false)
    }

    fn snapshot(&self, _: u64, _: Vec<u8>) {}

    fn kill(&self) {}
}

/// A one-peer Raft that commits every command at once, and applies while holding its
/// lock; `snapshot` waits for that lock, so the applier's send (which waits for the
/// tester, in `snapshot`) never ends.
pub struct SnapshotBlocker {
    log: Arc<futures::lock::Mutex<Vec<Vec<u8>>>>,
    proposed: mpsc::UnboundedSender<Vec<u8>>,
    last_index: AtomicU64,
}

impl RaftPeer for SnapshotBlocker {
    fn make(_: Vec<ClientEnd>, _: usize, _: Arc<Persister>, apply: ApplySender) -> Self {
        let log = Arc::new(futures::lock::Mutex::new(Vec::new()));
        let (proposed, mut commands) = mpsc::unbounded::<Vec<u8>>();
        let applier_log = log.clone();
        spawn(async move {
            while let Some(command) = commands.next().await {
                let mut log = applier_log.lock().await;
                let mut next = Some(command);
                while let Some(command) = next {
                    log.push(command.clone());
                    let index = log.len() as u64;
                    // The bug: sending with the lock held.
                    let sent = apply.send(ApplyMsg::Command { index, command }).await;
                    if sent.is_err() {
                        return;
                    }
                    next = commands.try_recv().ok();
                }
            }
        });
        SnapshotBlocker {
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

    fn snapshot(&self, index: u64, _: Vec<u8>) {
        let mut log = futures::executor::block_on(self.log.lock());
        log.truncate(index as usize);
    }

    fn kill(&self) {
        self.proposed.close_channel();
    }
}

/// A Raft whose `get_state` takes the lock it already holds: the tester's own call blocks.
pub struct StateTakenTwice(Mutex<u64>);

impl RaftPeer for StateTakenTwice {
    fn make(_: Vec<ClientEnd>, _: usize, _: Arc<Persister>, _: ApplySender) -> Self {
        StateTakenTwice(Mutex::new(0))
    }

    fn service(&self) -> Service {
        Service::new("Raft")
    }

    fn start(&self, _: Vec<u8>) -> Option<(u64, u64)> {
        None
    }

    fn get_state(&self) -> (u64, bool) {
        let _held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let term = *self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (term, false)
    }

    fn snapshot(&self, _: u64, _: Vec<u8>) {}

    fn kill(&self) {}
}
