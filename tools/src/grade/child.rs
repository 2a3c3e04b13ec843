//! One graded run: the test binary as a child process in a process group of its own, watched
//! from outside for its time, memory and output, with the private verdict channel.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::grade::capture::{self, Captured};
use crate::grade::{group, sweep};

/// Environment variable that names the channel's pipe ends in the child (`READ,WRITE`);
/// the tester's `grade::FDS_VAR`.
pub const FDS_VAR: &str = "LAB_GRADE_FDS";

/// How often the child's memory, time and output are checked.
const POLL: Duration = Duration::from_millis(20);

/// How long the grader waits, once the run is reaped, for its pipes to close: a process
/// that left the run's group may hold them open for good.
const DRAIN: Duration = Duration::from_secs(5);

/// At most this much is read from the verdict channel (a verdict line is far shorter).
const VERDICT_CAP: usize = 64 * 1024;

/// The limits of one run.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock time from the start, after which the child is killed.
    pub time: Duration,
    /// Resident memory of the run's processes together, in bytes.
    pub memory: u64,
    /// How many processes the run may have at once.
    pub processes: usize,
    /// Output (stdout and stderr together), in bytes, past which the child is killed.
    pub output: u64,
    /// How much of the output is kept, in bytes.
    pub kept: usize,
}

/// How to start one run.
pub struct Launch {
    pub binary: PathBuf,
    pub root: PathBuf,
    pub package: String,
    pub test: String,
    pub seed: Option<u64>,
    pub log: Option<String>,
    /// Whether the tester's warnings fail the test (`LAB_STRICT`); the safety checks are on.
    pub strict: bool,
}

/// Why the grader killed a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Killed {
    TimeLimit,
    MemoryLimit,
    ProcessLimit,
    OutputLimit,
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Exited(i32),
    Signaled(i32),
}

/// What the grader saw of one run.
#[derive(Debug)]
pub struct Ended {
    pub status: Status,
    pub killed: Option<Killed>,
    /// The child's peak resident memory, from the kernel's accounting when it was reaped.
    pub max_rss: u64,
    pub seconds: f64,
    pub output: Captured,
    /// Everything read from the verdict channel.
    pub channel: String,
    /// How many processes that had left a run's group were killed once this run ended.
    pub escaped: usize,
}

/// The handshake the tester reads first on the channel: the token, the one test whose
/// verdict counts, and the modes (checks on, strictness), fixed for the whole run.
pub fn handshake(token: &str, launch: &Launch) -> String {
    format!("{token} {} 1 {}\n", launch.test, u8::from(launch.strict))
}

/// Runs `launch` under `limits`, telling it `token` through the private channel.
pub fn run(launch: &Launch, limits: &Limits, token: &str) -> Result<Ended> {
    let (token_read, mut token_write) = std::io::pipe().context("cannot make a pipe")?;
    let (verdict_read, verdict_write) = std::io::pipe().context("cannot make a pipe")?;
    let (output_read, output_write) = std::io::pipe().context("cannot make a pipe")?;
    let output_write2 = output_write
        .try_clone()
        .context("cannot duplicate a pipe")?;
    let inherited = [token_read.as_raw_fd(), verdict_write.as_raw_fd()];
    let data_limit = backstop(limits.memory);

    let mut command = Command::new(&launch.binary);
    command
        .current_dir(&launch.root)
        .args([
            "--exact",
            &launch.test,
            "--test-threads",
            "1",
            "--nocapture",
        ])
        .env("CARGO_PKG_NAME", &launch.package)
        .env(FDS_VAR, format!("{},{}", inherited[0], inherited[1]))
        // Set, not inherited: the grader's own environment decides nothing unreported.
        .env("LAB_CHECKS", "1")
        .env("LAB_STRICT", if launch.strict { "1" } else { "0" })
        .env_remove("LAB_SEEDS")
        .env_remove("LAB_WATCHDOG_SECS")
        .stdin(Stdio::null())
        .stdout(output_write)
        .stderr(output_write2)
        // A group of its own, so that the grader can kill whatever the run started too.
        .process_group(0);
    match launch.seed {
        Some(seed) => command.env("LAB_SEED", seed.to_string()),
        None => command.env_remove("LAB_SEED"),
    };
    match &launch.log {
        Some(filter) => command.env("LAB_LOG", filter),
        None => command.env_remove("LAB_LOG"),
    };
    // SAFETY: only async-signal-safe calls (prctl, getppid, fcntl, setrlimit) between fork
    // and exec.
    let grader = std::process::id() as libc::pid_t;
    unsafe {
        command.pre_exec(move || {
            // Dies with the grader: in a group of its own, a ^C to the grader misses it.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != grader {
                libc::_exit(1);
            }
            for fd in inherited {
                // The pipes are made close-on-exec; only this child keeps them.
                if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            let limit = libc::rlimit {
                rlim_cur: data_limit,
                rlim_max: data_limit,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let child = sweep::start(|| {
        let child = command.spawn()?;
        let pid = child.id() as libc::pid_t;
        Ok((child, pid))
    })
    .with_context(|| format!("cannot start {}", launch.binary.display()))?;
    // The parent's copies of the child's ends go, so that the readers see the end.
    drop(command);
    drop((token_read, verdict_write));
    let pid = child.id() as libc::pid_t;

    // A child that never reads its token gets a closed pipe, never a blocked grader.
    let _ = token_write.write_all(handshake(token, launch).as_bytes());
    drop(token_write);

    let written = Arc::new(AtomicU64::new(0));
    let output = Arc::new(Mutex::new(Captured::default()));
    let channel = Arc::new(Mutex::new(Vec::new()));
    let (drained, readers) = mpsc::channel();
    {
        let (written, output, drained) = (written.clone(), output.clone(), drained.clone());
        let cap = limits.kept;
        std::thread::spawn(move || {
            capture::read_capped(output_read, cap, &written, &output);
            let _ = drained.send(());
        });
    }
    {
        let channel = channel.clone();
        std::thread::spawn(move || {
            read_channel(verdict_read, &channel);
            let _ = drained.send(());
        });
    }

    let killed = watch(pid, limits, started, &written);
    let seconds = started.elapsed().as_secs_f64();
    // Whatever the run left in its group goes too, so that the pipes reach their end.
    // SAFETY: plain syscalls on a group the grader made.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    let reaped = reap(pid);
    sweep::ended(pid);
    let (status, max_rss) = reaped?;
    // What left the group is the grader's child now (it is their subreaper): killed too.
    let escaped = sweep::sweep();
    // Both readers end, unless an escaped process holds a pipe: then what they read so far.
    let deadline = Instant::now() + DRAIN;
    let still_open = (0..2).any(|_| {
        readers
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_err()
    });
    let mut output = std::mem::take(&mut *output.lock().unwrap_or_else(PoisonError::into_inner));
    output.still_open = still_open;
    let channel = String::from_utf8_lossy(&channel.lock().unwrap_or_else(PoisonError::into_inner))
        .into_owned();
    Ok(Ended {
        status,
        killed,
        max_rss,
        seconds,
        output,
        channel,
        escaped,
    })
}

/// RLIMIT_DATA, a backstop for a child that allocates faster than the grader polls: well
/// above the resident limit, since it counts address space a process writes to, not what
/// it uses (glibc's arenas and threads' stacks make RLIMIT_AS useless here).
fn backstop(memory: u64) -> libc::rlim_t {
    memory.saturating_mul(2).saturating_add(512 << 20) as libc::rlim_t
}

/// Watches the child until it exits (left unreaped) or breaks a limit (killed).
fn watch(
    pid: libc::pid_t,
    limits: &Limits,
    started: Instant,
    written: &AtomicU64,
) -> Option<Killed> {
    loop {
        if exited(pid) {
            return None;
        }
        // The whole group: a run that forks shares one limit among its processes.
        let usage = group::usage(pid);
        let broken = if usage.processes > limits.processes {
            Some(Killed::ProcessLimit)
        } else if usage.resident > limits.memory {
            Some(Killed::MemoryLimit)
        } else if written.load(Ordering::Relaxed) > limits.output {
            Some(Killed::OutputLimit)
        } else if started.elapsed() >= limits.time {
            // Wall-clock time, the grader's own: a stopped child (SIGSTOP) runs out of it too.
            Some(Killed::TimeLimit)
        } else {
            None
        };
        if broken.is_some() {
            // SAFETY: the child is not reaped yet, so its pid is still its own.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            return broken;
        }
        std::thread::sleep(POLL);
    }
}

/// Whether the child has exited, without reaping it (so its pid stays its own).
fn exited(pid: libc::pid_t) -> bool {
    // SAFETY: a zeroed siginfo_t is a valid value; waitid fills it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    // SAFETY: a plain syscall with a valid pointer.
    let r = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) };
    // SAFETY: si_pid is set by waitid (0 when the child still runs).
    r == 0 && unsafe { info.si_pid() } != 0
}

/// Reaps the child: how it ended, and its peak resident memory in bytes.
fn reap(pid: libc::pid_t) -> Result<(Status, u64)> {
    let mut status = 0;
    // SAFETY: zeroed rusage is valid; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: a plain syscall with valid pointers.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err).with_context(|| format!("cannot wait for test process {pid}"));
        }
    }
    let ended = if libc::WIFSIGNALED(status) {
        Status::Signaled(libc::WTERMSIG(status))
    } else {
        Status::Exited(libc::WEXITSTATUS(status))
    };
    Ok((ended, (usage.ru_maxrss.max(0) as u64) * 1024))
}

/// Reads the verdict channel into `into` until its end, keeping at most `VERDICT_CAP`
/// bytes; past that the rest is read and dropped, so that a writer never blocks.
fn read_channel(mut source: impl Read, into: &Mutex<Vec<u8>>) {
    let mut buffer = [0u8; 4096];
    loop {
        let n = match source.read(&mut buffer) {
            Ok(0) => return,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        let mut kept = into.lock().unwrap_or_else(PoisonError::into_inner);
        let room = VERDICT_CAP.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..n.min(room)]);
    }
}
