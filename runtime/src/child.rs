//! Running a child process to its end while reading everything it writes, for tests that
//! run one of their own tests in a child (whose failure, deadlock or panic they expect).

use std::io::Read;
use std::process::{Child, ExitStatus};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How a child ended, and what it wrote.
#[derive(Debug)]
pub struct ChildOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl ChildOutput {
    /// Its standard output, then its standard error.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Waits for `child`, spawned with piped stdout and stderr, to close both and end. Both
/// pipes are read as the child writes, so that a child with much to say never blocks on a
/// full pipe. A child still writing after `limit` is killed, and `None` returned.
pub fn output_within(mut child: Child, limit: Duration) -> Option<ChildOutput> {
    let (tx, rx) = mpsc::channel();
    let pipes: [Option<Box<dyn Read + Send>>; 2] = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ];
    let mut open = 0;
    for (which, pipe) in pipes.into_iter().enumerate() {
        let Some(mut pipe) = pipe else { continue };
        open += 1;
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = tx.send((which, String::from_utf8_lossy(&bytes).into_owned()));
        });
    }
    drop(tx);
    let deadline = Instant::now() + limit;
    let mut texts = [String::new(), String::new()];
    for _ in 0..open {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((which, text)) => texts[which] = text,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let status = child.wait().ok()?;
    let [stdout, stderr] = texts;
    Some(ChildOutput {
        status,
        stdout,
        stderr,
    })
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    use super::*;

    fn sh(script: &str) -> Child {
        Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sh starts")
    }

    #[test]
    fn a_child_that_writes_more_than_a_pipe_holds_is_read_to_its_end() {
        // 1 MiB on each pipe: far more than the 64 KiB a pipe buffers.
        let child = sh("head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2; exit 3");
        let out = output_within(child, Duration::from_secs(600)).expect("it ends");
        assert_eq!((out.stdout.len(), out.stderr.len()), (1 << 20, 1 << 20));
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn a_child_that_never_ends_is_killed() {
        assert!(output_within(sh("sleep 1000"), Duration::from_millis(100)).is_none());
    }
}
