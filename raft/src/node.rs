//! The plumbing around the core: its lock, the timer task, RPCs in and out, persistence
//! and the apply channel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures::channel::mpsc;
use futures::{FutureExt, StreamExt};
use lab_runtime::random;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep_until, Instant};
use labrpc::{ClientEnd, Service};
use tester::{ApplyMsg, ApplySender, Persister, RaftPeer};

use crate::core::{Core, Outgoing};
use crate::messages::{
    AppendEntriesArgs, AppendEntriesReply, RequestVoteArgs, RequestVoteReply, APPEND_ENTRIES,
    REQUEST_VOTE,
};
use crate::persist;

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
    apply: ApplySender,
    killed: AtomicBool,
    /// Wakes the timer task when a deadline moves earlier, or on kill.
    wake: mpsc::UnboundedSender<()>,
}

impl RaftPeer for Raft {
    fn make(
        peers: Vec<ClientEnd>,
        me: usize,
        persister: Arc<Persister>,
        apply: ApplySender,
    ) -> Self {
        let hard = match persist::decode(&persister.raft_state()) {
            Ok(hard) => hard,
            Err(err) => panic!("raft S{me}: cannot restore the persisted state: {err}"),
        };
        let core = Core::new(me, peers.len(), hard, Instant::now(), random::small_rng());
        let (wake, wake_rx) = mpsc::unbounded();
        let node = Arc::new(Node {
            me,
            peers,
            core: Mutex::new(core),
            persister,
            apply,
            killed: AtomicBool::new(false),
            wake,
        });
        spawn(timer(node.clone(), wake_rx));
        Raft { node }
    }

    fn service(&self) -> Service {
        let (votes, appends) = (self.node.clone(), self.node.clone());
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

    fn snapshot(&self, _index: u64, _snapshot: Vec<u8>) {
        // Log compaction comes with part 2D.
    }

    fn kill(&self) {
        self.node.killed.store(true, Ordering::Relaxed);
        let _ = self.node.wake.unbounded_send(());
    }
}

fn method_name(call: &str) -> &str {
    call.rsplit_once('.').map_or(call, |(_, method)| method)
}

impl Node {
    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    fn lock_core(&self) -> std::sync::MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `step` on the core, then does what it asks before anything leaves: saves the
    /// hard state, hands committed entries to the service, and wakes the timer task if its
    /// deadline moved earlier.
    fn with_core<T>(&self, step: impl FnOnce(&mut Core, Instant) -> T) -> T {
        let mut core = self.lock_core();
        let deadline = core.next_deadline();
        let result = step(&mut core, Instant::now());
        if let Some(hard) = core.take_unsaved_state() {
            self.persister.save_raft_state(persist::encode(hard));
        }
        for (index, command) in core.take_committed() {
            // The receiver is gone only when the tester stopped listening to this peer.
            let _ = self
                .apply
                .unbounded_send(ApplyMsg::Command { index, command });
        }
        if core.next_deadline() < deadline {
            let _ = self.wake.unbounded_send(());
        }
        result
    }

    /// Sends each RPC in a task of its own, and feeds its reply back to the core.
    fn send(self: &Arc<Self>, outgoing: Vec<Outgoing>) {
        if self.is_killed() {
            return;
        }
        for message in outgoing {
            let node = self.clone();
            spawn(async move {
                let more = match message {
                    Outgoing::RequestVote { to, args } => {
                        let reply: Result<RequestVoteReply, _> =
                            node.peers[to].call(REQUEST_VOTE, &args).await;
                        match reply {
                            Ok(reply) => node.with_core(|core, now| {
                                core.handle_vote_reply(now, to, &args, reply)
                            }),
                            Err(err) => node.note_call_error(to, err),
                        }
                    }
                    Outgoing::AppendEntries { to, args } => {
                        let reply: Result<AppendEntriesReply, _> =
                            node.peers[to].call(APPEND_ENTRIES, &args).await;
                        match reply {
                            Ok(reply) => {
                                node.with_core(|core, _| core.handle_append_reply(to, &args, reply))
                            }
                            Err(err) => node.note_call_error(to, err),
                        }
                    }
                };
                node.send(more);
            });
        }
    }

    /// A lost RPC is routine; anything else is a bug worth a loud line.
    fn note_call_error(&self, to: usize, err: labrpc::CallError) -> Vec<Outgoing> {
        if !err.is_no_reply() {
            log::error!(target: "raft::rpc", "S{} -> S{to}: {err}", self.me);
        }
        Vec::new()
    }
}

/// The timer task: acts on the core's deadlines until the peer is killed.
async fn timer(node: Arc<Node>, mut wake: mpsc::UnboundedReceiver<()>) {
    while !node.is_killed() {
        let (outgoing, deadline) =
            node.with_core(|core, now| (core.tick(now), core.next_deadline()));
        node.send(outgoing);
        futures::select! {
            () = sleep_until(deadline).fuse() => {}
            _ = wake.next() => {}
        }
    }
}
