//! The grade table: one row per run, with each part's totals under its rows.

use crate::grade::outcome::RunResult;
use crate::lab::PARTS;

const HEADER: [&str; 10] = [
    "part", "test", "result", "seconds", "peers", "RPCs", "bytes", "commands", "warnings", "kept",
];

/// The cells of one run's row.
fn cells(result: &RunResult, runs: usize) -> Vec<String> {
    let test = if runs > 1 {
        format!("{} #{}", result.test, result.run)
    } else {
        result.test.clone()
    };
    let outcome = match &result.reason {
        None => "pass".to_owned(),
        Some(reason) => format!("FAIL: {reason}"),
    };
    let figure = |f: fn(&crate::grade::verdict::Verdict) -> u64| {
        result
            .verdict
            .as_ref()
            .filter(|_| result.passed)
            .map_or_else(|| "-".to_owned(), |v| f(v).to_string())
    };
    vec![
        result.part.clone(),
        test,
        outcome,
        format!("{:.1}", result.seconds),
        figure(|v| v.peers),
        figure(|v| v.rpcs),
        figure(|v| v.bytes),
        figure(|v| v.commands),
        result
            .verdict
            .as_ref()
            .map_or_else(|| "-".to_owned(), |v| v.warnings.to_string()),
        result
            .kept
            .as_ref()
            .map_or_else(|| "-".to_owned(), |p| p.display().to_string()),
    ]
}

/// A part's totals: passed of runs, and the sums of the passing runs' figures.
fn totals(part: &str, results: &[&RunResult]) -> Vec<String> {
    let passed: Vec<_> = results
        .iter()
        .filter(|r| r.passed)
        .filter_map(|r| r.verdict.as_ref())
        .collect();
    let sum = |f: fn(&crate::grade::verdict::Verdict) -> u64| -> String {
        passed.iter().map(|v| f(v)).sum::<u64>().to_string()
    };
    vec![
        part.to_owned(),
        "total".to_owned(),
        format!(
            "{}/{} passed",
            results.iter().filter(|r| r.passed).count(),
            results.len()
        ),
        format!("{:.1}", results.iter().map(|r| r.seconds).sum::<f64>()),
        "".to_owned(),
        sum(|v| v.rpcs),
        sum(|v| v.bytes),
        sum(|v| v.commands),
        results
            .iter()
            .filter_map(|r| r.verdict.as_ref())
            .map(|v| v.warnings)
            .sum::<u64>()
            .to_string(),
        "".to_owned(),
    ]
}

/// Sorts `results` into the table's order: parts in the labs' order (2A-2D, extra, 3A, 3B, 4A,
/// 4B; any other part after them, by name), a part's tests by name, a test's runs together.
pub fn sort(results: &mut [RunResult]) {
    let key = |r: &RunResult| {
        let rank = PARTS.iter().position(|p| p.tag == r.part);
        (
            rank.unwrap_or(usize::MAX),
            r.part.clone(),
            r.test.clone(),
            r.run,
        )
    };
    results.sort_by_key(key);
}

/// The parts in order of first appearance.
pub fn parts(results: &[RunResult]) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for result in results {
        if !parts.contains(&result.part) {
            parts.push(result.part.clone());
        }
    }
    parts
}

/// `text` with its control characters escaped (`\r` as `\\r`, ESC as `\\u{1b}`): a
/// failure message must not move the terminal's cursor or restyle the table.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The whole table as text, `runs` runs per test.
pub fn render(results: &[RunResult], runs: usize) -> String {
    let mut rows: Vec<Vec<String>> = vec![HEADER.map(str::to_owned).to_vec()];
    let (mut rules, mut gaps) = (Vec::new(), Vec::new());
    for part in parts(results) {
        if rows.len() > 1 {
            gaps.push(rows.len());
        }
        let of_part: Vec<&RunResult> = results.iter().filter(|r| r.part == part).collect();
        rows.extend(
            of_part
                .iter()
                .map(|r| cells(r, runs).iter().map(|c| printable(c)).collect()),
        );
        rules.push(rows.len());
        rows.push(totals(&part, &of_part));
    }
    let widths: Vec<usize> = (0..HEADER.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        if gaps.contains(&i) {
            out.push('\n');
        }
        if rules.contains(&i) {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(col, (cell, &width))| {
                // Numbers right-aligned, text left-aligned.
                if (3..9).contains(&col) {
                    format!("{cell:>width$}")
                } else {
                    format!("{cell:<width$}")
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::verdict::Verdict;

    fn result(test: &str, reason: Option<&str>, rpcs: u64) -> RunResult {
        RunResult {
            package: "raft".into(),
            part: "2A".into(),
            test: test.into(),
            run: 1,
            seed: None,
            passed: reason.is_none(),
            reason: reason.map(str::to_owned),
            seconds: 2.0,
            verdict: Some(Verdict {
                test: test.into(),
                passed: reason.is_none(),
                rpcs,
                peers: 3,
                warnings: 1,
                ..Verdict::default()
            }),
            kept: reason.map(|_| "k.log".into()),
        }
    }

    #[test]
    fn parts_of_every_lab_sort_in_the_labs_order() {
        let of = |package: &str, test: &str, run: usize| RunResult {
            package: package.into(),
            part: crate::grade::outcome::part_of(test),
            run,
            ..result(test, None, 1)
        };
        let mut results = vec![
            of("shardkv", "join_leave_4B", 1),
            of("shardctrler", "multi_4A", 1),
            of("kvraft", "speed_3A", 1),
            of("kvraft", "basic_3A", 2),
            of("raft", "split_votes_extra", 1),
            of("kvraft", "snapshot_rpc_3B", 1),
            of("raft", "basic_agree_2B", 1),
            of("shardctrler", "basic_4A", 1),
            of("kvraft", "basic_3A", 1),
            of("raft", "re_election_2A", 1),
        ];
        sort(&mut results);
        let order: Vec<(String, usize)> = results.iter().map(|r| (r.test.clone(), r.run)).collect();
        let expected = [
            ("re_election_2A", 1),
            ("basic_agree_2B", 1),
            ("split_votes_extra", 1),
            ("basic_3A", 1),
            ("basic_3A", 2),
            ("speed_3A", 1),
            ("snapshot_rpc_3B", 1),
            ("basic_4A", 1),
            ("multi_4A", 1),
            ("join_leave_4B", 1),
        ]
        .map(|(t, r)| (t.to_owned(), r));
        assert_eq!(order, expected);
        // One table, each part with its totals.
        let table = render(&results, 2);
        for part in ["2A", "2B", "extra", "3A", "3B", "4A", "4B"] {
            assert!(
                table
                    .lines()
                    .any(|l| l.starts_with(&format!("{part}  ")) && l.contains("total")),
                "no totals of {part}:\n{table}"
            );
        }
    }

    #[test]
    fn control_characters_cannot_redraw_the_table() {
        let forged = "boom\r2A  x_2A  pass\u{1b}[2K\u{1b}[1A";
        let table = render(&[result("a_2A", Some(forged), 0)], 1);
        assert!(!table.contains(['\r', '\u{1b}']), "{table:?}");
        assert!(
            table.contains("FAIL: boom\\r2A  x_2A  pass\\u{1b}[2K"),
            "{table}"
        );
    }

    #[test]
    fn totals_count_passes_and_sum_the_passing_figures() {
        let table = render(
            &[result("a_2A", None, 10), result("b_2A", Some("boom"), 99)],
            1,
        );
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[1].contains("pass") && lines[1].contains(" 10 "),
            "{table}"
        );
        assert!(
            lines[2].contains("FAIL: boom") && lines[2].ends_with("k.log"),
            "{table}"
        );
        assert!(
            !lines[2].contains("99"),
            "a failing run's figures are hidden: {table}"
        );
        let total: Vec<&str> = lines[4].split_whitespace().collect();
        assert_eq!(
            total,
            ["2A", "total", "1/2", "passed", "4.0", "10", "0", "0", "2"]
        );
    }
}
