//! A killed peer is silent.
//!
//! A correct Raft checks `killed()` before it sends, but each of its tasks that had passed
//! that check when `kill()` came may still send once, whenever the machine lets it run: on
//! a loaded machine that can be seconds later. Such stragglers send one request each, and a
//! Raft has a few tasks that send to one peer. So the check reports a killed instance only
//! when it keeps sending: one of its old ends carries [`LATE_SENDS`] requests after
//! [`GRACE`], spread over at least [`SPAN`]. That takes a task that loops on after
//! `kill()`; stragglers alone would need five tasks held from their send to one peer, one
//! of them for over two seconds while the others ran.

use std::collections::HashMap;

use lab_runtime::time::{Duration, Instant};

/// How long after `kill()` a killed peer's requests are not even counted.
pub(crate) const GRACE: Duration = Duration::from_millis(100);
/// How many requests after `GRACE` on one old end show a task that still loops.
pub(crate) const LATE_SENDS: usize = 5;
/// How far apart the first and the last of them must be.
pub(crate) const SPAN: Duration = Duration::from_secs(2);

/// Proves that a killed instance stops sending: every request from one of its ends
/// (which the tester replaced on restart) is counted.
#[derive(Default)]
pub(crate) struct Silence {
    dead_ends: HashMap<String, DeadEnd>,
}

/// A killed instance's end.
struct DeadEnd {
    peer: usize,
    to: usize,
    killed: Instant,
    /// When it first sent after `GRACE`, and how many it has sent since `kill()` + `GRACE`.
    late: Option<(Instant, usize)>,
}

impl Silence {
    pub(crate) fn killed(&mut self, peer: usize, ends: Vec<String>, now: Instant) {
        for (to, end) in ends.into_iter().enumerate() {
            let dead = DeadEnd {
                peer,
                to,
                killed: now,
                late: None,
            };
            self.dead_ends.insert(end, dead);
        }
    }

    pub(crate) fn sent(&mut self, end: &str, now: Instant) -> Result<(), String> {
        let Some(dead) = self.dead_ends.get_mut(end) else {
            return Ok(());
        };
        let since_kill = now.saturating_duration_since(dead.killed);
        if since_kill < GRACE {
            return Ok(());
        }
        let (first, count) = dead.late.get_or_insert((now, 0));
        *count += 1;
        if *count < LATE_SENDS || now.saturating_duration_since(*first) < SPAN {
            return Ok(());
        }
        Err(format!(
            "server {} kept sending after it was killed: {count} RPCs to server {} from {:.3} \
             s to {:.3} s after kill(): kill() must stop every task of the peer (a killed \
             Raft is silent)",
            dead.peer,
            dead.to,
            first.saturating_duration_since(dead.killed).as_secs_f64(),
            since_kill.as_secs_f64()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(killed: Instant, millis: u64) -> Instant {
        killed + Duration::from_millis(millis)
    }

    fn silence(killed: Instant) -> Silence {
        let mut silence = Silence::default();
        silence.killed(0, vec!["a".into(), "b".into()], killed);
        silence
    }

    #[test]
    fn stragglers_pass_however_late() {
        let killed = Instant::now();
        let mut silence = silence(killed);
        // Four tasks that had passed their check, one of them held up for 9 s.
        for millis in [400, 500, 2_000, 9_000] {
            assert!(silence.sent("a", after(killed, millis)).is_ok());
        }
        // Many within two seconds: a round of tasks released at once.
        for millis in [200, 500, 900, 1_000, 1_500, 2_000, 2_100] {
            assert!(silence.sent("b", after(killed, millis)).is_ok());
        }
        // Any number within the grace, and ends that were never killed.
        for _ in 0..10 {
            assert!(silence.sent("b", after(killed, 50)).is_ok());
            assert!(silence.sent("c", after(killed, 5_000)).is_ok());
        }
    }

    #[test]
    fn an_end_that_keeps_sending_fails() {
        let killed = Instant::now();
        let mut silence = silence(killed);
        for millis in [150, 700, 1_200, 1_700] {
            assert!(silence.sent("b", after(killed, millis)).is_ok());
        }
        let error = silence.sent("b", after(killed, 2_200)).unwrap_err();
        assert!(
            error.contains("server 0 kept sending after it was killed: 5 RPCs to server 1"),
            "{error}"
        );
    }
}
