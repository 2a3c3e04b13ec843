//! The set of configurations (which operations are linearized, and the model state after
//! them) the search has already reached. Lowe's key improvement: a configuration reached
//! again by a different order leads to the same futures, so it is explored only once.

use std::collections::HashMap;

use crate::bitset::Bitset;
use crate::hash::{hash_state, BuildPassThrough};

const NONE: u32 = u32::MAX;

/// Configurations stored column-wise: bitset words in one flat vector, states in another,
/// and a table from a configuration's hash to the first entry of its collision chain. No
/// allocation per entry beyond what a state owns.
pub(crate) struct VisitedCache<S> {
    heads: HashMap<u64, u32, BuildPassThrough>,
    words_per_set: usize,
    sets: Vec<u64>,
    states: Vec<S>,
    chain: Vec<u32>,
}

/// What [`VisitedCache::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Insert {
    /// The configuration is new and now stored.
    Added,
    /// It was stored already.
    Present,
    /// It is new but the cache is at its entry limit.
    Full,
}

impl<S: Clone + Eq + std::hash::Hash> VisitedCache<S> {
    pub(crate) fn new(operations: usize) -> Self {
        VisitedCache {
            heads: HashMap::default(),
            words_per_set: operations.div_ceil(64),
            sets: Vec::new(),
            states: Vec::new(),
            chain: Vec::new(),
        }
    }

    /// Stores `(linearized, state)` unless it is there already or the cache holds `limit`
    /// entries.
    pub(crate) fn insert(&mut self, linearized: &Bitset, state: &S, limit: usize) -> Insert {
        let key = linearized.hash() ^ hash_state(state);
        let words = linearized.words();
        let mut entry = self.heads.get(&key).copied().unwrap_or(NONE);
        let head = entry;
        while entry != NONE {
            let at = entry as usize;
            let stored = &self.sets[at * self.words_per_set..(at + 1) * self.words_per_set];
            if stored == words && self.states[at] == *state {
                return Insert::Present;
            }
            entry = self.chain[at];
        }
        // Indices are u32 to keep the chains small; a search never gets near 4 billion.
        if self.states.len() >= limit || self.states.len() >= NONE as usize {
            return Insert::Full;
        }
        let index = self.states.len() as u32;
        self.sets.extend_from_slice(words);
        self.states.push(state.clone());
        self.chain.push(head);
        self.heads.insert(key, index);
        Insert::Added
    }

    /// How many configurations are stored.
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_is_stored_once_and_the_limit_holds() {
        let mut cache = VisitedCache::new(3);
        let mut set = Bitset::new(3);
        set.set(1);
        assert_eq!(cache.insert(&set, &7u8, 2), Insert::Added);
        assert_eq!(cache.insert(&set, &7u8, 2), Insert::Present);
        assert_eq!(cache.insert(&set, &8u8, 2), Insert::Added);
        set.set(2);
        assert_eq!(cache.insert(&set, &7u8, 2), Insert::Full);
        assert_eq!(cache.len(), 2);
    }
}
