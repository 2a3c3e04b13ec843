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
    /// Bytes that decode, with a valid checksum, into a state no peer of this cluster could
    /// have saved: restarting from it would act on nonsense (or overflow).
    #[error("the saved state is impossible for peer {me} of {peers}: {why}")]
    Impossible {
        me: usize,
        peers: usize,
        why: String,
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

/// The state peer `me` of `peers` restarts from: empty bytes are a fresh peer. State that
/// decodes but that no peer could have saved is refused too (see [`check_possible`]).
pub fn decode(bytes: &[u8], me: usize, peers: usize) -> Result<HardState, RestoreError> {
    if bytes.is_empty() {
        return Ok(HardState::default());
    }
    let (header, entries) = decode_unchecked(bytes)?;
    check_possible(&header, &entries, peers).map_err(|why| RestoreError::Impossible {
        me,
        peers,
        why,
    })?;
    Ok(HardState {
        term: header.term,
        voted_for: header.voted_for,
        log: Log::from_parts(header.snapshot_index, header.snapshot_term, entries),
    })
}

/// Whether a peer of a cluster of `peers` could have saved this state. A checksum proves
/// only that the bytes are the ones written; a bug, or a file from elsewhere, can still
/// hold a vote for a peer that does not exist, or terms Raft never produces. Every check is
/// one that a state this Raft saves always passes:
/// - the term can still grow (`u64::MAX` would overflow at the next election);
/// - a vote names one of the peers;
/// - entries have terms from 1 to the current term, never decreasing along the log, and
///   the snapshot's term fits the same order (term 0 only at index 0, without a snapshot);
/// - the last index fits in a `u64`.
///
/// It runs on the raw parts, before a [`Log`] is built from them, whose index arithmetic
/// assumes exactly these facts.
fn check_possible(header: &StateHeader, entries: &[Entry], peers: usize) -> Result<(), String> {
    let term = header.term;
    if term == u64::MAX {
        return Err(format!("its term is {term}, which has no next term"));
    }
    if let Some(vote) = header.voted_for {
        if vote >= peers as u64 {
            return Err(format!(
                "it voted for peer {vote}, but the peers are 0 to {}",
                peers.saturating_sub(1)
            ));
        }
    }
    let (snapshot_index, snapshot_term) = (header.snapshot_index, header.snapshot_term);
    if (snapshot_index == 0) != (snapshot_term == 0) {
        return Err(format!(
            "its snapshot ends at index {snapshot_index} of term {snapshot_term}: index 0, and \
             only it, has term 0"
        ));
    }
    if snapshot_term > term {
        return Err(format!(
            "its snapshot's term {snapshot_term} is above its current term {term}"
        ));
    }
    if snapshot_index.checked_add(entries.len() as u64).is_none() {
        return Err(format!(
            "its {} entries after index {snapshot_index} pass the largest index a u64 holds",
            entries.len()
        ));
    }
    let mut previous = snapshot_term;
    for (k, entry) in entries.iter().enumerate() {
        let index = snapshot_index + 1 + k as u64;
        if entry.term == 0 || entry.term > term {
            return Err(format!(
                "the entry at index {index} has term {}, outside 1 to its current term {term}",
                entry.term
            ));
        }
        if entry.term < previous {
            return Err(format!(
                "the entry at index {index} has term {}, below the term {previous} before it",
                entry.term
            ));
        }
        previous = entry.term;
    }
    Ok(())
}

/// The header and entries the bytes hold, checked for integrity but not for sense.
fn decode_unchecked(bytes: &[u8]) -> Result<(StateHeader, Vec<Entry>), RestoreError> {
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
    Ok((header, entries))
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
        assert_eq!(decode(&encode(&sample()), 0, 3).expect("decodes"), sample());
        assert_eq!(decode(&[], 0, 3).expect("fresh"), HardState::default());
    }

    #[test]
    fn saves_after_appends_conflicts_and_compaction_equal_fresh_ones() {
        let mut writer = StateWriter::new();
        let mut state = sample();
        let mut check = |state: &HardState| {
            let bytes = writer.encode(state);
            assert_eq!(bytes, encode(state), "the cached encoding went stale");
            assert_eq!(&decode(&bytes, 0, 3).expect("decodes"), state);
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
        state.term = 9;
        state.log.reset_to_snapshot(40, 9);
        check(&state);
        state.log.push(entry(9, 41));
        check(&state);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = encode(&sample());
        for len in 1..bytes.len() {
            let err = decode(&bytes[..len], 0, 3).expect_err("a truncated state must not decode");
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
                decode(&flipped, 0, 3).is_err(),
                "bit {bit} flipped went unnoticed"
            );
        }
    }

    #[test]
    fn state_of_another_type_is_an_error_naming_it() {
        let bytes = labgob::encode(&(7u64, Some(2u64))).expect("encodes");
        let err = decode(&bytes, 0, 3).expect_err("another type must not decode");
        assert!(err.to_string().contains("StateHeader"), "{err}");
    }
}
