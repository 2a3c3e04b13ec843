//! The lines Go's tester prints for each test, and its warnings. They are written to the
//! process's standard output directly, so that `cargo test`'s output capture does not
//! swallow them.

use lab_runtime::console::print;
use lab_runtime::{Mode, MODE};

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
    crate::grade::record_end(crate::grade::Figures {
        seconds,
        peers,
        rpcs,
        bytes,
        commands,
    });
    let line = format!("  ... Passed --  {seconds:4.1}  {peers} {rpcs:4} {bytes:7} {commands:4}\n");
    match MODE {
        Mode::Real => print(&line),
        Mode::Simulated => print(&format!("{description} ...\n{line}")),
    }
}

/// `warning: term changed even though there were no failures`: shown even when the test
/// passes, as Go's tester shows it.
pub(crate) fn warning(text: &str) {
    crate::grade::record_warning();
    lab_runtime::console::warning(text);
}

/// `  ... 1 warning`: after the `Passed` line of a test that gave warnings.
pub(crate) fn warnings_total(warnings: usize) {
    if warnings > 0 {
        let plural = if warnings == 1 { "" } else { "s" };
        let strict = crate::checks::STRICT_VAR;
        print(&format!(
            "  ... {warnings} warning{plural} ({strict}=1 makes warnings failures)\n"
        ));
    }
}
