//! Log replication: AppendEntries on both sides, proposals and the commit index.

use lab_runtime::time::Instant;

use super::{Core, Outgoing, Role};
use crate::messages::{AppendEntriesArgs, AppendEntriesReply, Entry};

impl Core {
    /// Appends a command if this peer leads: returns its index and the term.
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

    /// AppendEntries for every other peer, from what it is known to lack.
    pub(super) fn append_entries_to_all(&self) -> Vec<Outgoing> {
        self.others()
            .filter_map(|to| {
                Some(Outgoing::AppendEntries {
                    to,
                    args: self.append_entries_for(to)?,
                })
            })
            .collect()
    }

    /// The AppendEntries this leader would send `to` now.
    fn append_entries_for(&self, to: usize) -> Option<AppendEntriesArgs> {
        let Role::Leader(leadership) = &self.role else {
            return None;
        };
        let prev_log_index = leadership.next_index[to] - 1;
        let prev_log_term = self.hard.log.term_at(prev_log_index)?;
        Some(AppendEntriesArgs {
            term: self.hard.term,
            leader: self.me as u64,
            prev_log_index,
            prev_log_term,
            entries: self.hard.log.entries_from(prev_log_index + 1).to_vec(),
            leader_commit: self.commit_index,
        })
    }

    /// A leader's AppendEntries reaches this peer.
    pub fn handle_append_entries(
        &mut self,
        now: Instant,
        args: AppendEntriesArgs,
    ) -> AppendEntriesReply {
        self.observe_term(args.term);
        let mut reply = AppendEntriesReply {
            term: self.hard.term,
            success: false,
            conflict_term: None,
            conflict_index: 0,
        };
        if args.term < self.hard.term {
            return reply;
        }
        // A leader of our term exists: a candidate yields, and the election clock restarts.
        self.role = Role::Follower;
        self.reset_election_timer(now);

        let log = &self.hard.log;
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
            self.commit_index = args.leader_commit.min(last_new);
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
        let Role::Leader(leadership) = &mut self.role else {
            return Vec::new();
        };
        if reply.success {
            let matched = args.prev_log_index + args.entries.len() as u64;
            if matched > leadership.match_index[from] {
                leadership.match_index[from] = matched;
                leadership.next_index[from] = matched + 1;
                self.advance_commit_index();
            }
            return Vec::new();
        }
        // Back up past the whole conflicting term at once, then retry right away.
        let retry_from = match reply.conflict_term {
            Some(term) => self
                .hard
                .log
                .last_index_of_term(term)
                .map_or(reply.conflict_index, |last| last + 1),
            None => reply.conflict_index,
        };
        leadership.next_index[from] = retry_from.clamp(1, self.hard.log.last_index() + 1);
        self.append_entries_for(from)
            .map(|args| Outgoing::AppendEntries { to: from, args })
            .into_iter()
            .collect()
    }

    /// Commits the highest index of the current term that a majority holds.
    fn advance_commit_index(&mut self) {
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
