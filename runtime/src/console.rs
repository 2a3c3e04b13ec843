//! Lines for the user that `cargo test` must not swallow: they go to the process's standard
//! output directly, past the test harness's output capture (which only catches `print!`,
//! `println!` and their kin), so that a passing test shows them too.

use std::io::Write;

use crate::{Mode, MODE};

/// Writes `text` as is to standard output, past `cargo test`'s capture.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Prints `warning: {text}` on a line of its own, past `cargo test`'s capture, as Go's
/// tester prints its warnings. In simulation, where tests run in parallel threads, the line
/// names the test (its thread).
pub fn warning(text: &str) {
    let test = std::thread::current().name().map(str::to_owned);
    match (MODE, test) {
        (Mode::Simulated, Some(test)) if test != "main" => {
            print(&format!("warning: {text} (in {test})\n"))
        }
        _ => print(&format!("warning: {text}\n")),
    }
}
