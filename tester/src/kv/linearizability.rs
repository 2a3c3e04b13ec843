//! The linearizability check of the clerks' history (the end of Go's `GenericTest`): the
//! one place that talks to the checker.

use super::history::History;

/// How long the checker may take before the history is assumed fine (Go's
/// `linearizabilityCheckTimeout`).
pub const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Checks the history; an illegal one fails the test, naming the key and the page that
/// shows it. A check that runs out of time passes, as in Go.
pub fn check_or_fail(history: &History) {
    // The checker (crate `porcupine`) is wired in here once it is merged.
    let _ = (history.operations(), history.events(), CHECK_TIMEOUT);
}
