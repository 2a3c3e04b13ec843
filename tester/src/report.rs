//! The two lines Go's tester prints for each test. They are written to the process's
//! standard output directly, so that `cargo test`'s output capture does not swallow them.

use std::io::Write;

use lab_runtime::{Mode, MODE};

fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// `Test (2A): initial election ...`: printed at once in real time; in simulation, tests
/// run in parallel threads, so the line waits to be printed with its result.
pub(crate) fn begin(description: &str) {
    if MODE == Mode::Real {
        print(&format!("{description} ...\n"));
    }
}

/// `  ... Passed --   4.1  3   50   14296    0`: seconds, peers, RPCs, bytes, commands.
pub(crate) fn passed(
    description: &str,
    seconds: f64,
    peers: usize,
    rpcs: usize,
    bytes: u64,
    commands: u64,
) {
    let line = format!("  ... Passed --  {seconds:4.1}  {peers} {rpcs:4} {bytes:7} {commands:4}\n");
    match MODE {
        Mode::Real => print(&line),
        Mode::Simulated => print(&format!("{description} ...\n{line}")),
    }
}
