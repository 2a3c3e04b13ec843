//! Scoring one run from what the grader saw: the verdict on the private channel, how the
//! process ended, and whether the grader killed it. Never from the run's output.

use std::path::PathBuf;

use crate::grade::child::{Ended, Killed, Limits, Status};
use crate::grade::verdict::{self, Verdict};

/// One run of one test, scored.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The package whose test it is (`raft`, `kvraft`).
    pub package: String,
    pub part: String,
    pub test: String,
    /// From 1.
    pub run: usize,
    pub seed: Option<u64>,
    pub passed: bool,
    /// Why it failed.
    pub reason: Option<String>,
    /// The test's own seconds when it passed, else the grader's wall-clock seconds.
    pub seconds: f64,
    pub verdict: Option<Verdict>,
    /// Where a failing run's output is kept.
    pub kept: Option<PathBuf>,
}

/// The part a test belongs to: the tag after its last `_` (`initial_election_2A` -> `2A`).
pub fn part_of(test: &str) -> String {
    test.rsplit_once('_')
        .map_or_else(|| "-".to_owned(), |(_, part)| part.to_owned())
}

/// Scores a run: passed only with the one verdict the channel may carry, passing, from a
/// process that then exited with status 0 of its own accord, under the modes asked for
/// (`strict`; the checks on), with figures an honest run can give.
pub fn score(
    test: &str,
    token: &str,
    ended: &Ended,
    limits: &Limits,
    strict: bool,
) -> (bool, Option<String>, Option<Verdict>) {
    let found = verdict::read(&ended.channel, token, test);
    let verdict = found.clone().ok().flatten();
    let reason = match (ended.killed, &found) {
        (Some(killed), _) => Some(killed_reason(killed, limits)),
        (None, Err(error)) => Some(error.clone()),
        (None, Ok(found)) => match (found, ended.status) {
            (_, Status::Signaled(signal)) if ended.max_rss > limits.memory => Some(format!(
                "memory limit ({} MiB resident at most, over {} MiB; then killed by signal {signal})",
                ended.max_rss >> 20,
                limits.memory >> 20
            )),
            (Some(v), Status::Exited(0)) if v.passed => implausible(v, strict),
            (Some(v), _) if !v.passed => Some(first_line(&v.message)),
            (Some(_), Status::Exited(code)) => Some(format!(
                "the test passed, but then its process exited with status {code}"
            )),
            (Some(_), status) => Some(format!(
                "the test passed, but then its process was {}",
                describe(status)
            )),
            (None, Status::Exited(code)) => {
                Some(format!("exited without a verdict (status {code})"))
            }
            (None, status) => Some(describe(status)),
        },
    };
    (reason.is_none(), reason, verdict)
}

/// Why a passing verdict cannot stand: modes other than those asked for, or figures no
/// honest run gives. Every test of labs 2-4 waits for an elected leader (labs 3's and 4's,
/// under the service), and no Raft wins an election without sending RPCs.
fn implausible(v: &Verdict, strict: bool) -> Option<String> {
    if !v.checks {
        Some("the test passed with the safety checks off".to_owned())
    } else if v.strict != strict {
        Some(format!(
            "the test passed with strict mode {}, not {} as asked",
            on_off(v.strict),
            on_off(strict)
        ))
    } else if v.rpcs == 0 {
        Some("passed with 0 RPCs, which no honest run gives: a leader is elected with RPCs".into())
    } else {
        None
    }
}

fn on_off(flag: bool) -> &'static str {
    if flag {
        "on"
    } else {
        "off"
    }
}

fn killed_reason(killed: Killed, limits: &Limits) -> String {
    match killed {
        Killed::TimeLimit => format!(
            "time limit (killed after {} s)",
            limits.time.as_secs_f64().round()
        ),
        Killed::MemoryLimit => format!(
            "memory limit (killed past {} MiB resident)",
            limits.memory >> 20
        ),
        Killed::ProcessLimit => {
            format!("process limit (killed past {} processes)", limits.processes)
        }
        Killed::OutputLimit => format!(
            "output limit (killed past {} MiB of output)",
            limits.output >> 20
        ),
    }
}

fn describe(status: Status) -> String {
    match status {
        Status::Exited(code) => format!("exited with status {code}"),
        Status::Signaled(signal) => match signal_name(signal) {
            Some(name) => format!("killed by signal {signal} ({name})"),
            None => format!("killed by signal {signal}"),
        },
    }
}

fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTRAP => "SIGTRAP",
        _ => return None,
    })
}

/// A failure message's first line, for the table (the kept file has the rest).
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        "failed (no message)".to_owned()
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::capture::Captured;
    use std::time::Duration;

    const LIMITS: Limits = Limits {
        time: Duration::from_secs(125),
        memory: 1 << 30,
        processes: 16,
        output: 64 << 20,
        kept: 1 << 20,
    };

    fn ended(status: Status, channel: &str) -> Ended {
        Ended {
            status,
            killed: None,
            max_rss: 10 << 20,
            seconds: 1.0,
            output: Captured::default(),
            channel: channel.to_owned(),
            escaped: 0,
        }
    }

    fn line(token: &str, outcome: &str) -> String {
        format!(
            r#"{{"token":"{token}","test":"t_2A","outcome":"{outcome}","message":"boom\nmore","seconds":1.0,"peers":3,"rpcs":1,"bytes":1,"commands":0,"warnings":0,"checks":true,"strict":false}}"#
        )
    }

    #[test]
    fn reasons() {
        let pass = line("k", "passed");
        let reason = |e: &Ended| score("t_2A", "k", e, &LIMITS, false).1;
        assert_eq!(reason(&ended(Status::Exited(0), &pass)), None);
        assert_eq!(
            reason(&ended(Status::Exited(0), "")).as_deref(),
            Some("exited without a verdict (status 0)")
        );
        assert_eq!(
            reason(&ended(Status::Exited(0), &line("forged", "passed"))).as_deref(),
            Some("the verdict channel carried 1 line(s) without this run's token")
        );
        let silent = pass.replace(r#""rpcs":1"#, r#""rpcs":0"#);
        assert!(reason(&ended(Status::Exited(0), &silent)).is_some_and(|r| r.contains("0 RPCs")));
        let unchecked = pass.replace(r#""checks":true"#, r#""checks":false"#);
        assert!(
            reason(&ended(Status::Exited(0), &unchecked)).is_some_and(|r| r.contains("checks off"))
        );
        let strict = pass.replace(r#""strict":false"#, r#""strict":true"#);
        assert!(reason(&ended(Status::Exited(0), &strict)).is_some_and(|r| r.contains("strict")));
        assert_eq!(
            reason(&ended(Status::Exited(101), &line("k", "failed"))).as_deref(),
            Some("boom")
        );
        assert_eq!(
            reason(&ended(Status::Signaled(6), "")).as_deref(),
            Some("killed by signal 6 (SIGABRT)")
        );
        assert_eq!(
            reason(&ended(Status::Exited(1), &pass)).as_deref(),
            Some("the test passed, but then its process exited with status 1")
        );
        let mut big = ended(Status::Signaled(6), "");
        big.max_rss = 2 << 30;
        assert!(reason(&big).is_some_and(|r| r.starts_with("memory limit")));
        let mut slow = ended(Status::Signaled(9), &pass);
        slow.killed = Some(Killed::TimeLimit);
        assert_eq!(
            reason(&slow).as_deref(),
            Some("time limit (killed after 125 s)")
        );
    }

    #[test]
    fn parts_come_from_the_name() {
        assert_eq!(part_of("initial_election_2A"), "2A");
        assert_eq!(part_of("x"), "-");
    }
}
