//! The set of operations linearized so far, as a bitset that keeps its own hash up to date.

use crate::hash::mix64;

/// A fixed-size bitset over operation ids with an incrementally maintained (Zobrist) hash:
/// each id has a pseudo-random 64-bit code and the hash is the XOR of the codes of the ids
/// in the set, so setting or clearing one bit costs O(1) instead of rehashing every word.
#[derive(Clone, Debug)]
pub(crate) struct Bitset {
    words: Vec<u64>,
    hash: u64,
}

/// The pseudo-random code of one bit position.
#[inline]
fn code(position: usize) -> u64 {
    // +1 keeps position 0 from mapping to mix64(0) == 0 (which would not change the hash).
    mix64(
        (position as u64)
            .wrapping_add(1)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15),
    )
}

impl Bitset {
    pub(crate) fn new(bits: usize) -> Self {
        Bitset {
            words: vec![0; bits.div_ceil(64)],
            hash: 0,
        }
    }

    #[inline]
    pub(crate) fn set(&mut self, position: usize) {
        let (word, bit) = (position / 64, position % 64);
        debug_assert_eq!(self.words[word] & (1 << bit), 0, "bit set twice");
        self.words[word] |= 1 << bit;
        self.hash ^= code(position);
    }

    #[inline]
    pub(crate) fn clear(&mut self, position: usize) {
        let (word, bit) = (position / 64, position % 64);
        debug_assert_ne!(self.words[word] & (1 << bit), 0, "bit cleared twice");
        self.words[word] &= !(1 << bit);
        self.hash ^= code(position);
    }

    #[inline]
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    #[inline]
    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_depends_on_the_set_not_on_the_order_of_changes() {
        let mut a = Bitset::new(130);
        let mut b = Bitset::new(130);
        a.set(0);
        a.set(129);
        a.set(64);
        b.set(64);
        b.set(5);
        b.set(0);
        b.set(129);
        b.clear(5);
        assert_eq!(a.words(), b.words());
        assert_eq!(a.hash(), b.hash());
        b.clear(0);
        assert_ne!(a.hash(), b.hash());
        assert_ne!(a.words(), b.words());
    }

    #[test]
    fn the_empty_set_and_a_set_of_bit_zero_differ() {
        let empty = Bitset::new(1);
        let mut zero = Bitset::new(1);
        zero.set(0);
        assert_ne!(empty.hash(), zero.hash());
        assert_eq!(zero.words(), &[1]);
    }
}
