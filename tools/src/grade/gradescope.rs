//! `results.json` in Gradescope's format: one entry per test, scored by the share of its
//! runs that passed, and the total.

use crate::grade::mode::Mode;
use crate::grade::outcome::RunResult;

/// Points per test.
pub const MAX_SCORE: f64 = 1.0;

/// The results of one test's runs, in run order.
pub fn by_test(results: &[RunResult]) -> Vec<Vec<&RunResult>> {
    let mut tests: Vec<Vec<&RunResult>> = Vec::new();
    for result in results {
        match tests.iter_mut().find(|t| t[0].test == result.test) {
            Some(runs) => runs.push(result),
            None => tests.push(vec![result]),
        }
    }
    tests
}

/// A test's score: its share of passing runs of `MAX_SCORE`.
pub fn score(runs: &[&RunResult]) -> f64 {
    let passed = runs.iter().filter(|r| r.passed).count();
    MAX_SCORE * passed as f64 / runs.len().max(1) as f64
}

/// What a test's `output` says: each run's result, figures and kept file.
fn output(runs: &[&RunResult]) -> String {
    let mut out = String::new();
    for run in runs {
        let seed = run.seed.map(|s| format!(", seed {s}")).unwrap_or_default();
        match (&run.reason, &run.verdict) {
            (None, Some(v)) => out.push_str(&format!(
                "run {}{seed}: passed in {:.1} s; {} peers, {} RPCs, {} bytes, {} commands, {} warnings\n",
                run.run, v.seconds, v.peers, v.rpcs, v.bytes, v.commands, v.warnings
            )),
            (reason, _) => out.push_str(&format!(
                "run {}{seed}: failed: {}\n",
                run.run,
                reason.as_deref().unwrap_or("no verdict")
            )),
        }
        if let Some(kept) = &run.kept {
            out.push_str(&format!("  output kept in {}\n", kept.display()));
        }
    }
    out
}

/// The whole `results.json`, its mode in the top-level `output` (which Gradescope shows)
/// and in `extra_data`.
pub fn render(results: &[RunResult], mode: &Mode) -> serde_json::Value {
    let tests: Vec<serde_json::Value> = by_test(results)
        .iter()
        .map(|runs| {
            let score = score(runs);
            serde_json::json!({
                "name": format!("{} {}", runs[0].part, runs[0].test),
                "score": score,
                "max_score": MAX_SCORE,
                "status": if runs.iter().all(|r| r.passed) { "passed" } else { "failed" },
                "output": output(runs),
            })
        })
        .collect();
    let total: f64 = by_test(results).iter().map(|runs| score(runs)).sum();
    let properties: serde_json::Map<String, serde_json::Value> = mode
        .properties()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.into()))
        .collect();
    serde_json::json!({
        "score": total,
        "output": mode.line(),
        "extra_data": { "mode": properties },
        "tests": tests,
    })
}
