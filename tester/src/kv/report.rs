//! The lines Go's kvraft tester prints for each test: its description, and `Passed` with
//! four columns (seconds, servers, RPCs, clerk operations).

use lab_runtime::console::print;
use lab_runtime::{Mode, MODE};

/// What `KvConfig::end` reports of a passing test.
pub(crate) struct Figures<'a> {
    pub(crate) description: &'a str,
    pub(crate) seconds: f64,
    pub(crate) servers: usize,
    pub(crate) rpcs: usize,
    /// For the grader alone: Go's line has no bytes column here.
    pub(crate) bytes: u64,
    pub(crate) ops: usize,
}

/// `Test: one client (3A) ...`: at once in real time, with the result in simulation (where
/// tests run in parallel threads).
pub(crate) fn begin(description: &str) {
    crate::report::begin(description);
}

/// `  ... Passed --  15.3  5 12345 1024`.
pub(crate) fn passed(figures: Figures<'_>) {
    let Figures {
        description,
        seconds,
        servers,
        rpcs,
        bytes,
        ops,
    } = figures;
    crate::grade::record_end(crate::grade::Figures {
        seconds,
        peers: servers,
        rpcs,
        bytes,
        commands: ops as u64,
    });
    let line = format!("  ... Passed --  {seconds:4.1}  {servers} {rpcs:5} {ops:4}\n");
    match MODE {
        Mode::Real => print(&line),
        Mode::Simulated => print(&format!("{description} ...\n{line}")),
    }
}
