//! The replicated log, indexed from 1. Its first slot is a sentinel: index 0 of term 0 at
//! first, then the last entry a snapshot covers, whose index and term the log keeps.

use serde::{Deserialize, Serialize};

use crate::messages::Entry;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Log {
    /// `entries[0]` is the sentinel at index `offset`; `entries[k]` has index `offset + k`.
    entries: Vec<Entry>,
    offset: u64,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            entries: vec![Entry {
                term: 0,
                command: Vec::new(),
            }],
            offset: 0,
        }
    }
}

impl Log {
    /// The log after a snapshot through `snapshot_index` (of `snapshot_term`): `entries`
    /// hold the indexes from `snapshot_index + 1` on.
    pub fn from_parts(snapshot_index: u64, snapshot_term: u64, entries: Vec<Entry>) -> Self {
        let mut log = Log::default();
        log.reset_to_snapshot(snapshot_index, snapshot_term);
        log.entries.extend(entries);
        log
    }

    /// The last index the snapshot covers (0 without a snapshot).
    pub fn snapshot_index(&self) -> u64 {
        self.offset
    }

    /// The term of the last entry the snapshot covers.
    pub fn snapshot_term(&self) -> u64 {
        self.entries[0].term
    }

    pub fn last_index(&self) -> u64 {
        self.offset + self.entries.len() as u64 - 1
    }

    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(0, |entry| entry.term)
    }

    /// The term of the entry at `index`, if the log holds it (the sentinel included).
    pub fn term_at(&self, index: u64) -> Option<u64> {
        self.position(index).map(|at| self.entries[at].term)
    }

    /// The entries from `index` to the end.
    pub fn entries_from(&self, index: u64) -> &[Entry] {
        match self.position(index.max(self.offset + 1)) {
            Some(at) => &self.entries[at..],
            None => &[],
        }
    }

    pub fn entry(&self, index: u64) -> Option<&Entry> {
        self.position(index)
            .filter(|&at| at > 0)
            .map(|at| &self.entries[at])
    }

    /// The first index of the run of entries of `term` that holds `index`.
    pub fn first_index_of_term_at(&self, index: u64) -> u64 {
        let Some(term) = self.term_at(index) else {
            return index;
        };
        let mut first = index;
        while first > self.offset + 1 && self.term_at(first - 1) == Some(term) {
            first -= 1;
        }
        first
    }

    /// The last index holding an entry of `term`, if any.
    pub fn last_index_of_term(&self, term: u64) -> Option<u64> {
        (self.offset + 1..=self.last_index())
            .rev()
            .find(|&index| self.term_at(index) == Some(term))
    }

    pub fn push(&mut self, entry: Entry) -> u64 {
        self.entries.push(entry);
        self.last_index()
    }

    /// Appends the leader's `entries` after `prev_index`, cutting our log only where it
    /// conflicts (a stale, reordered AppendEntries must not undo newer entries).
    /// Returns whether the log changed.
    pub fn merge(&mut self, prev_index: u64, entries: &[Entry]) -> bool {
        let mut changed = false;
        for (k, entry) in entries.iter().enumerate() {
            let index = prev_index + 1 + k as u64;
            if index <= self.offset {
                // The snapshot covers it: committed, so it agrees.
                continue;
            }
            match self.term_at(index) {
                Some(term) if term == entry.term => continue,
                Some(_) => self.truncate_from(index),
                None => {}
            }
            self.entries.push(entry.clone());
            changed = true;
        }
        changed
    }

    /// Discards the entries through `index`, which a snapshot now covers; keeps its term
    /// in the sentinel. Does nothing unless `index` is past the current snapshot and held.
    pub fn compact_through(&mut self, index: u64) {
        let Some(at) = self.position(index).filter(|&at| at > 0) else {
            return;
        };
        self.entries.drain(..at);
        self.entries[0].command = Vec::new();
        self.offset = index;
        // A long-lived log must not keep the capacity of its longest moment.
        if self.entries.capacity() > 4 * self.entries.len() + 64 {
            self.entries.shrink_to_fit();
        }
    }

    /// Replaces the whole log with a snapshot's end: nothing after `index` (of `term`).
    pub fn reset_to_snapshot(&mut self, index: u64, term: u64) {
        self.entries = vec![Entry {
            term,
            command: Vec::new(),
        }];
        self.offset = index;
    }

    fn truncate_from(&mut self, index: u64) {
        if let Some(at) = self.position(index).filter(|&at| at > 0) {
            self.entries.truncate(at);
        }
    }

    fn position(&self, index: u64) -> Option<usize> {
        let at = usize::try_from(index.checked_sub(self.offset)?).ok()?;
        (at < self.entries.len()).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(term: u64) -> Entry {
        Entry {
            term,
            command: vec![term as u8],
        }
    }

    fn log_of(terms: &[u64]) -> Log {
        let mut log = Log::default();
        for &term in terms {
            log.push(entry(term));
        }
        log
    }

    #[test]
    fn empty_log_has_the_sentinel_only() {
        let log = Log::default();
        assert_eq!((log.last_index(), log.last_term()), (0, 0));
        assert_eq!(log.term_at(0), Some(0));
        assert_eq!(log.term_at(1), None);
        assert!(log.entry(0).is_none());
    }

    #[test]
    fn merge_appends_and_truncates_only_on_conflict() {
        let mut log = log_of(&[1, 1, 2]);
        // A stale message holding a prefix changes nothing.
        assert!(!log.merge(0, &[entry(1)]));
        assert_eq!(log.last_index(), 3);
        // A conflict at index 3 cuts the rest and appends.
        assert!(log.merge(2, &[entry(3), entry(3)]));
        assert_eq!((log.last_index(), log.term_at(3)), (4, Some(3)));
    }

    #[test]
    fn compaction_keeps_indexes_and_the_last_included_term() {
        let mut log = log_of(&[1, 1, 2, 2, 3]);
        log.compact_through(3);
        assert_eq!((log.snapshot_index(), log.snapshot_term()), (3, 2));
        assert_eq!((log.last_index(), log.last_term()), (5, 3));
        assert_eq!(log.term_at(3), Some(2));
        assert_eq!(log.term_at(2), None);
        assert!(log.entry(3).is_none());
        assert_eq!(log.entry(4).map(|e| e.term), Some(2));
        assert_eq!(log.entries_from(1).len(), 2);
        assert_eq!(log.first_index_of_term_at(4), 4);
        // Stale or unknown indexes change nothing.
        log.compact_through(2);
        log.compact_through(9);
        assert_eq!((log.snapshot_index(), log.last_index()), (3, 5));
        // Entries the snapshot covers are not appended again.
        assert!(!log.merge(1, &[entry(1), entry(2), entry(2)]));
        assert_eq!(log.last_index(), 5);
        log.reset_to_snapshot(10, 4);
        assert_eq!(
            (log.snapshot_index(), log.last_index(), log.last_term()),
            (10, 10, 4)
        );
    }

    #[test]
    fn finds_term_boundaries() {
        let log = log_of(&[1, 1, 2, 2, 2, 4]);
        assert_eq!(log.first_index_of_term_at(5), 3);
        assert_eq!(log.last_index_of_term(2), Some(5));
        assert_eq!(log.last_index_of_term(3), None);
        assert_eq!(log.entries_from(5).len(), 2);
    }
}
