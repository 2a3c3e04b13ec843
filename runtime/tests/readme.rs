//! The README's failure examples are real: each command shown in its sections "When a test
//! fails" and "Failing loudly" (a `sh` block followed by an output block) runs, and every
//! line the README shows for it is a line of its output.
//!
//! The commands build and run simulated tests in `target/sim`, so this runs in the
//! real-time build only: from a simulated build (which holds `target/sim`) it would wait
//! for itself.

#![cfg(not(madsim))]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use lab_runtime::child::output_within;

/// The README sections whose examples are checked here.
const SECTIONS: [&str; 2] = ["### When a test fails", "### Failing loudly"];

#[test]
fn the_readmes_failure_examples_are_what_the_commands_print() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("the README reads");
    let mut examples = Vec::new();
    for section in SECTIONS {
        examples.extend(examples_in(section_text(&readme, section)));
    }
    // One in each section, at least: an example lost to an edit fails here.
    assert!(examples.len() >= SECTIONS.len(), "{examples:?}");
    for (command, shown) in examples {
        let output = run(&root, &command);
        let lines: Vec<&str> = output.lines().map(str::trim_end).collect();
        for line in shown.iter().filter(|line| !line.trim().is_empty()) {
            assert!(
                lines.contains(&line.as_str()),
                "the README shows {line:?} for `{command}`, which printed:\n{output}"
            );
        }
    }
}

/// The text of the README's section that begins with `heading`, up to the next heading.
fn section_text<'a>(readme: &'a str, heading: &str) -> &'a str {
    let start = readme
        .find(&format!("\n{heading}"))
        .unwrap_or_else(|| panic!("the README has no section {heading:?}"));
    let rest = &readme[start + 1..];
    let end = rest[heading.len()..]
        .find("\n#")
        .map_or(rest.len(), |end| end + heading.len());
    &rest[..end]
}

/// Each `sh` block of one command directly followed by an output block, the blocks'
/// indentation (in a list) removed.
fn examples_in(section: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    let mut open: Option<(String, usize, Vec<String>)> = None;
    let mut after_block = false;
    let mut examples = Vec::new();
    for line in section.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match (&mut open, trimmed.strip_prefix("```")) {
            (None, Some(kind)) => open = Some((kind.to_owned(), indent, Vec::new())),
            (Some(_), Some(_)) => {
                if let Some((kind, _, body)) = open.take() {
                    if after_block {
                        if let Some((previous, command)) = blocks.last() {
                            if previous == "sh" && command.len() == 1 && kind.is_empty() {
                                examples.push((command[0].clone(), body.clone()));
                            }
                        }
                    }
                    blocks.push((kind, body));
                    after_block = true;
                }
            }
            (Some((_, indent, body)), None) => {
                body.push(line.get(*indent..).unwrap_or("").trim_end().to_owned())
            }
            (None, None) if !trimmed.is_empty() => after_block = false,
            (None, None) => {}
        }
    }
    examples
}

/// Runs `command` in the workspace, as a reader would, and returns what it printed.
fn run(root: &Path, command: &str) -> String {
    let mut shell = Command::new("sh");
    shell.args(["-c", command]).current_dir(root);
    // The reader's environment: none of the lab's settings, and no backtraces.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("LAB_") || (name.starts_with("CARGO_") && name != "CARGO_HOME") {
            shell.env_remove(&name);
        }
    }
    shell.env("RUST_BACKTRACE", "0");
    let child = shell
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh starts");
    // A cold build of the simulated workspace takes minutes on a busy machine.
    let Some(out) = output_within(child, Duration::from_secs(1800)) else {
        panic!("`{command}` still runs after 30 minutes");
    };
    out.all()
}

fn workspace_root() -> PathBuf {
    let runtime = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    runtime
        .parent()
        .expect("the runtime crate is in the workspace")
        .to_owned()
}
