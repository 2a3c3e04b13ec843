//! The protocol core: Figure 2 as a state machine, free of tasks, timers and network.
//!
//! Every input is a method taking the current time: [`Core::tick`] for timers, a handler
//! per RPC and per reply. Each returns the RPCs to send. What must be persisted before
//! anything leaves the peer is flagged ([`Core::take_unsaved`]); committed entries and
//! snapshots wait in [`Core::take_ready`]. The caller owns the clock and the randomness
//! source.

mod election;
mod log;
mod replication;
mod snapshot;
pub mod timing;

use lab_runtime::time::Instant;

use rand::rngs::SmallRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

pub use self::log::Log;
use crate::messages::{AppendEntriesArgs, InstallSnapshotArgs, RequestVoteArgs};
use timing::{ELECTION_TIMEOUT_MS, HEARTBEAT_INTERVAL};

/// What a peer must keep across crashes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HardState {
    pub term: u64,
    pub voted_for: Option<u64>,
    pub log: Log,
}

/// An RPC the core asks to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    RequestVote {
        to: usize,
        args: RequestVoteArgs,
    },
    AppendEntries {
        to: usize,
        args: AppendEntriesArgs,
    },
    InstallSnapshot {
        to: usize,
        args: InstallSnapshotArgs,
    },
}

impl Outgoing {
    pub fn to(&self) -> usize {
        match self {
            Outgoing::RequestVote { to, .. }
            | Outgoing::AppendEntries { to, .. }
            | Outgoing::InstallSnapshot { to, .. } => *to,
        }
    }
}

/// What the service is handed, in log order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ready {
    Command {
        index: u64,
        command: Vec<u8>,
    },
    Snapshot {
        index: u64,
        term: u64,
        data: Vec<u8>,
    },
}

/// What must reach stable storage before anything the core returned leaves the peer.
#[derive(Debug)]
pub struct Unsaved<'a> {
    pub state: &'a HardState,
    /// The snapshot, when it changed too: it is saved together with the state.
    pub snapshot: Option<&'a [u8]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Follower,
    Candidate { votes: Vec<bool> },
    Leader(Leadership),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leadership {
    /// The next log index to send each peer.
    next_index: Vec<u64>,
    /// The highest index known replicated on each peer.
    match_index: Vec<u64>,
    /// Whether a request to each peer awaits its answer. A peer with none in flight is
    /// sent what it lacks at once; one with a request in flight gets the rest when the
    /// answer comes, so that a burst of proposals travels in one batch.
    in_flight: Vec<bool>,
    /// The commit index each peer was last told.
    commit_sent: Vec<u64>,
    /// When the next round of AppendEntries to all is due.
    heartbeat_due: Instant,
}

/// One peer's protocol state.
#[derive(Debug)]
pub struct Core {
    me: usize,
    peers: usize,
    hard: HardState,
    role: Role,
    commit_index: u64,
    /// The last index handed to the service (through `take_ready`).
    last_applied: u64,
    /// The service's snapshot through `hard.log.snapshot_index()`.
    snapshot: Vec<u8>,
    /// A snapshot from the leader, to hand to the service before further commands.
    snapshot_to_apply: bool,
    election_deadline: Instant,
    unsaved: bool,
    unsaved_snapshot: bool,
    rng: SmallRng,
}

impl Core {
    /// Peer `me` of `peers`, from its persisted state and snapshot. The service restores
    /// the snapshot itself, so what it covers counts as applied.
    pub fn new(
        me: usize,
        peers: usize,
        hard: HardState,
        snapshot: Vec<u8>,
        now: Instant,
        rng: SmallRng,
    ) -> Self {
        let restored = hard.log.snapshot_index();
        let mut core = Core {
            me,
            peers,
            hard,
            role: Role::Follower,
            commit_index: restored,
            last_applied: restored,
            snapshot,
            snapshot_to_apply: false,
            election_deadline: now,
            unsaved: false,
            unsaved_snapshot: false,
            rng,
        };
        core.reset_election_timer(now);
        if mutant!("vote_not_persisted") {
            core.hard.voted_for = None;
        }
        core
    }

    pub fn term(&self) -> u64 {
        self.hard.term
    }

    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader(_))
    }

    pub fn role(&self) -> &Role {
        &self.role
    }

    pub fn voted_for(&self) -> Option<u64> {
        self.hard.voted_for
    }

    pub fn log(&self) -> &Log {
        &self.hard.log
    }

    pub fn commit_index(&self) -> u64 {
        self.commit_index
    }

    pub fn snapshot(&self) -> &[u8] {
        &self.snapshot
    }

    /// Acts on whatever timer is due: starts an election; as leader, sends a round of
    /// AppendEntries to all when the heartbeat is due, and otherwise what each idle peer
    /// lacks.
    pub fn tick(&mut self, now: Instant) -> Vec<Outgoing> {
        match &mut self.role {
            Role::Leader(leadership) if now >= leadership.heartbeat_due => {
                leadership.heartbeat_due = now + HEARTBEAT_INTERVAL;
                let peers: Vec<usize> = self.others().collect();
                self.replicate_to(peers)
            }
            Role::Leader(_) => {
                let idle = self.idle_peers_behind();
                self.replicate_to(idle)
            }
            _ if now >= self.election_deadline => self.start_election(now),
            _ => Vec::new(),
        }
    }

    /// When `tick` next has something to do: now, for a leader with an idle peer that
    /// lacks entries or the commit index.
    pub fn next_deadline(&self, now: Instant) -> Instant {
        match &self.role {
            // Called on every step of the peer: ask, without collecting the peers.
            Role::Leader(_) if self.others().any(|peer| self.is_idle_and_behind(peer)) => now,
            Role::Leader(leadership) => leadership.heartbeat_due,
            _ => self.election_deadline,
        }
    }

    /// The hard state (and the snapshot, if it changed too), if changed since last taken:
    /// the caller must save it before sending anything the core returned.
    pub fn take_unsaved(&mut self) -> Option<Unsaved<'_>> {
        let snapshot = std::mem::take(&mut self.unsaved_snapshot);
        let state = std::mem::take(&mut self.unsaved) || snapshot;
        state.then(|| Unsaved {
            state: &self.hard,
            snapshot: snapshot.then_some(self.snapshot.as_slice()),
        })
    }

    /// Whether `take_ready` has something.
    pub fn has_ready(&self) -> bool {
        self.snapshot_to_apply || self.last_applied < self.commit_index
    }

    /// What the service has not been handed yet, in order: a snapshot from the leader,
    /// then committed commands (at most `limit`, so a long catch-up goes in parts).
    pub fn take_ready(&mut self, limit: usize) -> Vec<Ready> {
        let mut ready = Vec::new();
        if std::mem::take(&mut self.snapshot_to_apply) {
            ready.push(Ready::Snapshot {
                index: self.hard.log.snapshot_index(),
                term: self.hard.log.snapshot_term(),
                data: self.snapshot.clone(),
            });
        }
        while self.last_applied < self.commit_index && ready.len() < limit {
            self.last_applied += 1;
            if let Some(entry) = self.hard.log.entry(self.last_applied) {
                ready.push(Ready::Command {
                    index: self.last_applied,
                    command: entry.command.clone(),
                });
            }
        }
        ready
    }

    fn majority(&self) -> usize {
        self.peers / 2 + 1
    }

    fn others(&self) -> impl Iterator<Item = usize> {
        let me = self.me;
        (0..self.peers).filter(move |&peer| peer != me)
    }

    fn reset_election_timer(&mut self, now: Instant) {
        let mut timeout = self.rng.gen_range(ELECTION_TIMEOUT_MS);
        if mutant!("fixed_election_timeout") {
            timeout = 300;
        }
        self.election_deadline = now + lab_runtime::time::Duration::from_millis(timeout);
    }

    /// Adopts a newer term seen in any message, as a follower that has not voted in it.
    fn observe_term(&mut self, term: u64) {
        if term > self.hard.term {
            ::log::debug!(target: "raft::election", "S{} T{} -> T{term}: newer term seen, following", self.me, self.hard.term);
            self.hard.term = term;
            self.hard.voted_for = None;
            self.unsaved = true;
            self.role = Role::Follower;
        }
    }
}

#[cfg(test)]
mod tests;
