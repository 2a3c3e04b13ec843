//! The hard state's bytes in the persister, written without re-encoding the whole log on
//! every change.
//!
//! Layout: a labgob-encoded [`StateHeader`] (term, vote, the snapshot's index and term, the
//! number of entries), then each entry after the snapshot, labgob-encoded, then a CRC-32 of
//! everything before it, so that a flipped bit is found rather than restored as a wrong
//! term. [`StateWriter`] keeps the entries' encoding from the last save and re-encodes
//! only what changed: a save after an append encodes the new entries and copies the rest.

use serde::{Deserialize, Serialize};

use crate::core::{HardState, Log};
use crate::messages::Entry;

/// Why a peer cannot restart from what its persister holds.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("the saved state does not decode ({bytes} bytes): {source}")]
    Undecodable { bytes: usize, source: labgob::Error },
    #[error(
        "the saved state is corrupted ({bytes} bytes): its checksum is {saved:08x} but the \
         bytes give {computed:08x}"
    )]
    Corrupted {
        bytes: usize,
        saved: u32,
        computed: u32,
    },
}

/// What precedes the entries.
#[derive(Debug, Serialize, Deserialize)]
struct StateHeader {
    term: u64,
    voted_for: Option<u64>,
    snapshot_index: u64,
    snapshot_term: u64,
    entries: u64,
}

/// Encodes the hard state for the persister, reusing the last save's encoding of the
/// entries that did not change.
#[derive(Debug, Default)]
pub struct StateWriter {
    /// The encoded entries from index `first` on, back to back, as last saved.
    encoded: Vec<u8>,
    /// Each of those entries' term, and where its encoding ends in `encoded`.
    cached: Vec<(u64, usize)>,
    first: u64,
}

impl StateWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes to save for `state`.
    pub fn encode(&mut self, state: &HardState) -> Vec<u8> {
        let log = &state.log;
        self.forget_before(log.snapshot_index() + 1);
        self.forget_changed(log);
        let cached_through = self.first + self.cached.len() as u64;
        for entry in log.entries_from(cached_through) {
            self.encoded.extend(encode_or_bug(entry));
            self.cached.push((entry.term, self.encoded.len()));
        }
        let header = StateHeader {
            term: state.term,
            voted_for: state.voted_for,
            snapshot_index: log.snapshot_index(),
            snapshot_term: log.snapshot_term(),
            entries: self.cached.len() as u64,
        };
        let header = encode_or_bug(&header);
        let checksum_len = encode_or_bug(&0u32).len();
        // One allocation of the final size: the entries are copied once, never regrown.
        let mut bytes = Vec::with_capacity(header.len() + self.encoded.len() + checksum_len);
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(&self.encoded);
        let checksum = crc32fast::hash(&bytes);
        bytes.extend(encode_or_bug(&checksum));
        bytes
    }

    /// Drops the cached entries before `first` (a snapshot now covers them).
    fn forget_before(&mut self, first: u64) {
        let drop = first.saturating_sub(self.first) as usize;
        if first < self.first || drop > self.cached.len() {
            *self = StateWriter {
                first,
                ..StateWriter::default()
            };
            return;
        }
        if drop > 0 {
            let cut = self.cached[drop - 1].1;
            self.encoded.drain(..cut);
            self.cached.drain(..drop);
            for (_, end) in &mut self.cached {
                *end -= cut;
            }
            self.first = first;
        }
    }

    /// Drops the cached entries from the first one whose term the log no longer has at its
    /// index. An index and a term name one entry for good (a leader makes one entry per
    /// index in its term), so an entry whose term still matches is still the same entry,
    /// and so are all before it (log matching): the kept prefix is found by binary search,
    /// not by a walk over the whole log on every save.
    fn forget_changed(&mut self, log: &Log) {
        let first = self.first;
        let matches = |k: usize| log.term_at(first + k as u64) == Some(self.cached[k].0);
        let (mut lo, mut hi) = (0, self.cached.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if matches(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let kept = lo;
        self.cached.truncate(kept);
        self.encoded
            .truncate(self.cached.last().map_or(0, |&(_, end)| end));
    }
}

fn encode_or_bug<T: labgob::Gob>(value: &T) -> Vec<u8> {
    match labgob::encode(value) {
        Ok(bytes) => bytes,
        // Encoding plain data into memory cannot fail.
        Err(err) => unreachable!("cannot encode the Raft state: {err}"),
    }
}

/// The bytes to save for `state`, encoded afresh.
pub fn encode(state: &HardState) -> Vec<u8> {
    StateWriter::new().encode(state)
}

/// The state a peer restarts from: empty bytes are a fresh peer.
pub fn decode(bytes: &[u8]) -> Result<HardState, RestoreError> {
    if bytes.is_empty() {
        return Ok(HardState::default());
    }
    let undecodable = |source| RestoreError::Undecodable {
        bytes: bytes.len(),
        source,
    };
    let mut decoder = labgob::Decoder::new(bytes);
    let header: StateHeader = decoder.decode().map_err(undecodable)?;
    // Each entry takes a few bytes at least: a forged count must not reserve memory.
    let mut entries = Vec::with_capacity((header.entries as usize).min(decoder.remaining()));
    for _ in 0..header.entries {
        entries.push(decoder.decode::<Entry>().map_err(undecodable)?);
    }
    let checked_len = bytes.len() - decoder.remaining();
    let saved: u32 = decoder.decode().map_err(undecodable)?;
    decoder.finish().map_err(undecodable)?;
    let computed = crc32fast::hash(&bytes[..checked_len]);
    if saved != computed {
        return Err(RestoreError::Corrupted {
            bytes: bytes.len(),
            saved,
            computed,
        });
    }
    Ok(HardState {
        term: header.term,
        voted_for: header.voted_for,
        log: Log::from_parts(header.snapshot_index, header.snapshot_term, entries),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(term: u64, command: u8) -> Entry {
        Entry {
            term,
            command: vec![command; 12],
        }
    }

    fn sample() -> HardState {
        let mut state = HardState {
            term: 7,
            voted_for: Some(2),
            ..HardState::default()
        };
        for (k, term) in [1, 3, 7].into_iter().enumerate() {
            state.log.push(entry(term, k as u8));
        }
        state
    }

    #[test]
    fn round_trips_and_empty_is_fresh() {
        assert_eq!(decode(&encode(&sample())).expect("decodes"), sample());
        assert_eq!(decode(&[]).expect("fresh"), HardState::default());
    }

    #[test]
    fn saves_after_appends_conflicts_and_compaction_equal_fresh_ones() {
        let mut writer = StateWriter::new();
        let mut state = sample();
        let mut check = |state: &HardState| {
            let bytes = writer.encode(state);
            assert_eq!(bytes, encode(state), "the cached encoding went stale");
            assert_eq!(&decode(&bytes).expect("decodes"), state);
        };
        check(&state);
        state.log.push(entry(7, 9));
        state.term = 8;
        check(&state);
        // A leader of term 8 replaces the last two entries.
        state
            .log
            .merge(2, &[entry(8, 20), entry(8, 21), entry(8, 22)]);
        check(&state);
        state.log.compact_through(3);
        check(&state);
        state.log.reset_to_snapshot(40, 9);
        check(&state);
        state.log.push(entry(9, 41));
        check(&state);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = encode(&sample());
        for len in 1..bytes.len() {
            let err = decode(&bytes[..len]).expect_err("a truncated state must not decode");
            assert!(
                matches!(err, RestoreError::Undecodable { .. }),
                "{len}: {err}"
            );
        }
    }

    #[test]
    fn every_flipped_bit_is_an_error() {
        let bytes = encode(&sample());
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(
                decode(&flipped).is_err(),
                "bit {bit} flipped went unnoticed"
            );
        }
    }

    #[test]
    fn state_of_another_type_is_an_error_naming_it() {
        let bytes = labgob::encode(&(7u64, Some(2u64))).expect("encodes");
        let err = decode(&bytes).expect_err("another type must not decode");
        assert!(err.to_string().contains("StateHeader"), "{err}");
    }
}
