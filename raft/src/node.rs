//! The plumbing around the core: its lock, the timer and applier tasks, RPCs in and out,
//! and persistence.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::FutureExt;
use lab_runtime::random;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep_until, Instant};
use labrpc::{ClientEnd, Service};
use tester::{ApplyMsg, ApplySender, Inspection, LogTerms, Persister, RaftPeer};
use tokio::sync::Notify;

use crate::core::{Core, Log, Outgoing, Ready, Role};
use crate::messages::{
    AppendEntriesArgs, InstallSnapshotArgs, RequestVoteArgs, APPEND_ENTRIES, INSTALL_SNAPSHOT,
    REQUEST_VOTE,
};
use crate::persist;

/// How many entries the applier takes from the core at a time: a long catch-up is handed
/// over in parts, so the core's lock is never held for long.
const APPLY_BATCH: usize = 64;

/// A Raft peer. Cheap to clone; clones are the same peer.
#[derive(Clone)]
pub struct Raft {
    node: Arc<Node>,
}

struct Node {
    me: usize,
    peers: Vec<ClientEnd>,
    core: Mutex<Core>,
    persister: Arc<Persister>,
    /// Taken only with the core's lock held.
    state_writer: Mutex<persist::StateWriter>,
    killed: AtomicBool,
    /// Wakes the timer task when a deadline moves earlier, or on kill.
    timer_wake: Notify,
    /// Wakes the applier task when the core has something for the service, or on kill.
    apply_wake: Notify,
}

impl RaftPeer for Raft {
    fn make(
        peers: Vec<ClientEnd>,
        me: usize,
        persister: Arc<Persister>,
        apply: ApplySender,
    ) -> Self {
        let hard = match persist::decode(&persister.raft_state(), me, peers.len()) {
            Ok(hard) => hard,
            Err(err) => panic!("raft S{me} cannot restart: {err}"),
        };
        let core = Core::new(
            me,
            peers.len(),
            hard,
            if mutant!("snapshot_ignored_on_restart") {
                Vec::new()
            } else {
                persister.snapshot()
            },
            Instant::now(),
            random::small_rng(),
        );
        let node = Arc::new(Node {
            me,
            peers,
            core: Mutex::new(core),
            persister,
            state_writer: Mutex::new(persist::StateWriter::new()),
            killed: AtomicBool::new(false),
            timer_wake: Notify::new(),
            apply_wake: Notify::new(),
        });
        spawn(timer(node.clone()));
        spawn(applier(node.clone(), apply));
        Raft { node }
    }

    fn service(&self) -> Service {
        let (votes, appends, snapshots) = (self.node.clone(), self.node.clone(), self.node.clone());
        Service::new("Raft")
            .method(method_name(REQUEST_VOTE), move |args: RequestVoteArgs| {
                votes.with_core(|core, now| core.handle_request_vote(now, args))
            })
            .method(
                method_name(APPEND_ENTRIES),
                move |args: AppendEntriesArgs| {
                    appends.with_core(|core, now| core.handle_append_entries(now, args))
                },
            )
            .method(
                method_name(INSTALL_SNAPSHOT),
                move |args: InstallSnapshotArgs| {
                    snapshots.with_core(|core, now| core.handle_install_snapshot(now, args))
                },
            )
    }

    fn start(&self, command: Vec<u8>) -> Option<(u64, u64)> {
        if self.node.is_killed() {
            return None;
        }
        self.node.with_core(|core, _| core.propose(command))
    }

    fn get_state(&self) -> (u64, bool) {
        let core = self.node.lock_core();
        (core.term(), core.is_leader())
    }

    fn snapshot(&self, index: u64, snapshot: Vec<u8>) {
        self.node
            .with_core(|core, _| core.take_snapshot(index, snapshot));
    }

    fn kill(&self) {
        self.node.killed.store(true, Ordering::Relaxed);
        self.node.timer_wake.notify_one();
        self.node.apply_wake.notify_one();
    }

    fn inspect(&self) -> Option<Inspection> {
        let core = self.node.lock_core();
        let role = match core.role() {
            Role::Follower => tester::Role::Follower,
            Role::Candidate { .. } => tester::Role::Candidate,
            Role::Leader(_) => tester::Role::Leader,
        };
        let inspection = Inspection::new(
            core.term(),
            role,
            core.commit_index(),
            log_terms(core.log()),
        );
        Some(inspection.with_vote(core.voted_for().map(|peer| peer as usize)))
    }
}

/// The log's terms as runs, found by binary search: terms never decrease along a log, so a
/// look costs a few steps per term, not one per entry.
fn log_terms(log: &Log) -> LogTerms {
    let mut terms = LogTerms::new(log.snapshot_index(), log.snapshot_term());
    let mut first = log.snapshot_index() + 1;
    while let Some(term) = log.term_at(first) {
        // The last index of this run: the last one whose term is at most `term`.
        let (mut lo, mut hi) = (first, log.last_index());
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if log.term_at(mid).is_some_and(|t| t <= term) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        terms.push_run(lo - first + 1, term);
        first = lo + 1;
    }
    terms
}

fn method_name(call: &str) -> &str {
    call.rsplit_once('.').map_or(call, |(_, method)| method)
}

impl Node {
    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed) && !mutant!("kill_ignored")
    }

    fn lock_core(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `step` on the core, then does what it asks before anything leaves: saves what
    /// changed, wakes the applier if there is something to apply, and the timer task if its
    /// deadline moved earlier.
    fn with_core<T>(&self, step: impl FnOnce(&mut Core, Instant) -> T) -> T {
        let mut core = self.lock_core();
        let now = Instant::now();
        let deadline = core.next_deadline(now);
        let result = step(&mut core, now);
        if let Some(unsaved) = core.take_unsaved() {
            let state = self
                .state_writer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .encode(unsaved.state);
            match unsaved.snapshot {
                Some(snapshot) => self.persister.save(state, snapshot.to_vec()),
                None => self.persister.save_raft_state(state),
            }
        }
        if core.has_ready() {
            self.apply_wake.notify_one();
        }
        if core.next_deadline(now) < deadline {
            self.timer_wake.notify_one();
        }
        result
    }

    /// Sends each RPC in a task of its own, and feeds its answer back to the core.
    fn send(self: &Arc<Self>, outgoing: Vec<Outgoing>) {
        if self.is_killed() {
            return;
        }
        for message in outgoing {
            let node = self.clone();
            spawn(async move {
                let more = match message {
                    Outgoing::RequestVote { to, args } => {
                        node.call(to, REQUEST_VOTE, &args, |core, now, reply| {
                            core.handle_vote_reply(now, to, &args, reply)
                        })
                        .await
                    }
                    Outgoing::AppendEntries { to, args } => {
                        node.call(to, APPEND_ENTRIES, &args, |core, _, reply| {
                            core.handle_append_reply(to, &args, reply)
                        })
                        .await
                    }
                    Outgoing::InstallSnapshot { to, args } => {
                        node.call(to, INSTALL_SNAPSHOT, &args, |core, _, reply| {
                            core.handle_install_snapshot_reply(to, &args, reply)
                        })
                        .await
                    }
                };
                node.send(more);
            });
        }
    }

    /// Calls `method` on peer `to` and hands the reply to the core. A lost RPC is routine;
    /// any other error is a bug worth a loud line.
    async fn call<A, R>(
        &self,
        to: usize,
        method: &str,
        args: &A,
        on_reply: impl FnOnce(&mut Core, Instant, R) -> Vec<Outgoing>,
    ) -> Vec<Outgoing>
    where
        A: labgob::Gob,
        R: labgob::Gob,
    {
        match self.peers[to].call::<A, R>(method, args).await {
            Ok(reply) if !self.is_killed() => {
                self.with_core(|core, now| on_reply(core, now, reply))
            }
            Ok(_) => Vec::new(),
            Err(err) => {
                if !err.is_no_reply() {
                    log::error!(target: "raft::rpc", "S{} -> S{to}: {err}", self.me);
                }
                Vec::new()
            }
        }
    }
}

/// The timer task: acts on the core's deadlines until the peer is killed.
async fn timer(node: Arc<Node>) {
    while !node.is_killed() {
        let (outgoing, deadline) =
            node.with_core(|core, now| (core.tick(now), core.next_deadline(now)));
        node.send(outgoing);
        futures::select! {
            () = sleep_until(deadline).fuse() => {}
            () = node.timer_wake.notified().fuse() => {}
        }
    }
}

/// The applier task: hands committed commands and the leader's snapshots to the service,
/// in order, never holding the core's lock while the service takes them.
async fn applier(node: Arc<Node>, apply: ApplySender) {
    while !node.is_killed() {
        let ready = node.with_core(|core, _| core.take_ready(APPLY_BATCH));
        if ready.is_empty() {
            node.apply_wake.notified().await;
            continue;
        }
        for item in ready {
            if node.is_killed() {
                return;
            }
            let message = match item {
                Ready::Command { index, command } => ApplyMsg::Command { index, command },
                Ready::Snapshot { index, term, data } => ApplyMsg::Snapshot {
                    snapshot: data,
                    term,
                    index,
                },
            };
            if apply.send(message).await.is_err() {
                return;
            }
        }
    }
}
