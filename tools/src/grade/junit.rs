//! JUnit XML for CI: a `testsuite` per part, a `testcase` per run, a `failure` with the
//! reason for each failing run.

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
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"raft\" tests=\"{}\" failures=\"{failures}\" time=\"{seconds:.3}\">\n",
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
                "    <testcase classname=\"raft.{}\" name=\"{}\" time=\"{:.3}\"",
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
    fn text_is_escaped_and_control_characters_dropped() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;?");
    }
}
