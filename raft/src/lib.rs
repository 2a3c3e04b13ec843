//! A Raft for the 6.824 lab.
//!
//! The protocol (Figure 2 of the Raft paper) lives in [`core`]: a state machine that takes
//! RPCs, replies and the time, and says what to send, persist and apply. It knows nothing of
//! tasks, timers or the network, so its rules are tested without them. [`Raft`] is the
//! plumbing: it owns the core behind a lock, runs the timer task, sends RPCs through labrpc
//! and implements the tester's `RaftPeer` interface.

/// Whether the classic bug `$name` is switched on: with feature `mutants`, when
/// `RAFT_MUTANT=$name`; without the feature, `false` at compile time.
macro_rules! mutant {
    ($name:literal) => {{
        #[cfg(feature = "mutants")]
        let active = $crate::mutants::active($name);
        #[cfg(not(feature = "mutants"))]
        let active = false;
        active
    }};
}

pub mod core;
pub mod messages;
#[cfg(feature = "mutants")]
pub mod mutants;
mod node;
pub mod persist;

pub use node::Raft;
