//! The hard state's bytes in the persister.

use crate::core::HardState;

pub(crate) fn encode(state: &HardState) -> Vec<u8> {
    match labgob::encode(state) {
        Ok(bytes) => bytes,
        // Encoding plain data into memory cannot fail.
        Err(err) => unreachable!("cannot encode the Raft state: {err}"),
    }
}

/// The state a peer restarts from: empty bytes are a fresh peer.
pub(crate) fn decode(bytes: &[u8]) -> Result<HardState, labgob::Error> {
    if bytes.is_empty() {
        Ok(HardState::default())
    } else {
        labgob::decode(bytes)
    }
}
