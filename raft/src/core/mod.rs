//! The protocol core: Figure 2 as a state machine, free of tasks, timers and network.
//!
//! Every input is a method taking the current time: [`Core::tick`] for timers, a handler
//! per RPC and per reply. Each returns the RPCs to send. What must be persisted before
//! anything leaves the peer is flagged ([`Core::take_unsaved_state`]); committed entries
//! wait in [`Core::take_committed`]. The caller owns the clock and the randomness source.

mod election;
mod log;
mod replication;
pub mod timing;

use lab_runtime::time::Instant;

use rand::rngs::SmallRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

pub use self::log::Log;
use crate::messages::{AppendEntriesArgs, RequestVoteArgs};
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
    RequestVote { to: usize, args: RequestVoteArgs },
    AppendEntries { to: usize, args: AppendEntriesArgs },
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
    /// When the next round of AppendEntries is due.
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
    last_applied: u64,
    election_deadline: Instant,
    unsaved: bool,
    rng: SmallRng,
}

impl Core {
    /// Peer `me` of `peers`, from its persisted state.
    pub fn new(me: usize, peers: usize, hard: HardState, now: Instant, rng: SmallRng) -> Self {
        let mut core = Core {
            me,
            peers,
            hard,
            role: Role::Follower,
            commit_index: 0,
            last_applied: 0,
            election_deadline: now,
            unsaved: false,
            rng,
        };
        core.reset_election_timer(now);
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

    /// Acts on whatever timer is due: starts an election, or sends a round of
    /// AppendEntries.
    pub fn tick(&mut self, now: Instant) -> Vec<Outgoing> {
        match &mut self.role {
            Role::Leader(leadership) if now >= leadership.heartbeat_due => {
                leadership.heartbeat_due = now + HEARTBEAT_INTERVAL;
                self.append_entries_to_all()
            }
            Role::Leader(_) => Vec::new(),
            _ if now >= self.election_deadline => self.start_election(now),
            _ => Vec::new(),
        }
    }

    /// When `tick` next has something to do.
    pub fn next_deadline(&self) -> Instant {
        match &self.role {
            Role::Leader(leadership) => leadership.heartbeat_due,
            _ => self.election_deadline,
        }
    }

    /// The hard state, if it changed since last taken: the caller must save it before
    /// sending anything the core returned.
    pub fn take_unsaved_state(&mut self) -> Option<&HardState> {
        std::mem::take(&mut self.unsaved).then_some(&self.hard)
    }

    /// Committed entries not yet handed out, with their indexes, in order.
    pub fn take_committed(&mut self) -> Vec<(u64, Vec<u8>)> {
        let mut committed = Vec::new();
        while self.last_applied < self.commit_index {
            self.last_applied += 1;
            if let Some(entry) = self.hard.log.entry(self.last_applied) {
                committed.push((self.last_applied, entry.command.clone()));
            }
        }
        committed
    }

    fn majority(&self) -> usize {
        self.peers / 2 + 1
    }

    fn others(&self) -> impl Iterator<Item = usize> {
        let me = self.me;
        (0..self.peers).filter(move |&peer| peer != me)
    }

    fn reset_election_timer(&mut self, now: Instant) {
        let timeout = self.rng.gen_range(ELECTION_TIMEOUT_MS);
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
