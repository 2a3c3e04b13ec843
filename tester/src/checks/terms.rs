//! No entry from a term the peer has not reached.

use crate::inspection::Inspection;

/// Proves that a peer's log holds no entry of a term above the peer's current term (nor
/// a snapshot of one): a follower that takes a newer leader's entries has taken its term.
///
/// Sound: an entry of term T is made by the leader of T while in T, and reaches another
/// peer only in an AppendEntries or InstallSnapshot of term T or later, whose receiver
/// adopts that term before it accepts anything (Figure 2: "If RPC request or response
/// contains term T > currentTerm: set currentTerm = T"). Terms never decrease. Each look
/// is one consistent state, taken under the peer's lock; a restarted peer reads back a
/// term and a log that were saved together, from such a state. Nothing here compares two
/// looks, so the order in which threads' looks arrive does not matter.
pub(crate) fn no_entry_from_a_later_term(peer: usize, now: &Inspection) -> Result<(), String> {
    let newest = now.log.max_term();
    if newest <= now.term {
        return Ok(());
    }
    let at = (now.log.snapshot_index()..=now.log.last_index())
        .find(|&index| now.log.term_at(index) == Some(newest))
        .unwrap_or(now.log.snapshot_index());
    Err(format!(
        "server {peer} is in term {}, but its log holds an entry of term {newest} (index \
         {at}): a peer that accepts a newer leader's AppendEntries or InstallSnapshot must \
         first adopt its term (Figure 2: \"If RPC request or response contains term T > \
         currentTerm: set currentTerm = T\")",
        now.term
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspection::{LogTerms, Role};

    fn look(term: u64, log: LogTerms) -> Inspection {
        Inspection {
            term,
            role: Role::Follower,
            commit_index: 0,
            voted_for: None,
            log,
        }
    }

    #[test]
    fn entries_come_from_terms_reached() {
        assert!(
            no_entry_from_a_later_term(0, &look(3, LogTerms::from_terms(0, 0, [1, 3]))).is_ok()
        );
        assert!(no_entry_from_a_later_term(0, &look(2, LogTerms::new(5, 2))).is_ok());
        let error = no_entry_from_a_later_term(1, &look(2, LogTerms::from_terms(0, 0, [1, 3, 3])))
            .unwrap_err();
        assert!(
            error.contains("server 1 is in term 2, but its log holds an entry of term 3 (index 2)"),
            "{error}"
        );
        assert!(no_entry_from_a_later_term(0, &look(2, LogTerms::new(5, 4))).is_err());
    }
}
