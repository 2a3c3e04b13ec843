//! Reading a run's log: the lines `lab_runtime::logging` writes
//! (`{secs}.{micros} {LEVEL} {target} {message}`), and the panic that ended a failing run.

use std::path::Path;

use anyhow::{Context, Result};

/// One log line.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Line number in the file, from 1.
    pub line_no: usize,
    /// Seconds since the run began.
    pub at: f64,
    pub level: String,
    /// The topic: `raft::election`, `labrpc`, `tester`, ...
    pub target: String,
    pub message: String,
    /// The peer the message names first (`S2 ...`), if it starts with one.
    pub peer: Option<usize>,
}

/// Where and why the run failed: the first panic in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub line_no: usize,
    /// The time of the last log line before the panic.
    pub at: f64,
    /// `panicked at file:line:col`
    pub location: String,
    pub message: String,
}

/// A whole log file: its log lines, the failure and the seed, if the file shows them.
#[derive(Debug, Default)]
pub struct Log {
    pub lines: Vec<LogLine>,
    pub failure: Option<Failure>,
    /// From the replay hint (`simulation failed with seed N`).
    pub seed: Option<u64>,
    /// The tester's description of the test (`Test (2A): initial election`), if printed.
    pub description: Option<String>,
}

impl Log {
    pub fn read(path: &Path) -> Result<Log> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        // A log cut off mid-character (a killed run) is still worth reading.
        Ok(Log::parse(&String::from_utf8_lossy(&bytes)))
    }

    /// Parses a log; lines that are neither log lines nor a panic (test output) are skipped.
    pub fn parse(text: &str) -> Log {
        let mut log = Log::default();
        let mut last_at = 0.0;
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let line_no = i + 1;
            // libtest prints `test NAME ... ` with no newline, so the first log line of a
            // run may follow it.
            let parsed = parse_line(line, line_no).or_else(|| {
                let (_, rest) = line.strip_prefix("test ")?.split_once(" ... ")?;
                parse_line(rest, line_no)
            });
            if let Some(parsed) = parsed {
                last_at = parsed.at;
                log.lines.push(parsed);
            } else if let Some(location) = panic_location(line) {
                if log.failure.is_none() {
                    log.failure = Some(Failure {
                        line_no,
                        at: last_at,
                        location: location.to_owned(),
                        message: panic_message(line, lines.get(i + 1).copied()),
                    });
                }
            } else if let Some(seed) = hint_seed(line) {
                log.seed.get_or_insert(seed);
            } else if let Some(at) = line.find("Test (") {
                let description = line[at..].trim_end_matches(" ...").trim();
                log.description
                    .get_or_insert_with(|| description.to_owned());
            }
        }
        log
    }

    /// The number of peers: one more than the highest peer named.
    pub fn peers(&self) -> usize {
        self.lines
            .iter()
            .filter_map(|line| line.peer)
            .max()
            .map_or(0, |peer| peer + 1)
    }

    /// The time of the last line.
    pub fn end(&self) -> f64 {
        self.lines.last().map_or(0.0, |line| line.at)
    }
}

/// Parses one log line, or `None` if it is not one.
pub fn parse_line(line: &str, line_no: usize) -> Option<LogLine> {
    let (time, rest) = token(line)?;
    let (secs, micros) = time.split_once('.')?;
    if micros.len() != 6 {
        return None;
    }
    let at = secs.parse::<u64>().ok()? as f64 + micros.parse::<u32>().ok()? as f64 / 1e6;
    let (level, rest) = token(rest)?;
    if !matches!(level, "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE") {
        return None;
    }
    let (target, rest) = token(rest)?;
    let message = rest.trim_start().to_owned();
    Some(LogLine {
        line_no,
        at,
        level: level.to_owned(),
        target: target.to_owned(),
        peer: leading_peer(&message),
        message,
    })
}

/// The first whitespace-separated token and what follows it.
fn token(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (end > 0).then(|| text.split_at(end))
}

/// `S2` at the start of a message (`S2 T5: ...`, `S2 -> S0: ...`, `S2 connected`).
pub fn leading_peer(message: &str) -> Option<usize> {
    let (first, _) = token(message)?;
    parse_tagged(first.trim_end_matches(':'), 'S')
}

/// `T5` -> 5, `S2` -> 2 with `tag` the letter.
pub fn parse_tagged(word: &str, tag: char) -> Option<usize> {
    let digits = word.strip_prefix(tag)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The message without its leading peer, as a peer's own column shows it.
pub fn without_peer(line: &LogLine) -> &str {
    match (line.peer, token(&line.message)) {
        (Some(_), Some((_, rest))) => rest.trim_start(),
        _ => &line.message,
    }
}

fn panic_location(line: &str) -> Option<&str> {
    let at = line.find("panicked at ")?;
    line.starts_with("thread ")
        .then(|| line[at..].trim_end_matches(':'))
}

/// Rust prints the message after the location, on the same line (old) or the next.
fn panic_message(line: &str, next: Option<&str>) -> String {
    match line
        .split_once("panicked at ")
        .and_then(|(_, rest)| rest.split_once("', "))
    {
        Some((message, _)) => message.trim_start_matches('\'').to_owned(),
        None => next.unwrap_or("").trim().to_owned(),
    }
}

fn hint_seed(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("simulation failed with seed ")?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_splits_into_time_level_topic_peer_and_message() {
        let line = parse_line(
            "   2.103001 DEBUG raft::election   S1 T4: election timeout, standing",
            7,
        );
        let line = line.expect("a log line");
        assert_eq!(line.line_no, 7);
        assert!((line.at - 2.103001).abs() < 1e-9);
        assert_eq!(line.level, "DEBUG");
        assert_eq!(line.target, "raft::election");
        assert_eq!(line.peer, Some(1));
        assert_eq!(line.message, "S1 T4: election timeout, standing");
        assert_eq!(without_peer(&line), "T4: election timeout, standing");
    }

    #[test]
    fn other_output_is_not_a_log_line() {
        for text in [
            "Test (2A): initial election ...",
            "  ... Passed --   3.1  3   58    1152    0",
            "",
            "1.5 DEBUG x y",
            "   0.000001 LOUD x y",
        ] {
            assert_eq!(parse_line(text, 1), None, "{text:?}");
        }
    }

    #[test]
    fn the_panic_and_the_seed_are_found() {
        let log = Log::parse(
            "test initial_election_2A ...    0.500000 INFO  tester           S0 connected\n\
             Test (2A): initial election ...\n\
             thread 'initial_election_2A' panicked at tester/src/config.rs:273:21:\n\
             term 1 has 2 (>1) leaders\n\
             simulation failed with seed 42; replay it with:\n",
        );
        let failure = log.failure.clone().expect("a failure");
        assert_eq!(failure.message, "term 1 has 2 (>1) leaders");
        assert_eq!(failure.location, "panicked at tester/src/config.rs:273:21");
        assert!((failure.at - 0.5).abs() < 1e-9);
        assert_eq!(log.seed, Some(42));
        assert_eq!(log.peers(), 1);
        assert_eq!(log.lines.len(), 1);
        assert_eq!(
            log.description.as_deref(),
            Some("Test (2A): initial election")
        );
    }
}
