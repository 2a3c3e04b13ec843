//! JUnit XML for CI: a `testsuite` per part, a `testcase` per run (its class the package and
//! the part, `raft.2A`, `kvraft.3A`), a `failure` with the reason for each failing run.

use crate::grade::mode::Mode;
use crate::grade::outcome::RunResult;
use crate::grade::table::{parts, printable};

/// `text` escaped for XML, without the characters XML 1.0 cannot carry.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// The whole report, `runs` runs per test; each suite states the mode in its properties.
pub fn render(results: &[RunResult], runs: usize, mode: &Mode) -> String {
    let properties: String = mode
        .properties()
        .iter()
        .map(|(name, value)| {
            format!(
                "      <property name=\"{}\" value=\"{}\"/>\n",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let failures = results.iter().filter(|r| !r.passed).count();
    let seconds: f64 = results.iter().map(|r| r.seconds).sum();
    // The packages graded, in order of first appearance: `raft`, or `raft kvraft`, ...
    let mut packages: Vec<&str> = Vec::new();
    for result in results {
        if !packages.contains(&result.package.as_str()) {
            packages.push(&result.package);
        }
    }
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\" time=\"{seconds:.3}\">\n",
        escape(&packages.join(" ")),
        results.len()
    );
    for part in parts(results) {
        let of_part: Vec<&RunResult> = results.iter().filter(|r| r.part == part).collect();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{:.3}\">\n",
            escape(&part),
            of_part.len(),
            of_part.iter().filter(|r| !r.passed).count(),
            of_part.iter().map(|r| r.seconds).sum::<f64>()
        ));
        out.push_str(&format!(
            "    <properties>\n{properties}    </properties>\n"
        ));
        for result in of_part {
            let name = if runs > 1 {
                format!("{} #{}", result.test, result.run)
            } else {
                result.test.clone()
            };
            out.push_str(&format!(
                "    <testcase classname=\"{}.{}\" name=\"{}\" time=\"{:.3}\"",
                escape(&result.package),
                escape(&part),
                escape(&name),
                result.seconds
            ));
            match &result.reason {
                None => out.push_str("/>\n"),
                Some(reason) => {
                    let kept = result
                        .kept
                        .as_ref()
                        .map(|p| format!("output kept in {}", p.display()))
                        .unwrap_or_default();
                    out.push_str(&format!(
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                        // As the table shows it: an attribute cannot carry control characters.
                        escape(&printable(reason)),
                        escape(&kept)
                    ));
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lab_goes_in_one_report_each_test_under_its_package() {
        let result = |package: &str, part: &str, test: &str, reason: Option<&str>| RunResult {
            package: package.into(),
            part: part.into(),
            test: test.into(),
            run: 1,
            seed: Some(7),
            passed: reason.is_none(),
            reason: reason.map(str::to_owned),
            seconds: 1.5,
            verdict: None,
            kept: None,
        };
        let results = [
            result("raft", "2A", "re_election_2A", None),
            result("kvraft", "3A", "basic_3A", Some("boom")),
            result("kvraft", "3B", "snapshot_rpc_3B", None),
            result("shardctrler", "4A", "multi_4A", None),
            result("shardkv", "4B", "join_leave_4B", None),
        ];
        let mode = Mode {
            sim: true,
            strict: false,
            seeds: Some((7, 9)),
        };
        let xml = render(&results, 1, &mode);
        assert_eq!(xml.matches("<testsuites ").count(), 1, "{xml}");
        assert!(
            xml.contains(
                r#"<testsuites name="raft kvraft shardctrler shardkv" tests="5" failures="1""#
            ),
            "{xml}"
        );
        for (class, name) in [
            ("raft.2A", "re_election_2A"),
            ("kvraft.3A", "basic_3A"),
            ("kvraft.3B", "snapshot_rpc_3B"),
            ("shardctrler.4A", "multi_4A"),
            ("shardkv.4B", "join_leave_4B"),
        ] {
            assert!(
                xml.contains(&format!(r#"<testcase classname="{class}" name="{name}""#)),
                "{class} {name}: {xml}"
            );
        }
        assert_eq!(xml.matches("<testsuite name=").count(), 5, "{xml}");
    }

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;?");
    }
}
