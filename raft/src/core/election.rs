//! Leader election: RequestVote on both sides, and winning.

use lab_runtime::time::Instant;

use super::{Core, Leadership, Outgoing, Role};
use crate::messages::{RequestVoteArgs, RequestVoteReply};

impl Core {
    pub(super) fn start_election(&mut self, now: Instant) -> Vec<Outgoing> {
        // Restarting refuses a saved term of u64::MAX, but an RPC can still carry one: a
        // peer in that term has no next term and stays a follower instead of overflowing.
        let Some(next_term) = self.hard.term.checked_add(1) else {
            ::log::warn!(target: "raft::election", "S{} T{}: no next term to stand in", self.me, self.hard.term);
            self.reset_election_timer(now);
            return Vec::new();
        };
        self.hard.term = next_term;
        self.hard.voted_for = Some(self.me as u64);
        self.unsaved = true;
        let mut votes = vec![false; self.peers];
        votes[self.me] = true;
        self.role = Role::Candidate { votes };
        self.reset_election_timer(now);
        ::log::debug!(target: "raft::election", "S{} T{}: election timeout, standing", self.me, self.hard.term);
        if self.majority() <= 1 {
            return self.become_leader(now);
        }
        let args = RequestVoteArgs {
            term: self.hard.term,
            candidate: self.me as u64,
            last_log_index: self.hard.log.last_index(),
            last_log_term: self.hard.log.last_term(),
        };
        self.others()
            .map(|to| Outgoing::RequestVote {
                to,
                args: args.clone(),
            })
            .collect()
    }

    /// A candidate asks for this peer's vote.
    pub fn handle_request_vote(&mut self, now: Instant, args: RequestVoteArgs) -> RequestVoteReply {
        self.observe_term(args.term);
        let log = &self.hard.log;
        let up_to_date =
            (args.last_log_term, args.last_log_index) >= (log.last_term(), log.last_index());
        let free = self
            .hard
            .voted_for
            .is_none_or(|voted| voted == args.candidate);
        let granted = args.term == self.hard.term && free && up_to_date;
        if granted {
            if self.hard.voted_for.is_none() {
                self.hard.voted_for = Some(args.candidate);
                self.unsaved = true;
            }
            // Granting a vote defers our own candidacy, as hearing from a leader does.
            self.reset_election_timer(now);
        }
        ::log::debug!(
            target: "raft::election",
            "S{} T{}: vote for S{} in T{}: {}",
            self.me, self.hard.term, args.candidate, args.term,
            if granted { "granted" } else if !up_to_date { "refused, its log is behind" } else { "refused" }
        );
        RequestVoteReply {
            term: self.hard.term,
            vote_granted: granted,
        }
    }

    /// A peer answered our RequestVote `args`.
    pub fn handle_vote_reply(
        &mut self,
        now: Instant,
        from: usize,
        args: &RequestVoteArgs,
        reply: RequestVoteReply,
    ) -> Vec<Outgoing> {
        self.observe_term(reply.term);
        if (args.term != self.hard.term && !mutant!("stale_vote_reply")) || !reply.vote_granted {
            return Vec::new();
        }
        let Role::Candidate { votes } = &mut self.role else {
            return Vec::new();
        };
        votes[from] = true;
        let count = votes.iter().filter(|&&vote| vote).count();
        if count >= self.majority() {
            self.become_leader(now)
        } else {
            Vec::new()
        }
    }

    /// Takes the lead and asserts it at once with a round of AppendEntries.
    fn become_leader(&mut self, now: Instant) -> Vec<Outgoing> {
        ::log::debug!(target: "raft::election", "S{} T{}: elected leader", self.me, self.hard.term);
        let next = self.hard.log.last_index() + 1;
        let mut match_index = vec![0; self.peers];
        match_index[self.me] = self.hard.log.last_index();
        self.role = Role::Leader(Leadership {
            next_index: vec![next; self.peers],
            match_index,
            in_flight: vec![false; self.peers],
            commit_sent: vec![0; self.peers],
            heartbeat_due: now,
        });
        self.tick(now)
    }
}
