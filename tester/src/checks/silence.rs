//! A killed peer is silent.

use std::collections::HashMap;

use lab_runtime::time::{Duration, Instant};

/// How long a killed peer's tasks may still send: a task may be between its check of
/// `killed` and its call.
pub(crate) const GRACE: Duration = Duration::from_millis(100);

/// Proves that a killed instance sends nothing after `GRACE`: every request from one of
/// its ends (which the tester replaced on restart) is reported.
#[derive(Default)]
pub(crate) struct Silence {
    /// A killed instance's end: its peer, the peer it reaches, and when it was killed.
    dead_ends: HashMap<String, (usize, usize, Instant)>,
}

impl Silence {
    pub(crate) fn killed(&mut self, peer: usize, ends: Vec<String>, now: Instant) {
        for (to, end) in ends.into_iter().enumerate() {
            self.dead_ends.insert(end, (peer, to, now));
        }
    }

    pub(crate) fn sent(&mut self, end: &str, now: Instant) -> Result<(), String> {
        match self.dead_ends.get(end) {
            Some(&(peer, to, killed)) if now.duration_since(killed) >= GRACE => Err(format!(
                "server {peer} sent an RPC to server {to} {:.3} s after it was killed: \
                 kill() must stop every task of the peer (a killed Raft is silent)",
                now.duration_since(killed).as_secs_f64()
            )),
            _ => Ok(()),
        }
    }
}
