//! A peer restarts only from state it can read: what it cannot decode stops its start with
//! an error naming the peer and the defect, never an empty state taken silently.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use labrpc::Network;
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

/// What `make` says when peer 2 restarts from `state`.
fn restart_error(state: Vec<u8>) -> String {
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
        match outcome {
            Ok(()) => panic!("the peer restarted from state it cannot read"),
            Err(panic) => panic
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "a panic without a message".to_owned()),
        }
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
