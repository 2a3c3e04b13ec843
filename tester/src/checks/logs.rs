//! Checks on the logs the peers show ([`Inspection`]): log matching, the committed prefix,
//! leader completeness, and a commit index that never goes back.

use std::collections::BTreeMap;

use crate::inspection::{Inspection, LogTerms, Role};

pub(crate) struct Logs {
    /// Each live peer's last inspection, with its instance.
    latest: Vec<Option<(u64, Inspection)>>,
    /// The terms of the entries known committed, as disjoint `(first, last, term)` runs.
    committed: Vec<(u64, u64, u64)>,
    /// For each term, the highest commit index a peer in that term knew: entries through it
    /// were committed in that term or earlier.
    commit_by_term: BTreeMap<u64, u64>,
}

impl Logs {
    pub(crate) fn new(n: usize) -> Self {
        Logs {
            latest: vec![None; n],
            committed: Vec::new(),
            commit_by_term: BTreeMap::new(),
        }
    }

    /// A crashed peer's log is out of the comparisons; its restart is another instance.
    pub(crate) fn crashed(&mut self, peer: usize) {
        self.latest[peer] = None;
    }

    pub(crate) fn observe(
        &mut self,
        peer: usize,
        instance: u64,
        now: Inspection,
    ) -> Result<(), String> {
        if let Some((old_instance, old)) = &self.latest[peer] {
            if *old_instance == instance {
                if *old == now {
                    return Ok(());
                }
                commit_never_decreases(peer, old, &now)?;
            }
        }
        self.committed_entries_agree(peer, &now)?;
        for (other, latest) in self.latest.iter().enumerate() {
            if let Some((_, theirs)) = latest.as_ref().filter(|_| other != peer) {
                log_matching(peer, &now.log, other, &theirs.log)?;
            }
        }
        let bound = self.commit_by_term.entry(now.term).or_default();
        *bound = (*bound).max(now.commit_index);
        self.latest[peer] = Some((instance, now));
        for (leader, latest) in self.latest.iter().enumerate() {
            if let Some((_, theirs)) = latest.as_ref().filter(|(_, i)| i.role == Role::Leader) {
                self.leader_completeness(leader, theirs)?;
            }
        }
        Ok(())
    }

    /// Proves state machine safety at the log level: an index committed anywhere has one
    /// term everywhere, ever. Records the entries `peer` shows committed.
    fn committed_entries_agree(&mut self, peer: usize, now: &Inspection) -> Result<(), String> {
        let through = now.commit_index.min(now.log.last_index());
        let theirs = now.log.runs_within(1, through);
        walk(&self.committed, &theirs, |index, _, known, term| {
            if known == term {
                return Ok(());
            }
            Err(format!(
                "state machine safety: index {index} is committed with term {known} \
                 elsewhere, but server {peer} has term {term} there and commit index {}: a \
                 committed entry changed",
                now.commit_index
            ))
        })?;
        // Both lists are sorted: merge them, then join neighbouring runs of one term.
        let mut all = std::mem::take(&mut self.committed);
        all.extend(theirs);
        all.sort_unstable();
        for (first, last, term) in all {
            match self.committed.last_mut() {
                Some(run) if run.2 == term && first <= run.1 + 1 => run.1 = run.1.max(last),
                _ => self.committed.push((first, last, term)),
            }
        }
        Ok(())
    }

    /// Proves leader completeness: a leader of term T holds every entry a peer in a term
    /// before T knew committed (such an entry was committed in a term before T).
    fn leader_completeness(&self, leader: usize, insp: &Inspection) -> Result<(), String> {
        let Some(through) = self
            .commit_by_term
            .range(..insp.term)
            .map(|(_, &c)| c)
            .max()
        else {
            return Ok(());
        };
        let log = &insp.log;
        if through > log.last_index() {
            return Err(format!(
                "leader completeness: server {leader} leads term {} with a log that ends at \
                 index {}, but index {through} was committed in an earlier term",
                insp.term,
                log.last_index()
            ));
        }
        let theirs = log.runs_within(log.snapshot_index(), through);
        walk(&self.committed, &theirs, |at, _, term, held| {
            if held == term {
                return Ok(());
            }
            Err(format!(
                "leader completeness: server {leader} leads term {} with term {held} at index \
                 {at}, but the entry committed there in an earlier term has term {term}",
                insp.term
            ))
        })
    }
}

/// Proves that an instance's commit index never goes back (a restart may start lower).
fn commit_never_decreases(peer: usize, old: &Inspection, now: &Inspection) -> Result<(), String> {
    if now.commit_index < old.commit_index {
        return Err(format!(
            "server {peer}'s commit index went back from {} to {} (without a restart): \
             what is committed stays committed",
            old.commit_index, now.commit_index
        ));
    }
    Ok(())
}

/// Proves log matching: two logs with an entry of the same index and term agree on the
/// terms of all entries before it (where both still hold them).
fn log_matching(a: usize, log_a: &LogTerms, b: usize, log_b: &LogTerms) -> Result<(), String> {
    let lo = log_a.snapshot_index().max(log_b.snapshot_index());
    let hi = log_a.last_index().min(log_b.last_index());
    if lo > hi {
        return Ok(());
    }
    let (runs_a, runs_b) = (log_a.runs_within(lo, hi), log_b.runs_within(lo, hi));
    let mut first_difference = None;
    let mut last_agreement = None;
    let _ = walk(&runs_a, &runs_b, |start, end, ta, tb| {
        if ta == tb {
            last_agreement = Some((end, ta));
        } else if first_difference.is_none() {
            first_difference = Some((start, ta, tb));
        }
        Ok(())
    });
    match (first_difference, last_agreement) {
        (Some((d, ta, tb)), Some((at, term))) if at > d => Err(format!(
            "log matching: servers {a} and {b} both hold index {at} with term {term}, but \
             differ before it, at index {d} (term {ta} on server {a}, {tb} on server {b})"
        )),
        _ => Ok(()),
    }
}

/// Calls `f(first, last, term in a, term in b)` for each piece where two sorted lists of disjoint
/// `(first, last, term)` runs overlap, in order, in one pass; stops at its first error.
fn walk(
    a: &[(u64, u64, u64)],
    b: &[(u64, u64, u64)],
    mut f: impl FnMut(u64, u64, u64, u64) -> Result<(), String>,
) -> Result<(), String> {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (fa, la, ta) = a[i];
        let (fb, lb, tb) = b[j];
        if fa.max(fb) <= la.min(lb) {
            f(fa.max(fb), la.min(lb), ta, tb)?;
        }
        if la <= lb {
            i += 1;
        }
        if lb <= la {
            j += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(terms: &[u64]) -> LogTerms {
        LogTerms::from_terms(0, 0, terms.iter().copied())
    }

    #[test]
    fn logs_that_agree_up_to_where_they_part_match() {
        assert!(log_matching(0, &log(&[1, 1, 2]), 1, &log(&[1, 1, 3, 3])).is_ok());
        assert!(log_matching(0, &log(&[1, 2, 2]), 1, &log(&[1, 1, 2])).is_err());
        // Beyond each other's snapshot points only.
        let snapped = LogTerms::from_terms(2, 1, [2]);
        assert!(log_matching(0, &log(&[1, 1, 2]), 1, &snapped).is_ok());
    }
}
