//! The lab's one runtime layer.
//!
//! Every spawn, sleep, clock read and random draw of `labrpc`, `raft` and `tester` goes
//! through this crate, so that one body of code runs in two clocks:
//!
//! * real time (the default): tasks on a multi-threaded tokio runtime, real sleeps, real
//!   randomness, as the Go lab runs;
//! * simulated time (build with `RUSTFLAGS="--cfg madsim"`): the deterministic madsim
//!   executor, where time jumps to the next timer as soon as every task waits and all
//!   randomness comes from one seed, so a run is replayed exactly from its seed.

pub mod logging;
pub mod random;
mod run;
pub mod task;
pub mod time;

pub use run::{block_on, run_test, Mode, MODE};
