//! The hard state's bytes in the persister: the labgob-encoded state, then a CRC-32 of
//! those bytes, so that a flipped bit is found rather than restored as a wrong term.

use crate::core::HardState;

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

pub fn encode(state: &HardState) -> Vec<u8> {
    let encoded = labgob::encode(state).and_then(|mut bytes| {
        let checksum = crc32fast::hash(&bytes);
        bytes.extend(labgob::encode(&checksum)?);
        Ok(bytes)
    });
    match encoded {
        Ok(bytes) => bytes,
        // Encoding plain data into memory cannot fail.
        Err(err) => unreachable!("cannot encode the Raft state: {err}"),
    }
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
    let state: HardState = decoder.decode().map_err(undecodable)?;
    let state_len = bytes.len() - decoder.remaining();
    let saved: u32 = decoder.decode().map_err(undecodable)?;
    decoder.finish().map_err(undecodable)?;
    let computed = crc32fast::hash(&bytes[..state_len]);
    if saved != computed {
        return Err(RestoreError::Corrupted {
            bytes: bytes.len(),
            saved,
            computed,
        });
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Entry;

    fn sample() -> HardState {
        let mut state = HardState {
            term: 7,
            voted_for: Some(2),
            ..HardState::default()
        };
        for term in [1, 3, 7] {
            state.log.push(Entry {
                term,
                command: vec![term as u8; 12],
            });
        }
        state
    }

    #[test]
    fn round_trips_and_empty_is_fresh() {
        assert_eq!(decode(&encode(&sample())).expect("decodes"), sample());
        assert_eq!(decode(&[]).expect("fresh"), HardState::default());
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
        assert!(err.to_string().contains("HardState"), "{err}");
    }
}
