//! Lab 3: a fault-tolerant key/value service replicated with Raft (Go's `src/kvraft`).
//!
//! The protocol lives in [`store`]: a state machine that takes the commands Raft applied,
//! in log order, applies each client request at most once, and says what to answer. It
//! knows nothing of tasks, channels or RPCs, so its rules are tested alone. [`KvServer`] is
//! the plumbing: it proposes requests to Raft, feeds the apply channel to the store,
//! answers each RPC once its command is applied, and snapshots past `maxraftstate`.
//! [`Clerk`] is the client library the tester calls.

pub mod clerk;
pub mod common;
pub mod pending;
mod server;
pub mod store;

pub use clerk::Clerk;
pub use server::KvServer;
