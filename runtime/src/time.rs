//! Clock and timers. In simulation, `Instant::now()` reads the virtual clock.

pub use madsim::time::{sleep, sleep_until, timeout, Duration, Instant};

/// The error `timeout` returns when its deadline passes first.
pub use madsim::time::error::Elapsed;
