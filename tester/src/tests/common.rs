//! Small helpers the parts share: Go's `rand.Int()`, and integer commands as bytes.

use std::sync::Arc;

use lab_runtime::random;
use lab_runtime::task::JoinHandle;
use labgob::Gob;

use crate::{Config, RaftPeer};

/// Go's `rand.Int()`: a non-negative 63-bit number. The tests' integer commands are `u64`.
pub(crate) fn rand_int() -> u64 {
    random::below(1 << 63)
}

/// A command as the peers carry it.
pub(crate) fn encode<C: Gob>(command: &C) -> Vec<u8> {
    labgob::encode(command)
        .unwrap_or_else(|err| panic!("cannot encode the command {command:?}: {err}"))
}

/// A committed command read back as an integer, or `None` if it is not one.
pub(crate) fn decode_int(bytes: &[u8]) -> Option<u64> {
    labgob::decode::<u64>(bytes).ok()
}

/// Peer `i`, where Go reads `cfg.rafts[i]` and would fail on a crashed peer.
pub(crate) fn running<R: RaftPeer>(cfg: &Config<R>, i: usize) -> Arc<R> {
    cfg.raft(i)
        .unwrap_or_else(|| panic!("peer {i} is not running"))
}

/// Waits for a task of the test; a task that failed fails the test.
pub(crate) async fn join<T>(handle: JoinHandle<T>) -> T {
    match handle.await {
        Ok(output) => output,
        Err(err) => panic!("a task of the test failed: {err}"),
    }
}

/// Crashes `peers`, then restarts and reconnects each of them, at one instant.
pub(crate) fn crash_and_restart<R: RaftPeer>(cfg: &Config<R>, peers: &[usize]) {
    for &i in peers {
        cfg.crash1(i);
    }
    for &i in peers {
        cfg.start1(i);
        cfg.connect(i);
    }
}

/// Crashes every peer, then restarts and reconnects every one, at one instant.
pub(crate) fn crash_and_restart_all<R: RaftPeer>(cfg: &Config<R>) {
    let all: Vec<usize> = (0..cfg.n()).collect();
    crash_and_restart(cfg, &all);
}
