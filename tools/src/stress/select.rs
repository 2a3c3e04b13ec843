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

/// The tests whose names contain any of `patterns` (as cargo test filters), in list order.
pub fn choose(tests: &[String], patterns: &[String]) -> Result<Vec<String>> {
    let chosen: Vec<String> = tests
        .iter()
        .filter(|test| patterns.iter().any(|p| test.contains(p.as_str())))
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
}
