//! labgob's warning about a field that does not survive encoding reaches the user of a
//! passing `cargo test`, as Go's does, instead of being swallowed with the test's output.

use std::process::Command;

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
#[allow(dead_code)] // `granted` is only ever lost, which is the point
struct Reply {
    term: u64,
    #[serde(skip)]
    granted: bool,
}

const CHILD: &str = "LABGOB_WARNING_CHILD";

/// Run by the test below in a child process, under cargo's usual capture.
#[test]
fn encode_a_value_that_loses_a_field() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let value = Reply {
        term: 3,
        granted: true,
    };
    labgob::encode(&value).expect("encodes");
}

#[test]
fn the_warning_shows_on_a_passing_test() {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let output = Command::new(exe)
        .args(["--exact", "encode_a_value_that_loses_a_field"])
        .env(CHILD, "1")
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("warning: labgob: field `granted` of struct `Reply`"),
        "the warning is missing from a passing test's output:\n{stdout}"
    );
}
