//! The graded run's private channel to the grader (`lab-tools`' `grade`).
//!
//! The grader starts the test binary with two inherited pipe ends named in `LAB_GRADE_FDS`
//! (`READ,WRITE`). At the first test, before any Raft code runs, the harness reads a secret
//! token from the read end, closes it and removes the variable; after the test body it writes
//! one verdict line, carrying the token, to the write end. The Raft under test never learns
//! the token through the lab's API, and its stdout and stderr are never read for a verdict.
//! (Code that reads this process's memory could still find it: see the README.)

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once, PoisonError};

/// Environment variable: the inherited pipe ends, `READ,WRITE`, as file descriptor numbers.
pub const FDS_VAR: &str = "LAB_GRADE_FDS";

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
    verdicts: File,
}

static OPEN: Once = Once::new();
static CHANNEL: Mutex<Option<Channel>> = Mutex::new(None);
static FIGURES: Mutex<Option<Figures>> = Mutex::new(None);
static WARNINGS: AtomicUsize = AtomicUsize::new(0);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Opens the channel if the grader set one up; once per process, before the first test.
/// A malformed channel panics: under the grader that fails the test, which is right.
pub(crate) fn open() {
    OPEN.call_once(|| {
        let Some(value) = std::env::var_os(FDS_VAR) else {
            return;
        };
        // Gone before any Raft code runs, so that it cannot read where the channel is.
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
        let mut token = String::new();
        if let Err(err) = BufReader::new(tokens).read_line(&mut token) {
            panic!("cannot read the grader's token from fd {read}: {err}");
        }
        let token = token.trim().to_owned();
        if token.is_empty() {
            panic!("the grader sent no token on fd {read}");
        }
        *lock(&CHANNEL) = Some(Channel { token, verdicts });
    });
}

fn grading() -> bool {
    lock(&CHANNEL).is_some()
}

/// Notes what `Config::end` reported; the verdict carries it.
pub(crate) fn record_end(figures: Figures) {
    if grading() {
        *lock(&FIGURES) = Some(figures);
    }
}

/// Counts a warning of the tester's.
pub(crate) fn record_warning() {
    WARNINGS.fetch_add(1, Ordering::Relaxed);
}

/// Writes the verdict of `test`: passed only if the body returned and `Config::end` ran.
pub(crate) fn send(test: &str, failure: Option<String>) {
    let mut channel = lock(&CHANNEL);
    let Some(channel) = channel.as_mut() else {
        return;
    };
    let figures = lock(&FIGURES).take();
    let failure = match (failure, figures) {
        (Some(failure), _) => Some(failure),
        (None, None) => Some("the test ended without reaching Config::end".to_owned()),
        (None, Some(_)) => None,
    };
    let line = verdict_line(
        &channel.token,
        test,
        failure.as_deref(),
        figures.unwrap_or_default(),
        WARNINGS.swap(0, Ordering::Relaxed),
    );
    // Nothing else to tell: a grader that gets no verdict scores the test zero.
    let _ = channel.verdicts.write_all(line.as_bytes());
    let _ = channel.verdicts.flush();
}

fn verdict_line(
    token: &str,
    test: &str,
    failure: Option<&str>,
    f: Figures,
    warnings: usize,
) -> String {
    let outcome = if failure.is_some() {
        "failed"
    } else {
        "passed"
    };
    format!(
        "{{\"token\":{},\"test\":{},\"outcome\":\"{outcome}\",\"message\":{},\"seconds\":{},\
         \"peers\":{},\"rpcs\":{},\"bytes\":{},\"commands\":{},\"warnings\":{warnings}}}\n",
        json_string(token),
        json_string(test),
        json_string(failure.unwrap_or("")),
        if f.seconds.is_finite() {
            f.seconds
        } else {
            0.0
        },
        f.peers,
        f.rpcs,
        f.bytes,
        f.commands,
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

    #[test]
    fn a_verdict_is_one_line_of_escaped_json() {
        let figures = Figures {
            seconds: 1.5,
            peers: 3,
            rpcs: 40,
            bytes: 900,
            commands: 2,
        };
        let line = verdict_line("t0k", "x_2A", Some("bad \"quote\"\nnext\u{1}"), figures, 1);
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
    }
}
