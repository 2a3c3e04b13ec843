//! A Raft for the 6.824 lab.
//!
//! The protocol (Figure 2 of the Raft paper) lives in [`core`]: a state machine that takes
//! RPCs, replies and the time, and says what to send, persist and apply. It knows nothing of
//! tasks, timers or the network, so its rules are tested without them. [`Raft`] is the
//! plumbing: it owns the core behind a lock, runs the timer task, sends RPCs through labrpc
//! and implements the tester's `RaftPeer` interface.

pub mod core;
pub mod messages;
mod node;
pub mod persist;

pub use node::Raft;
