//! A linearizability checker: a Rust port of [porcupine](https://github.com/anishathalye/porcupine).
//!
//! Give it a [`Model`] (a sequential specification) and a history of concurrent operations
//! ([`Operation`]s with call and return times, or [`Event`]s in order); it says whether
//! some order of the operations, consistent with real time, explains every output
//! ([`CheckResult::Ok`]), none does ([`CheckResult::Illegal`]), or it ran out of budget
//! first ([`CheckResult::Unknown`]).
//!
//! The search is Wing & Gong's with Lowe's improvements, as porcupine does it: calls and
//! returns in a doubly linked list, linearizing an operation lifts it out, and a cache of
//! (linearized set, state) pairs skips configurations already explored. Partitions (such as
//! keys of a key/value store) are searched in parallel.
//!
//! # Memory
//! The cache holds one entry per distinct configuration a partition's search reaches:
//! `ceil(n / 64) * 8` bytes of bitset for a partition of `n` operations, plus the size of
//! the model's `State` (and whatever it owns), plus about 24 bytes of index. The number of
//! configurations can grow exponentially with concurrency, so bound a check with
//! [`CheckOptions::timeout`] or [`CheckOptions::max_cache_entries`]; either ends the check
//! with `Unknown` rather than letting it run or grow without end.
//!
//! ```
//! use porcupine::models::kv::{KvInput, KvModel, KvOp, KvOutput};
//! use porcupine::{check_operations, CheckResult, Operation};
//!
//! let op = |client_id, op, value: &str, call, output: &str, return_time| Operation {
//!     client_id,
//!     input: KvInput { op, key: "x".into(), value: value.into() },
//!     call,
//!     output: KvOutput { value: output.into() },
//!     return_time,
//! };
//! // A put concurrent with a get that saw it: fine.
//! let history = [op(0, KvOp::Put, "1", 0, "", 10), op(1, KvOp::Get, "", 5, "1", 8)];
//! assert_eq!(check_operations(&KvModel, &history, None), CheckResult::Ok);
//! // A get that started after the put returned but did not see it: not linearizable.
//! let history = [op(0, KvOp::Put, "1", 0, "", 10), op(1, KvOp::Get, "", 11, "", 12)];
//! assert_eq!(check_operations(&KvModel, &history, None), CheckResult::Illegal);
//! ```

mod bitset;
mod cache;
mod checker;
mod entry_list;
mod hash;
mod history;
mod info;
mod model;
pub mod models;
mod search;
mod visualization;

pub use checker::{
    check_events, check_events_verbose, check_events_with, check_operations,
    check_operations_verbose, check_operations_with, CheckOptions,
};
pub use info::{LinearizationInfo, PartitionInfo};
pub use model::{CheckResult, Event, EventHistory, EventKind, EventValue, Model, Operation};
pub use visualization::{visualize, visualize_path, Annotation};
