//! Log replication: AppendEntries on both sides, proposals and the commit index.

use lab_runtime::time::Instant;

use super::{Core, Outgoing, Role};
use crate::messages::{AppendEntriesArgs, AppendEntriesReply, Entry, InstallSnapshotArgs};

impl Core {
    /// Appends a command if this peer leads: returns its index and the term. The entry
    /// goes out at the next `tick`, to every peer with no request in flight.
    pub fn propose(&mut self, command: Vec<u8>) -> Option<(u64, u64)> {
        let term = self.hard.term;
        let Role::Leader(leadership) = &mut self.role else {
            return None;
        };
        let index = self.hard.log.push(Entry { term, command });
        leadership.match_index[self.me] = index;
        self.unsaved = true;
        ::log::debug!(target: "raft::replication", "S{} T{term}: proposed at {index}", self.me);
        if self.majority() <= 1 {
            self.advance_commit_index();
        }
        Some((index, term))
    }

    /// The peers with no request in flight that lack entries or the commit index.
    pub(super) fn idle_peers_behind(&self) -> Vec<usize> {
        self.others()
            .filter(|&peer| self.is_idle_and_behind(peer))
            .collect()
    }

    /// Whether a leader owes `peer` a request now: none is in flight, and it lacks entries
    /// or the commit index.
    pub(super) fn is_idle_and_behind(&self, peer: usize) -> bool {
        let Role::Leader(leadership) = &self.role else {
            return false;
        };
        !leadership.in_flight[peer]
            && (leadership.next_index[peer] <= self.hard.log.last_index()
                || leadership.commit_sent[peer] < self.commit_index)
    }

    /// Sends each of `peers` what it lacks, marking the requests in flight.
    pub(super) fn replicate_to(&mut self, peers: Vec<usize>) -> Vec<Outgoing> {
        let outgoing: Vec<Outgoing> = peers
            .into_iter()
            .filter_map(|to| self.replication_for(to))
            .collect();
        if let Role::Leader(leadership) = &mut self.role {
            for message in &outgoing {
                leadership.in_flight[message.to()] = true;
                if let Outgoing::AppendEntries { to, args } = message {
                    leadership.commit_sent[*to] = args.leader_commit;
                }
            }
        }
        outgoing
    }

    /// What this leader would send `to` now: the entries it lacks, or the snapshot when
    /// the leader has discarded them.
    fn replication_for(&self, to: usize) -> Option<Outgoing> {
        let Role::Leader(leadership) = &self.role else {
            return None;
        };
        let log = &self.hard.log;
        let prev_log_index = leadership.next_index[to] - 1;
        let Some(prev_log_term) = log.term_at(prev_log_index) else {
            return Some(Outgoing::InstallSnapshot {
                to,
                args: InstallSnapshotArgs {
                    term: self.hard.term,
                    leader: self.me as u64,
                    last_included_index: log.snapshot_index(),
                    last_included_term: log.snapshot_term(),
                    data: self.snapshot.clone(),
                },
            });
        };
        Some(Outgoing::AppendEntries {
            to,
            args: AppendEntriesArgs {
                term: self.hard.term,
                leader: self.me as u64,
                prev_log_index,
                prev_log_term,
                entries: log.entries_from(prev_log_index + 1).to_vec(),
                leader_commit: self.commit_index,
            },
        })
    }

    /// A leader's AppendEntries reaches this peer.
    pub fn handle_append_entries(
        &mut self,
        now: Instant,
        mut args: AppendEntriesArgs,
    ) -> AppendEntriesReply {
        if !mutant!("append_keeps_term") {
            self.observe_term(args.term);
        }
        let mut reply = AppendEntriesReply {
            term: self.hard.term,
            success: false,
            conflict_term: None,
            conflict_index: 0,
        };
        if args.term < self.hard.term {
            if mutant!("stale_append_resets_timer") {
                self.reset_election_timer(now);
            }
            return reply;
        }
        // A leader of our term exists: a candidate yields, and the election clock restarts.
        self.role = Role::Follower;
        self.reset_election_timer(now);

        let log = &self.hard.log;
        let snapshot_index = log.snapshot_index();
        if args.prev_log_index < snapshot_index {
            // Our snapshot covers the start: those entries are committed, so they agree.
            let covered = (snapshot_index - args.prev_log_index) as usize;
            args.entries.drain(..covered.min(args.entries.len()));
            args.prev_log_index = snapshot_index;
            args.prev_log_term = log.snapshot_term();
        }
        match log.term_at(args.prev_log_index) {
            None => {
                reply.conflict_index = log.last_index() + 1;
                return reply;
            }
            Some(term) if term != args.prev_log_term => {
                reply.conflict_term = Some(term);
                reply.conflict_index = log.first_index_of_term_at(args.prev_log_index);
                return reply;
            }
            Some(_) => {}
        }
        if self.hard.log.merge(args.prev_log_index, &args.entries) {
            self.unsaved = true;
        }
        let last_new = args.prev_log_index + args.entries.len() as u64;
        if args.leader_commit > self.commit_index {
            self.commit_index = self.commit_index.max(args.leader_commit.min(last_new));
        }
        reply.success = true;
        reply
    }

    /// A follower answered our AppendEntries `args`.
    pub fn handle_append_reply(
        &mut self,
        from: usize,
        args: &AppendEntriesArgs,
        reply: AppendEntriesReply,
    ) -> Vec<Outgoing> {
        self.observe_term(reply.term);
        if args.term != self.hard.term {
            return Vec::new();
        }
        let last = self.hard.log.last_index();
        let Role::Leader(leadership) = &mut self.role else {
            return Vec::new();
        };
        leadership.in_flight[from] = false;
        if reply.success {
            let matched = args.prev_log_index + args.entries.len() as u64;
            if matched > leadership.match_index[from] {
                leadership.match_index[from] = matched;
                self.advance_commit_index();
            }
            self.raise_next_index(from);
        } else {
            // Back up past the whole conflicting term at once. A stale answer (the follower
            // has since matched more) must not move the leader back.
            let retry_from = match reply.conflict_term {
                Some(term) => self
                    .hard
                    .log
                    .last_index_of_term(term)
                    .map_or(reply.conflict_index, |last| last + 1),
                None => reply.conflict_index,
            };
            leadership.next_index[from] =
                retry_from.clamp(leadership.match_index[from] + 1, last + 1);
        }
        self.send_if_behind(from)
    }

    /// Keeps `next_index` past what the peer is known to hold.
    pub(super) fn raise_next_index(&mut self, peer: usize) {
        if let Role::Leader(leadership) = &mut self.role {
            let matched = leadership.match_index[peer];
            if leadership.next_index[peer] <= matched {
                leadership.next_index[peer] = matched + 1;
            }
        }
    }

    /// Sends `peer` what it still lacks, if anything and none is in flight.
    pub(super) fn send_if_behind(&mut self, peer: usize) -> Vec<Outgoing> {
        if self.is_idle_and_behind(peer) {
            self.replicate_to(vec![peer])
        } else {
            Vec::new()
        }
    }

    /// Commits the highest index of the current term that a majority holds.
    pub(super) fn advance_commit_index(&mut self) {
        let Role::Leader(leadership) = &self.role else {
            return;
        };
        let mut matched = leadership.match_index.clone();
        matched.sort_unstable_by(|a, b| b.cmp(a));
        let majority_holds = matched[self.majority() - 1];
        // Only entries of the current term commit by counting (Figure 8).
        if majority_holds > self.commit_index
            && self.hard.log.term_at(majority_holds) == Some(self.hard.term)
        {
            ::log::debug!(target: "raft::replication", "S{} T{}: commit {majority_holds}", self.me, self.hard.term);
            self.commit_index = majority_holds;
        }
    }
}
