//! The replicated log, indexed from 1; index 0 holds a sentinel of term 0.

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
            match self.term_at(index) {
                Some(term) if term == entry.term => continue,
                Some(_) => {
                    self.truncate_from(index);
                    changed = true;
                }
                None => {}
            }
            if index <= self.offset {
                continue;
            }
            self.entries.push(entry.clone());
            changed = true;
        }
        changed
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
    fn finds_term_boundaries() {
        let log = log_of(&[1, 1, 2, 2, 2, 4]);
        assert_eq!(log.first_index_of_term_at(5), 3);
        assert_eq!(log.last_index_of_term(2), Some(5));
        assert_eq!(log.last_index_of_term(3), None);
        assert_eq!(log.entries_from(5).len(), 2);
    }
}
