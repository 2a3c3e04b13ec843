//! Building the test binary once, with cargo, and finding it in cargo's JSON messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// Set (to anything but `0`) to build simulated test binaries without `--release`. The
/// tools' own tests set it, so that they share the debug build in target/sim with
/// `make test-sim` instead of building every crate once more, with optimizations.
pub const DEBUG_BUILD_VARIABLE: &str = "LAB_TOOLS_DEBUG_BUILD";

fn debug_build() -> bool {
    std::env::var_os(DEBUG_BUILD_VARIABLE).is_some_and(|value| value != "0")
}

/// What to build: a test target of a package, in real time or in simulation.
#[derive(Debug, Clone)]
pub struct Target {
    pub package: String,
    pub test: String,
    /// Cargo features to build with, if any (`--features`).
    pub features: Option<String>,
    pub sim: bool,
}

impl Target {
    /// The cargo arguments that build (with `--no-run`) or run this target.
    pub fn cargo_args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["test", "-p", &self.package, "--test", &self.test]
            .map(str::to_owned)
            .to_vec();
        if let Some(features) = &self.features {
            args.extend(["--features".to_owned(), features.clone()]);
        }
        if self.sim {
            if !debug_build() {
                args.push("--release".to_owned());
            }
            args.extend(["--target-dir", "target/sim"].map(str::to_owned));
        }
        args
    }

    /// The RUSTFLAGS to build with: the caller's, plus `--cfg madsim` in simulation.
    pub fn rustflags(&self) -> Option<String> {
        let outer = std::env::var("RUSTFLAGS").unwrap_or_default();
        self.sim
            .then(|| format!("{outer} --cfg madsim").trim().to_owned())
    }

    /// The shell command that replays a simulated run of `name` from `seed`.
    pub fn replay_command(&self, name: &str, seed: u64) -> String {
        format!(
            "LAB_SEED={seed} RUSTFLAGS=\"--cfg madsim\" cargo {} -- --exact {name} --nocapture",
            self.cargo_args().join(" ")
        )
    }
}

/// The workspace's root directory, where cargo is run and `target/` lives.
pub fn workspace_root() -> Result<PathBuf> {
    let output = Command::new(cargo())
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()
        .context("cannot run cargo locate-project")?;
    if !output.status.success() {
        bail!(
            "cargo locate-project failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    manifest
        .parent()
        .map(Path::to_path_buf)
        .with_context(|| format!("no directory above {}", manifest.display()))
}

/// Builds `target` (cargo's progress goes to our stderr) and returns the test binary.
pub fn build(root: &Path, target: &Target) -> Result<PathBuf> {
    let mut command = Command::new(cargo());
    command
        .current_dir(root)
        .args(target.cargo_args())
        .args(["--no-run", "--message-format=json-render-diagnostics"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(flags) = target.rustflags() {
        command.env("RUSTFLAGS", flags);
    }
    let output = command
        .output()
        .with_context(|| format!("cannot run cargo {}", target.cargo_args().join(" ")))?;
    if !output.status.success() {
        bail!(
            "the build failed: cargo {} --no-run",
            target.cargo_args().join(" ")
        );
    }
    find_executable(&String::from_utf8_lossy(&output.stdout), &target.test)
}

/// The executable of the test target named `test` in cargo's JSON messages.
pub fn find_executable(messages: &str, test: &str) -> Result<PathBuf> {
    for line in messages.lines().filter(|line| line.starts_with('{')) {
        let message: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("cargo printed a line that is not JSON: {line}"))?;
        if message["reason"] != "compiler-artifact" || message["target"]["name"] != test {
            continue;
        }
        let is_test = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|kind| kind == "test"));
        if let (true, Some(path)) = (is_test, message["executable"].as_str()) {
            return Ok(PathBuf::from(path));
        }
    }
    bail!("cargo built no test binary named {test}")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_binary_is_found_among_cargo_messages() {
        let messages = r#"{"reason":"compiler-artifact","target":{"name":"raft","kind":["lib"]},"executable":null}
{"reason":"compiler-artifact","target":{"name":"lab","kind":["test"]},"executable":"/t/lab-123"}
{"reason":"build-finished","success":true}"#;
        let found = find_executable(messages, "lab").expect("found");
        assert_eq!(found, PathBuf::from("/t/lab-123"));
        assert!(find_executable(messages, "kill").is_err());
    }

    #[test]
    fn the_replay_command_builds_as_stress_did() {
        let target = Target {
            package: "raft".into(),
            test: "lab".into(),
            features: None,
            sim: true,
        };
        assert_eq!(
            target.replay_command("re_election_2A", 9),
            "LAB_SEED=9 RUSTFLAGS=\"--cfg madsim\" cargo test -p raft --test lab --release \
             --target-dir target/sim -- --exact re_election_2A --nocapture"
        );
    }
}
