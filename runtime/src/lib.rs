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
//!
//! Neither a panicking task nor a stuck thread goes unnoticed: a task's panic, or
//! [`fail_run`], fails the run at once; a thread blocked on a lock for good fails it within
//! seconds, named by what it is inside ([`naming`]); and a watchdog on a thread of its own
//! fails a run that does not finish in time, however its threads are stuck.

pub mod child;
pub mod console;
pub mod logging;
pub mod naming;
mod proc_state;
pub mod random;
mod replay;
mod run;
mod stuck;
pub mod task;
pub mod time;
mod watch;

pub use run::{
    block_on, block_on_within, run_test, run_test_at, run_test_within, Mode,
    DEFAULT_WATCHDOG_LIMIT, MODE, SEEDS_VAR, SEED_VAR, WATCHDOG_VAR,
};
pub use watch::fail_run;
