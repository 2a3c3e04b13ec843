//! The lines Go's shardctrler tester prints: each step's description, then `  ... Passed`
//! with no figures.

use lab_runtime::console::print;
use lab_runtime::{Mode, MODE};

/// A test's steps, as they pass.
#[derive(Default)]
pub(crate) struct Steps {
    /// In simulation, where tests run in parallel threads, the lines of the steps passed so
    /// far, printed together when the test ends so that two tests' steps do not interleave.
    held: String,
}

impl Steps {
    /// `Test: Basic leave/join ...`: at once in real time.
    pub(crate) fn begin(&mut self, description: &str) {
        crate::report::begin(description);
    }

    /// `  ... Passed`.
    pub(crate) fn passed(&mut self, description: &str) {
        match MODE {
            Mode::Real => print("  ... Passed\n"),
            Mode::Simulated => {
                self.held
                    .push_str(&format!("{description} ...\n  ... Passed\n"));
            }
        }
    }

    /// The test passed: in simulation, its steps' lines.
    pub(crate) fn end(&mut self) {
        print(&std::mem::take(&mut self.held));
    }
}
