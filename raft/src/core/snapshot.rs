//! Log compaction: the service's snapshots, and InstallSnapshot on both sides.

use lab_runtime::time::Instant;

use super::{Core, Outgoing, Role};
use crate::messages::{InstallSnapshotArgs, InstallSnapshotReply};

impl Core {
    /// The service has a snapshot of everything through `index`: the log before it goes.
    /// An index the log no longer holds (an older snapshot, or one the leader's snapshot
    /// has overtaken) changes nothing.
    pub fn take_snapshot(&mut self, index: u64, data: Vec<u8>) {
        let log = &self.hard.log;
        if index <= log.snapshot_index() || index > self.last_applied || index > log.last_index() {
            return;
        }
        self.hard.log.compact_through(index);
        self.snapshot = data;
        self.unsaved = true;
        self.unsaved_snapshot = true;
        ::log::debug!(target: "raft::snapshot", "S{} T{}: snapshot through {index}", self.me, self.hard.term);
    }

    /// A leader's snapshot reaches this peer.
    pub fn handle_install_snapshot(
        &mut self,
        now: Instant,
        args: InstallSnapshotArgs,
    ) -> InstallSnapshotReply {
        self.observe_term(args.term);
        let reply = InstallSnapshotReply {
            term: self.hard.term,
        };
        if args.term < self.hard.term {
            return reply;
        }
        self.role = Role::Follower;
        self.reset_election_timer(now);
        let index = args.last_included_index;
        // What we have committed already covers it (a stale or repeated snapshot): our
        // state is at least as new, and the service must not go back.
        if index <= self.commit_index && !mutant!("older_snapshot_installed") {
            return reply;
        }
        let log = &mut self.hard.log;
        if log.term_at(index) == Some(args.last_included_term) {
            // Entries after the snapshot agree with the leader's log so far: keep them.
            log.compact_through(index);
        } else {
            log.reset_to_snapshot(index, args.last_included_term);
        }
        self.snapshot = args.data;
        self.commit_index = index;
        self.last_applied = index;
        self.snapshot_to_apply = true;
        self.unsaved = true;
        self.unsaved_snapshot = true;
        ::log::debug!(target: "raft::snapshot", "S{} T{}: installed the leader's snapshot through {index}", self.me, self.hard.term);
        reply
    }

    /// A follower answered our InstallSnapshot `args`.
    pub fn handle_install_snapshot_reply(
        &mut self,
        from: usize,
        args: &InstallSnapshotArgs,
        reply: InstallSnapshotReply,
    ) -> Vec<Outgoing> {
        self.observe_term(reply.term);
        if args.term != self.hard.term {
            return Vec::new();
        }
        let Role::Leader(leadership) = &mut self.role else {
            return Vec::new();
        };
        leadership.in_flight[from] = false;
        if args.last_included_index > leadership.match_index[from] {
            leadership.match_index[from] = args.last_included_index;
            self.advance_commit_index();
        }
        self.raise_next_index(from);
        self.send_if_behind(from)
    }
}
