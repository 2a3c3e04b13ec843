//! A peer restarts only from state it can read: what it cannot decode stops its start with
//! an error naming the peer and the defect, never an empty state taken silently. So does
//! state that decodes, checksum and all, but that no peer of the cluster could have saved.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use labrpc::Network;
use raft::core::{HardState, Log};
use raft::messages::Entry;
use tester::{apply_channel, Persister, RaftPeer};

/// Saves some state through a running peer, then returns what it persisted.
fn saved_state() -> Vec<u8> {
    lab_runtime::block_on(1, async {
        let cfg = tester::Config::<raft::Raft>::new(1, false, false);
        cfg.one(&7u64, 1, false).await;
        let state = cfg.persister(0).raft_state();
        assert!(!state.is_empty(), "a peer that committed saved nothing");
        state
    })
}

/// What `make` says when peer 2 of 3 restarts from `state`.
fn restart_error(state: Vec<u8>) -> String {
    match restart(state) {
        Ok(()) => panic!("the peer restarted from state it cannot read"),
        Err(error) => error,
    }
}

/// Restarts peer 2 of 3 from `state`: the panic `make` stopped with, if it did.
fn restart(state: Vec<u8>) -> Result<(), String> {
    lab_runtime::block_on(2, async move {
        let net = Network::new();
        let ends = (0..3).map(|i| net.make_end(i)).collect();
        let persister = Arc::new(Persister::new());
        persister.save_raft_state(state);
        let (apply, _listening) = apply_channel();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            raft::Raft::make(ends, 2, persister, apply);
        }));
        net.cleanup();
        outcome.map_err(|panic| {
            panic
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "a panic without a message".to_owned())
        })
    })
}

#[test]
fn truncated_state_stops_the_start() {
    let state = saved_state();
    let error = restart_error(state[..state.len() - 3].to_vec());
    assert!(error.contains("S2 cannot restart"), "{error}");
    assert!(error.contains("truncated"), "{error}");
}

#[test]
fn a_flipped_bit_stops_the_start() {
    let mut state = saved_state();
    let middle = state.len() / 2;
    state[middle] ^= 0x10;
    let error = restart_error(state);
    assert!(error.contains("S2 cannot restart"), "{error}");
}

#[test]
fn state_of_another_type_stops_the_start_naming_both() {
    let other = labgob::encode(&vec![1u64, 2, 3]).expect("encodes");
    let error = restart_error(other);
    assert!(error.contains("S2 cannot restart"), "{error}");
    assert!(error.contains("StateHeader"), "{error}");
}

/// A state as the peer saves it (valid checksum), with entries of these terms from index
/// `snapshot_index + 1` on.
fn saved(term: u64, vote: Option<u64>, snapshot: (u64, u64), terms: &[u64]) -> Vec<u8> {
    let entries = terms
        .iter()
        .map(|&term| Entry {
            term,
            command: vec![7; 3],
        })
        .collect();
    raft::persist::encode(&HardState {
        term,
        voted_for: vote,
        log: Log::from_parts(snapshot.0, snapshot.1, entries),
    })
}

/// Checks that restarting from `state` stops with an error naming the peer and `defect`.
fn refused(state: Vec<u8>, defect: &str) {
    let error = restart_error(state);
    assert!(error.contains("S2 cannot restart"), "{error}");
    assert!(error.contains("impossible for peer 2 of 3"), "{error}");
    assert!(error.contains(defect), "{error}");
}

#[test]
fn a_vote_for_a_peer_that_does_not_exist_stops_the_start() {
    refused(saved(3, Some(99), (0, 0), &[1, 3]), "voted for peer 99");
}

#[test]
fn an_entry_of_a_term_above_the_current_term_stops_the_start() {
    refused(saved(2, None, (0, 0), &[1, 5]), "index 2 has term 5");
}

#[test]
fn decreasing_entry_terms_stop_the_start() {
    refused(
        saved(5, Some(1), (0, 0), &[3, 2]),
        "index 2 has term 2, below the term 3",
    );
    // The snapshot's term counts as the term before the first entry.
    refused(
        saved(5, None, (10, 4), &[3]),
        "index 11 has term 3, below the term 4",
    );
}

/// Before the check, this peer restarted and then overflowed at its first election.
#[test]
fn the_largest_term_stops_the_start() {
    refused(saved(u64::MAX, None, (0, 0), &[1]), "no next term");
}

#[test]
fn entries_of_term_0_and_a_snapshot_above_the_term_stop_the_start() {
    refused(saved(4, None, (0, 0), &[0]), "index 1 has term 0");
    refused(saved(4, None, (10, 6), &[]), "snapshot's term 6 is above");
    refused(saved(4, None, (10, 0), &[]), "only it, has term 0");
}

/// The checks refuse only the impossible: states at every limit still restart.
#[test]
fn states_at_the_limits_restart() {
    let limits = [
        saved(0, None, (0, 0), &[]),
        saved(u64::MAX - 1, Some(2), (0, 0), &[1, 1, u64::MAX - 1]),
        saved(9, Some(0), (40, 9), &[9, 9]),
        saved(9, None, (40, 3), &[]),
    ];
    for state in limits {
        assert_eq!(restart(state), Ok(()));
    }
}
