//! Listing a test binary's tests and choosing among them.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The tests of `binary`, from `--list`.
pub fn list(binary: &Path) -> Result<Vec<String>> {
    let output = Command::new(binary)
        .args(["--list", "--format", "terse"])
        .output()
        .with_context(|| format!("cannot run {} --list", binary.display()))?;
    if !output.status.success() {
        bail!(
            "{} --list failed: {}",
            binary.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(parse_list(&String::from_utf8_lossy(&output.stdout)))
}

/// `name: test` lines; benchmarks and the summary are left out.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// A chosen test, and which of the test binaries holds it (its index among them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub test: String,
    pub binary: usize,
}

/// The tests of several binaries (`lists[i]` is binary i's) whose names contain any of
/// `patterns`, binary by binary in list order. None chosen is an error, naming every test;
/// so is a name chosen in two binaries, since runs are kept and shown by name.
pub fn choose_among(lists: &[Vec<String>], patterns: &[String]) -> Result<Vec<Chosen>> {
    let every: Vec<String> = lists.concat();
    let mut chosen: Vec<Chosen> = Vec::new();
    for (binary, tests) in lists.iter().enumerate() {
        for test in tests.iter().filter(|t| matches(t, patterns)) {
            if chosen.iter().any(|c| &c.test == test) {
                bail!("two test binaries have a test named {test}; choose one with --package");
            }
            chosen.push(Chosen {
                test: test.clone(),
                binary,
            });
        }
    }
    if chosen.is_empty() {
        bail!(
            "no test matches {}; the tests are: {}",
            patterns.join(", "),
            every.join(", ")
        );
    }
    Ok(chosen)
}

fn matches(test: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| test.contains(p.as_str()))
}

/// The tests whose names contain any of `patterns` (as cargo test filters), in list order.
pub fn choose(tests: &[String], patterns: &[String]) -> Result<Vec<String>> {
    let chosen: Vec<String> = tests
        .iter()
        .filter(|test| matches(test, patterns))
        .cloned()
        .collect();
    if chosen.is_empty() {
        bail!(
            "no test matches {}; the tests are: {}",
            patterns.join(", "),
            tests.join(", ")
        );
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_choose_like_cargo_filters() {
        let tests = parse_list(
            "initial_election_2A: test\nre_election_2A: test\nbasic_agree_2B: test\n\n3 tests, 0 benchmarks\n",
        );
        assert_eq!(tests.len(), 3);
        let chosen = choose(&tests, &["2A".into()]).expect("some");
        assert_eq!(chosen, ["initial_election_2A", "re_election_2A"]);
        let error = choose(&tests, &["2Z".into()]).expect_err("none");
        assert!(error.to_string().contains("basic_agree_2B"), "{error}");
    }

    #[test]
    fn patterns_choose_among_binaries() {
        let raft = parse_list("re_election_2A: test\nunreliable_agree_2C: test\n");
        let kv = parse_list("basic_3A: test\nunreliable_3A: test\nsnapshot_rpc_3B: test\n");
        let ctrler = parse_list("basic_4A: test\nmulti_4A: test\n");
        let shardkv = parse_list("join_leave_4B: test\nunreliable1_4B: test\n");
        let lists = [raft, kv, ctrler, shardkv];
        let chosen = |patterns: &[&str]| {
            let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
            choose_among(&lists, &patterns).map(|chosen| {
                chosen
                    .into_iter()
                    .map(|c| (c.test, c.binary))
                    .collect::<Vec<_>>()
            })
        };
        let named = |pairs: &[(&str, usize)]| -> Vec<(String, usize)> {
            pairs.iter().map(|(t, b)| ((*t).to_owned(), *b)).collect()
        };
        assert_eq!(
            chosen(&["unreliable"]).expect("both"),
            named(&[
                ("unreliable_agree_2C", 0),
                ("unreliable_3A", 1),
                ("unreliable1_4B", 3)
            ])
        );
        assert_eq!(
            chosen(&["3B", "re_election"]).expect("both"),
            named(&[("re_election_2A", 0), ("snapshot_rpc_3B", 1)])
        );
        assert_eq!(
            chosen(&["basic", "multi_4A"]).expect("both"),
            named(&[("basic_3A", 1), ("basic_4A", 2), ("multi_4A", 2)])
        );
        assert_eq!(
            chosen(&["4B"]).expect("lab 4B's"),
            named(&[("join_leave_4B", 3), ("unreliable1_4B", 3)])
        );
        let error = chosen(&["3C"]).expect_err("none");
        assert!(
            error
                .to_string()
                .contains("re_election_2A, unreliable_agree_2C, basic_3A"),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .ends_with("basic_4A, multi_4A, join_leave_4B, unreliable1_4B"),
            "{error}"
        );
        let twice = [lists[1].clone(), lists[1].clone()];
        let error = choose_among(&twice, &["basic".to_owned()]).expect_err("twice");
        assert!(error.to_string().contains("basic_3A"), "{error}");
    }
}
