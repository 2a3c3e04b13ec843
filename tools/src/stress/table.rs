//! The running table: per test, runs, failures, mean and max seconds, where failures went.

use std::path::{Path, PathBuf};

use crate::stress::runner::Outcome;

/// One test's row.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub test: String,
    pub runs: usize,
    pub failures: usize,
    total_seconds: f64,
    pub max_seconds: f64,
    /// Where this test's failing runs are kept.
    pub kept: Option<PathBuf>,
}

impl Row {
    pub fn new(test: &str) -> Row {
        Row {
            test: test.to_owned(),
            ..Row::default()
        }
    }

    pub fn add(&mut self, outcome: &Outcome) {
        self.runs += 1;
        self.total_seconds += outcome.seconds;
        self.max_seconds = self.max_seconds.max(outcome.seconds);
        if !outcome.passed {
            self.failures += 1;
            if let Some(dir) = outcome.kept.as_deref().and_then(Path::parent) {
                self.kept = Some(dir.to_path_buf());
            }
        }
    }

    pub fn mean_seconds(&self) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            self.total_seconds / self.runs as f64
        }
    }
}

/// The width of the test column, for `rows`.
pub fn test_width(rows: &[Row]) -> usize {
    rows.iter()
        .map(|row| row.test.len())
        .max()
        .unwrap_or(0)
        .max(4)
}

pub fn header(width: usize) -> String {
    format!(
        "{:<width$}  {:>5}  {:>8}  {:>7}  {:>7}  failing runs kept in",
        "test", "runs", "failures", "mean s", "max s"
    )
}

pub fn line(row: &Row, width: usize) -> String {
    let kept = row
        .kept
        .as_ref()
        .map(|dir| dir.display().to_string())
        .unwrap_or_else(|| "-".to_owned());
    format!(
        "{:<width$}  {:>5}  {:>8}  {:>7.2}  {:>7.2}  {kept}",
        row.test,
        row.runs,
        row.failures,
        row.mean_seconds(),
        row.max_seconds,
    )
}

/// The whole table, header first.
pub fn render(rows: &[Row]) -> String {
    let width = test_width(rows);
    let mut out = header(width);
    for row in rows {
        out.push('\n');
        out.push_str(&line(row, width));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stress::runner::Job;

    fn outcome(passed: bool, seconds: f64) -> Outcome {
        Outcome {
            job: Job {
                test: "t".into(),
                run: 1,
                seed: Some(3),
                binary: 0,
            },
            passed,
            seconds,
            kept: (!passed).then(|| PathBuf::from("target/stress/t/run-1-seed-3.log")),
            failure: None,
            replay: None,
        }
    }

    #[test]
    fn rows_count_runs_failures_and_times() {
        let mut row = Row::new("t");
        row.add(&outcome(true, 1.0));
        row.add(&outcome(false, 3.0));
        assert_eq!((row.runs, row.failures), (2, 1));
        assert_eq!(row.mean_seconds(), 2.0);
        assert_eq!(row.max_seconds, 3.0);
        let table = render(&[row]);
        assert!(
            table
                .lines()
                .nth(1)
                .is_some_and(|l| l.ends_with("target/stress/t")),
            "{table}"
        );
    }
}
