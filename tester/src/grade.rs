//! The graded run's private channel to the grader (`lab-tools`' `grade`).
//!
//! The grader starts the test binary with two inherited pipe ends named in `LAB_GRADE_FDS`
//! (`READ,WRITE`), and writes one handshake line to the read end: a secret token, the one
//! test it runs, and the modes (safety checks, strictness). At the first `run_test`, the
//! tester reads it, closes that pipe and removes the variable. The verdict is accepted from
//! one call only: the first `run_test` of the named test, on the thread libtest runs it on
//! (a libtest frame below it on the stack, which code run before `main` or on a thread of
//! its own lacks). After that test's body the tester writes one verdict line, with the
//! token; any other call of `run_test` writes a refusal instead, which fails the run. The
//! Raft under test never learns the token through the lab's API, and its stdout and stderr
//! are never read for a verdict. (Code that reads this process's memory could still find
//! it: see the README.)

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once, OnceLock, PoisonError};

/// Environment variable: the inherited pipe ends, `READ,WRITE`, as file descriptor numbers.
pub const FDS_VAR: &str = "LAB_GRADE_FDS";

/// The modes the grader asked for, fixed at the handshake for the whole process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Modes {
    pub checks: bool,
    pub strict: bool,
}

/// What `Config::end` reports of a passing test.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Figures {
    pub(crate) seconds: f64,
    pub(crate) peers: usize,
    pub(crate) rpcs: usize,
    pub(crate) bytes: u64,
    pub(crate) commands: u64,
}

struct Channel {
    token: String,
    /// The one test whose verdict the grader takes.
    test: String,
    verdicts: File,
    /// Whether that test's verdict call has begun: a later call is refused.
    claimed: bool,
}

/// Whether a call of `run_test` may give the run's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Claim {
    /// No grader: the test runs as under `cargo test`.
    NotGraded,
    /// The graded test's one verdict.
    Verdict,
    /// Any other call: reported to the grader (which fails the run), the body not run.
    Refused(String),
}

static OPEN: Once = Once::new();
static CHANNEL: Mutex<Option<Channel>> = Mutex::new(None);
static MODES: OnceLock<Modes> = OnceLock::new();
static FIGURES: Mutex<Option<Figures>> = Mutex::new(None);
static WARNINGS: AtomicUsize = AtomicUsize::new(0);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The grader's modes, once the channel is open; `None` when not graded.
pub fn modes() -> Option<Modes> {
    MODES.get().copied()
}

/// Opens the channel if the grader set one up; once per process, before the first test.
/// A malformed channel panics: under the grader that fails the test, which is right.
fn open() {
    OPEN.call_once(|| {
        let Some(value) = std::env::var_os(FDS_VAR) else {
            return;
        };
        // Gone before the test's Raft runs, so that it cannot read where the channel is.
        std::env::remove_var(FDS_VAR);
        let value = value.to_string_lossy().into_owned();
        let fds: Option<(i32, i32)> = value
            .split_once(',')
            .and_then(|(r, w)| Some((r.trim().parse().ok()?, w.trim().parse().ok()?)));
        let Some((read, write)) = fds.filter(|(r, w)| *r > 2 && *w > 2 && r != w) else {
            panic!("{FDS_VAR} must be two file descriptors READ,WRITE above 2, not {value:?}");
        };
        // SAFETY: the grader passes these two open pipe ends for this process alone; each is
        // owned once, here.
        let (tokens, inherited) = unsafe { (File::from_raw_fd(read), File::from_raw_fd(write)) };
        // A close-on-exec copy under another number: processes the Raft starts inherit none.
        let verdicts = match inherited.try_clone() {
            Ok(verdicts) => verdicts,
            Err(err) => panic!("cannot duplicate the grader's fd {write}: {err}"),
        };
        drop(inherited);
        let mut line = String::new();
        if let Err(err) = BufReader::new(tokens).read_line(&mut line) {
            panic!("cannot read the grader's handshake from fd {read}: {err}");
        }
        let Some((token, test, modes)) = parse_handshake(&line) else {
            panic!("the grader's handshake on fd {read} is malformed");
        };
        let _ = MODES.set(modes);
        *lock(&CHANNEL) = Some(Channel {
            token,
            test,
            verdicts,
            claimed: false,
        });
    });
}

/// `TOKEN TEST CHECKS STRICT`, the last two `0` or `1`.
fn parse_handshake(line: &str) -> Option<(String, String, Modes)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let flag = |word: &str| match word {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    };
    match words[..] {
        [token, test, checks, strict] => Some((
            token.to_owned(),
            test.to_owned(),
            Modes {
                checks: flag(checks)?,
                strict: flag(strict)?,
            },
        )),
        _ => None,
    }
}

/// Decides, at the start of `run_test` for `test`, whether this call gives the verdict.
pub(crate) fn claim(test: &str) -> Claim {
    open();
    let mut channel = lock(&CHANNEL);
    let Some(channel) = channel.as_mut() else {
        return Claim::NotGraded;
    };
    let refusal = if channel.claimed {
        Some(format!("a second run_test in one process ({test:?})"))
    } else if test != channel.test {
        Some(format!(
            "run_test on a thread named {test:?}, not the graded test {:?}",
            channel.test
        ))
    } else if !called_by_libtest(test) {
        Some(format!(
            "run_test not called by libtest's {test} (code before main, or a thread of its own)"
        ))
    } else {
        None
    };
    match refusal {
        Some(why) => Claim::Refused(why),
        None => {
            channel.claimed = true;
            Claim::Verdict
        }
    }
}

/// Whether this thread runs `test`'s function as libtest called it: libtest's frame that
/// starts a test's function, and the function named `test` (the one `raft_tests!`
/// generates), are on its stack. libtest's symbol is its own (`test::`); a crate of the lab
/// names its symbols after itself.
fn called_by_libtest(test: &str) -> bool {
    let trace = format!("{:?}", std::backtrace::Backtrace::force_capture());
    let test_function = format!("::{test}\"");
    let its_closure = format!("::{test}::{{{{closure}}}}");
    trace.contains("fn: \"test::__rust_begin_short_backtrace")
        && (trace.contains(&test_function) || trace.contains(&its_closure))
}

/// Notes what `Config::end` reported; the verdict carries it.
pub(crate) fn record_end(figures: Figures) {
    if lock(&CHANNEL).is_some() {
        *lock(&FIGURES) = Some(figures);
    }
}

/// Counts a warning of the tester's.
pub(crate) fn record_warning() {
    WARNINGS.fetch_add(1, Ordering::Relaxed);
}

/// Writes what `claim` decided for `test`: for the verdict, passed only if the body
/// returned and `Config::end` ran; for a refusal, why.
pub(crate) fn send(claim: &Claim, test: &str, failure: Option<String>) {
    let mut channel = lock(&CHANNEL);
    let Some(channel) = channel.as_mut() else {
        return;
    };
    let modes = modes().unwrap_or(Modes {
        checks: true,
        strict: false,
    });
    let line = match claim {
        Claim::NotGraded => return,
        Claim::Refused(why) => verdict_line(
            &channel.token,
            test,
            Outcome::Refused(why),
            Figures::default(),
            0,
            modes,
        ),
        Claim::Verdict => {
            let figures = lock(&FIGURES).take();
            let outcome = match (failure, figures) {
                (Some(failure), _) => Outcome::Failed(failure),
                (None, None) => {
                    Outcome::Failed("the test ended without reaching Config::end".to_owned())
                }
                (None, Some(_)) => Outcome::Passed,
            };
            let warnings = WARNINGS.swap(0, Ordering::Relaxed);
            let figures = figures.unwrap_or_default();
            verdict_line(&channel.token, test, outcome, figures, warnings, modes)
        }
    };
    // Nothing else to tell: a grader that gets no verdict scores the test zero.
    let _ = channel.verdicts.write_all(line.as_bytes());
    let _ = channel.verdicts.flush();
}

enum Outcome<'a> {
    Passed,
    Failed(String),
    Refused(&'a str),
}

fn verdict_line(
    token: &str,
    test: &str,
    outcome: Outcome,
    f: Figures,
    warnings: usize,
    modes: Modes,
) -> String {
    let (outcome, message) = match &outcome {
        Outcome::Passed => ("passed", ""),
        Outcome::Failed(message) => ("failed", message.as_str()),
        Outcome::Refused(why) => ("refused", *why),
    };
    format!(
        "{{\"token\":{},\"test\":{},\"outcome\":\"{outcome}\",\"message\":{},\"seconds\":{},\
         \"peers\":{},\"rpcs\":{},\"bytes\":{},\"commands\":{},\"warnings\":{warnings},\
         \"checks\":{},\"strict\":{}}}\n",
        json_string(token),
        json_string(test),
        json_string(message),
        if f.seconds.is_finite() {
            f.seconds
        } else {
            0.0
        },
        f.peers,
        f.rpcs,
        f.bytes,
        f.commands,
        modes.checks,
        modes.strict,
    )
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODES: Modes = Modes {
        checks: true,
        strict: false,
    };

    #[test]
    fn a_verdict_is_one_line_of_escaped_json() {
        let figures = Figures {
            seconds: 1.5,
            peers: 3,
            rpcs: 40,
            bytes: 900,
            commands: 2,
        };
        let failed = Outcome::Failed("bad \"quote\"\nnext\u{1}".into());
        let line = verdict_line("t0k", "x_2A", failed, figures, 1, MODES);
        assert!(
            line.ends_with("}\n") && line.matches('\n').count() == 1,
            "{line}"
        );
        assert!(
            line.contains(r#""message":"bad \"quote\"\nnext\u0001""#),
            "{line}"
        );
        assert!(line.contains(r#""outcome":"failed""#), "{line}");
        assert!(line.contains(r#""rpcs":40"#), "{line}");
        assert!(line.contains(r#""checks":true,"strict":false}"#), "{line}");
    }

    #[test]
    fn the_handshake_names_token_test_and_modes() {
        let (token, test, modes) = parse_handshake("abc x_2A 1 0\n").expect("parses");
        assert_eq!(
            (token.as_str(), test.as_str(), modes),
            ("abc", "x_2A", MODES)
        );
        assert_eq!(parse_handshake("abc x_2A 1"), None);
        assert_eq!(parse_handshake("abc x_2A yes 0"), None);
    }

    #[test]
    fn libtest_is_seen_on_its_test_thread_only() {
        let name = "libtest_is_seen_on_its_test_thread_only";
        assert!(called_by_libtest(name), "this test runs under libtest");
        assert!(
            !called_by_libtest("another_test"),
            "not another test's function"
        );
        let elsewhere = std::thread::spawn(move || called_by_libtest(name))
            .join()
            .expect("joins");
        assert!(!elsewhere, "a thread of its own has no libtest frame");
    }
}
