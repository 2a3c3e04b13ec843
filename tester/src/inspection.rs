//! What a peer may show the tester of its state, for the safety checks (see
//! [`RaftPeer::inspect`](crate::RaftPeer::inspect)).

/// A peer's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

/// One consistent look at a peer's Raft state, taken under its lock. Made with
/// [`Inspection::new`] (and [`Inspection::with_vote`]): fields the tester adds later then
/// break no Raft's `inspect`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Inspection {
    pub term: u64,
    pub role: Role,
    /// The highest index the peer knows committed.
    pub commit_index: u64,
    /// Whom the peer voted for in `term` (`votedFor`), if anyone.
    pub voted_for: Option<usize>,
    /// The terms of the log's entries.
    pub log: LogTerms,
}

impl Inspection {
    /// A peer in `term`, in `role`, that knows entries through `commit_index` committed and
    /// holds `log`; with no vote shown.
    pub fn new(term: u64, role: Role, commit_index: u64, log: LogTerms) -> Self {
        Inspection {
            term,
            role,
            commit_index,
            voted_for: None,
            log,
        }
    }

    /// The same, showing whom the peer voted for in `term` (`votedFor`), so that the checks
    /// can see a vote change within a term.
    pub fn with_vote(self, voted_for: Option<usize>) -> Self {
        Inspection { voted_for, ..self }
    }
}

/// The terms of a log's entries after its snapshot point, kept as runs of one term, so that
/// a look costs little however long the log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogTerms {
    snapshot_index: u64,
    snapshot_term: u64,
    /// `(first index, term)` of each run of entries of one term, in index order.
    runs: Vec<(u64, u64)>,
    last_index: u64,
}

impl LogTerms {
    /// An empty log after a snapshot through `snapshot_index` (0 and 0 without one).
    pub fn new(snapshot_index: u64, snapshot_term: u64) -> Self {
        LogTerms {
            snapshot_index,
            snapshot_term,
            runs: Vec::new(),
            last_index: snapshot_index,
        }
    }

    /// A log from its snapshot point and the terms of its entries after it, in order.
    pub fn from_terms(
        snapshot_index: u64,
        snapshot_term: u64,
        terms: impl IntoIterator<Item = u64>,
    ) -> Self {
        let mut log = LogTerms::new(snapshot_index, snapshot_term);
        for term in terms {
            log.push_run(1, term);
        }
        log
    }

    /// Appends `count` entries of `term`.
    pub fn push_run(&mut self, count: u64, term: u64) {
        if count == 0 {
            return;
        }
        if self.runs.last().is_none_or(|&(_, last)| last != term) {
            self.runs.push((self.last_index + 1, term));
        }
        self.last_index += count;
    }

    pub fn snapshot_index(&self) -> u64 {
        self.snapshot_index
    }

    pub fn snapshot_term(&self) -> u64 {
        self.snapshot_term
    }

    pub fn last_index(&self) -> u64 {
        self.last_index
    }

    /// The highest term of an entry the log holds, the snapshot point's included (terms
    /// never fall along a log, so it is the last entry's).
    pub fn max_term(&self) -> u64 {
        self.runs
            .iter()
            .map(|&(_, term)| term)
            .fold(self.snapshot_term, u64::max)
    }

    /// The term at `index`, if the log holds it (the snapshot point included).
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.snapshot_index {
            return Some(self.snapshot_term);
        }
        if index < self.snapshot_index || index > self.last_index {
            return None;
        }
        let at = self.runs.partition_point(|&(first, _)| first <= index);
        Some(self.runs[at - 1].1)
    }

    /// The runs of one term within `from..=to`, as `(first, last, term)`, the snapshot point
    /// included; parts the log does not hold are left out.
    pub(crate) fn runs_within(&self, from: u64, to: u64) -> Vec<(u64, u64, u64)> {
        let mut out = Vec::new();
        if (from..=to).contains(&self.snapshot_index) {
            out.push((self.snapshot_index, self.snapshot_index, self.snapshot_term));
        }
        for (k, &(first, term)) in self.runs.iter().enumerate() {
            let last = self
                .runs
                .get(k + 1)
                .map_or(self.last_index, |&(next, _)| next - 1);
            let (lo, hi) = (first.max(from), last.min(to));
            if lo <= hi {
                out.push((lo, hi, term));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_hold_the_terms_of_each_entry() {
        let log = LogTerms::from_terms(3, 1, [1, 2, 2, 4]);
        assert_eq!(log.last_index(), 7);
        let terms: Vec<Option<u64>> = (2..=8).map(|i| log.term_at(i)).collect();
        assert_eq!(
            terms,
            [None, Some(1), Some(1), Some(2), Some(2), Some(4), None]
        );
        assert_eq!(log.runs_within(3, 6), vec![(3, 3, 1), (4, 4, 1), (5, 6, 2)]);
    }
}
