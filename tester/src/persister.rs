//! Where a Raft peer keeps its state across crashes: Go's `persister.go`.

use std::sync::{Mutex, MutexGuard, PoisonError};

use lab_runtime::time::{spend, Duration};

/// What saving one byte costs a machine (the peer encodes it, the persister copies it): 5 ns,
/// 200 MB/s, chosen so that lab 3's clerks make about as many operations in simulation as
/// in real time (`concurrent_3A`, seed 1: 7,804; real time 7,000-11,000). Charged to the simulated clock (see
/// `lab_runtime::time::spend`), so that a peer that saves its whole log on every change
/// slows down as the log grows, as it does in real time, instead of saving unboundedly
/// often within one simulated second.
pub const SAVE_COST_PER_BYTE: Duration = Duration::from_nanos(5);

/// Charges the simulated clock for saving `bytes`.
fn charge(bytes: usize) {
    spend(SAVE_COST_PER_BYTE.saturating_mul(u32::try_from(bytes).unwrap_or(u32::MAX)));
}

/// A peer's persistent storage: the Raft state and the snapshot, saved together.
#[derive(Debug, Default)]
pub struct Persister {
    saved: Mutex<Saved>,
}

#[derive(Debug, Default, Clone)]
struct Saved {
    raft_state: Vec<u8>,
    snapshot: Vec<u8>,
}

impl Persister {
    pub fn new() -> Self {
        Self::default()
    }

    fn saved(&self) -> MutexGuard<'_, Saved> {
        self.saved.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new persister holding the same bytes: what the tester hands a restarted peer, so
    /// that the crashed instance can no longer write to it.
    pub fn copy(&self) -> Persister {
        Persister {
            saved: Mutex::new(self.saved().clone()),
        }
    }

    /// Saves the Raft state and the snapshot at once.
    pub fn save(&self, raft_state: Vec<u8>, snapshot: Vec<u8>) {
        charge(raft_state.len() + snapshot.len());
        *self.saved() = Saved {
            raft_state,
            snapshot,
        };
    }

    /// Saves the Raft state, keeping the snapshot.
    pub fn save_raft_state(&self, raft_state: Vec<u8>) {
        charge(raft_state.len());
        self.saved().raft_state = raft_state;
    }

    pub fn raft_state(&self) -> Vec<u8> {
        self.saved().raft_state.clone()
    }

    pub fn raft_state_size(&self) -> usize {
        self.saved().raft_state.len()
    }

    pub fn snapshot(&self) -> Vec<u8> {
        self.saved().snapshot.clone()
    }

    pub fn snapshot_size(&self) -> usize {
        self.saved().snapshot.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_state_and_snapshot_together_and_copies_are_independent() {
        let persister = Persister::new();
        persister.save(vec![1, 2, 3], vec![9]);
        let copy = persister.copy();
        persister.save_raft_state(vec![4]);
        assert_eq!(persister.raft_state(), vec![4]);
        assert_eq!(persister.snapshot(), vec![9]);
        assert_eq!(copy.raft_state(), vec![1, 2, 3]);
        assert_eq!((copy.raft_state_size(), copy.snapshot_size()), (3, 1));
    }
}
