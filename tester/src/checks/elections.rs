//! Election safety.

use std::collections::BTreeMap;

/// Proves election safety: at most one peer is ever leader in a term (not only at once):
/// each leader seen is remembered by term.
#[derive(Default)]
pub(crate) struct Elections {
    leaders: BTreeMap<u64, usize>,
}

impl Elections {
    pub(crate) fn observe(&mut self, peer: usize, term: u64, leader: bool) -> Result<(), String> {
        if !leader {
            return Ok(());
        }
        match *self.leaders.entry(term).or_insert(peer) {
            other if other != peer => Err(format!(
                "election safety: term {term} has 2 (>1) leaders: server {peer} now, and \
                 server {other} earlier (a term has at most one leader, ever)"
            )),
            _ => Ok(()),
        }
    }
}
