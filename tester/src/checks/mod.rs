//! The safety properties of Figure 3 of the Raft paper, and the tester's other invariants,
//! checked as the run goes instead of only where a test happens to look. Each check is
//! sound: a correct Raft passes it in every run, crashes, restarts and snapshots included.
//!
//! The checks see what the tester reads (every state in real time, as Go's) and, in
//! simulation, what [`monitor`] reads every millisecond of virtual time. `LAB_CHECKS=0`
//! turns them off (to measure their cost); `LAB_STRICT=1` makes the tester's warnings
//! failures.

mod elections;
mod logs;
pub(crate) mod monitor;
mod silence;
mod terms;
mod votes;

use std::sync::{Arc, Mutex, OnceLock};

use lab_runtime::time::Instant;

use crate::inspection::Inspection;

/// Environment variable: `0` turns the safety checks off.
pub const CHECKS_VAR: &str = "LAB_CHECKS";
/// Environment variable: `1` makes the tester's warnings fail the test.
pub const STRICT_VAR: &str = "LAB_STRICT";

/// Whether the safety checks run (`LAB_CHECKS` is not `0`): the grader's choice under the
/// grader, else the variable as it was at first use (code that changes the environment later
/// changes nothing).
pub fn checks_enabled() -> bool {
    static FROM_ENV: OnceLock<bool> = OnceLock::new();
    match crate::grade::modes() {
        Some(modes) => modes.checks,
        None => *FROM_ENV
            .get_or_init(|| std::env::var(CHECKS_VAR).map_or(true, |value| value.trim() != "0")),
    }
}

/// Whether warnings fail the test (`LAB_STRICT` is `1`), read as `checks_enabled` is.
pub fn strict() -> bool {
    static FROM_ENV: OnceLock<bool> = OnceLock::new();
    match crate::grade::modes() {
        Some(modes) => modes.strict,
        None => *FROM_ENV
            .get_or_init(|| std::env::var(STRICT_VAR).is_ok_and(|value| value.trim() == "1")),
    }
}

/// The checks' state for one configuration.
pub(crate) struct Checks {
    enabled: bool,
    elections: elections::Elections,
    logs: logs::Logs,
    silence: silence::Silence,
    votes: votes::Votes,
    first_error: Option<String>,
    /// One per peer: held by a look from asking the peer until its answer is recorded (see
    /// [`monitor::look`]).
    turns: Arc<[Mutex<()>]>,
}

impl Checks {
    pub(crate) fn new(n: usize) -> Self {
        Checks {
            enabled: checks_enabled(),
            elections: elections::Elections::default(),
            logs: logs::Logs::new(n),
            silence: silence::Silence::default(),
            votes: votes::Votes::new(n),
            first_error: None,
            turns: (0..n).map(|_| Mutex::new(())).collect(),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    pub(crate) fn turns(&self) -> Arc<[Mutex<()>]> {
        self.turns.clone()
    }

    pub(crate) fn first_error(&self) -> Option<String> {
        self.first_error.clone()
    }

    /// Peer `peer` said it is in `term`, leading or not.
    pub(crate) fn state(&mut self, peer: usize, term: u64, leader: bool) {
        if self.enabled {
            let outcome = self.elections.observe(peer, term, leader);
            self.record(outcome);
        }
    }

    /// Instance `instance` of peer `peer` showed `inspection`.
    pub(crate) fn inspection(&mut self, peer: usize, instance: u64, inspection: Inspection) {
        if !self.enabled {
            return;
        }
        let leader = inspection.role == crate::inspection::Role::Leader;
        let outcome = self.elections.observe(peer, inspection.term, leader);
        self.record(outcome);
        let outcome = terms::no_entry_from_a_later_term(peer, &inspection);
        self.record(outcome);
        let outcome = self.votes.observe(peer, instance, &inspection);
        self.record(outcome);
        let outcome = self.logs.observe(peer, instance, inspection);
        self.record(outcome);
    }

    /// Peer `peer` was killed at `now`; `ends` are the names of its instance's ends.
    pub(crate) fn killed(&mut self, peer: usize, ends: Vec<String>, now: Instant) {
        self.logs.crashed(peer);
        self.silence.killed(peer, ends, now);
    }

    /// A request was sent from the end named `end`.
    pub(crate) fn sent(&mut self, end: &str, now: Instant) {
        if self.enabled {
            let outcome = self.silence.sent(end, now);
            self.record(outcome);
        }
    }

    /// Keeps the first violation and fails the run with it at once.
    fn record(&mut self, outcome: Result<(), String>) {
        if let Err(error) = outcome {
            if self.first_error.is_none() {
                log::error!(target: "tester", "failed: {error}");
                self.first_error = Some(error.clone());
                lab_runtime::fail_run(error);
            }
        }
    }
}
