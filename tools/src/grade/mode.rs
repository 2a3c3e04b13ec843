//! The mode a grade ran in, stated in the table, results.json and the JUnit XML, so that a
//! score is never read without it.

/// How the runs were made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mode {
    /// Simulated time (madsim) rather than real time.
    pub sim: bool,
    /// Whether the tester's warnings fail the test.
    pub strict: bool,
    /// The seeds the runs took, first and last, in simulation.
    pub seeds: Option<(u64, u64)>,
}

impl Mode {
    /// Each test runs in a process of its own, but the Raft's peers share it with the tester.
    pub const ISOLATION: &'static str = "in-process";

    /// The mode as (name, value) pairs, in a fixed order.
    pub fn properties(&self) -> Vec<(&'static str, String)> {
        let flag = |on: bool| if on { "on" } else { "off" }.to_owned();
        vec![
            ("isolation", Self::ISOLATION.to_owned()),
            (
                "time",
                if self.sim { "simulated" } else { "real" }.to_owned(),
            ),
            // Always on: the grader sets them, and fails a verdict made without them.
            ("checks", flag(true)),
            ("strict", flag(self.strict)),
            (
                "seeds",
                self.seeds
                    .map_or_else(|| "-".to_owned(), |(a, b)| format!("{a}-{b}")),
            ),
        ]
    }

    /// One line: `mode: isolation in-process, time simulated, checks on, ...`.
    pub fn line(&self) -> String {
        let pairs: Vec<String> = self
            .properties()
            .iter()
            .map(|(name, value)| format!("{name} {value}"))
            .collect();
        format!("mode: {}", pairs.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_every_property() {
        let mode = Mode {
            sim: true,
            strict: false,
            seeds: Some((1, 9)),
        };
        assert_eq!(
            mode.line(),
            "mode: isolation in-process, time simulated, checks on, strict off, seeds 1-9"
        );
    }
}
