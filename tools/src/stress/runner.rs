//! Running the jobs: each run of a test is a child process of the test binary, its output in
//! a file that is kept only if the run fails.

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::logline::Log;
use crate::stress::select::Chosen;

/// One run of one test.
#[derive(Debug, Clone)]
pub struct Job {
    pub test: String,
    /// From 1, per test.
    pub run: usize,
    /// The simulation's seed; `None` in real time.
    pub seed: Option<u64>,
    /// Which of the plan's test binaries holds the test (its index among them).
    pub binary: usize,
}

impl Job {
    /// The file the run's output goes to, under `out/<test>/`.
    fn output_path(&self, out: &Path, suffix: &str) -> PathBuf {
        let name = match self.seed {
            Some(seed) => format!("run-{}-seed-{seed}{suffix}.log", self.run),
            None => format!("run-{}{suffix}.log", self.run),
        };
        out.join(&self.test).join(name)
    }
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub job: Job,
    pub passed: bool,
    pub seconds: f64,
    /// A failed run's output (stdout and stderr, with its log if `LAB_LOG` was set).
    pub kept: Option<PathBuf>,
    /// The panic message of a failed run, if it printed one.
    pub failure: Option<String>,
    /// A failed simulated run replayed with `LAB_LOG=debug`: its output, and whether it
    /// failed the same way.
    pub replay: Option<(PathBuf, bool)>,
}

/// A test binary the jobs run.
pub struct Binary {
    pub path: PathBuf,
    /// The package it was built from.
    pub package: String,
    /// A run still going after this long is killed and counts as failed: a deadlock in
    /// simulation never ends on its own.
    pub timeout: Duration,
}

/// How to run the jobs.
pub struct Plan {
    /// The test binaries, each job's by its index.
    pub binaries: Vec<Binary>,
    pub root: PathBuf,
    pub out: PathBuf,
    pub jobs: usize,
}

impl Plan {
    fn binary(&self, job: &Job) -> Result<&Binary> {
        self.binaries
            .get(job.binary)
            .with_context(|| format!("no test binary {} for {}", job.binary, job.test))
    }
}

/// How a child ended.
enum Ended {
    Exited(ExitStatus),
    TimedOut,
    Stopped,
}

/// Runs `jobs` on `plan.jobs` threads, sending each outcome as it ends. Stops taking new
/// jobs, and kills those running, once `stop` is set.
pub fn run_all(
    plan: Arc<Plan>,
    jobs: Vec<Job>,
    stop: Arc<AtomicBool>,
    outcomes: Sender<Result<Outcome>>,
) -> Vec<std::thread::JoinHandle<()>> {
    let queue = Arc::new(Mutex::new(VecDeque::from(jobs)));
    (0..plan.jobs.max(1))
        .map(|_| {
            let (plan, queue, stop, outcomes) =
                (plan.clone(), queue.clone(), stop.clone(), outcomes.clone());
            std::thread::spawn(move || loop {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let job = queue
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front();
                let Some(job) = job else { return };
                match run_one(&plan, job, &stop) {
                    Ok(Some(outcome)) => {
                        if outcomes.send(Ok(outcome)).is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(error) => {
                        let _ = outcomes.send(Err(error));
                        return;
                    }
                }
            })
        })
        .collect()
}

/// Runs one job; `None` if it was stopped before it ended.
fn run_one(plan: &Plan, job: Job, stop: &AtomicBool) -> Result<Option<Outcome>> {
    let path = job.output_path(&plan.out, "");
    let started = Instant::now();
    let ended = run_child(plan, &job, &path, None, stop)?;
    let seconds = started.elapsed().as_secs_f64();
    let passed = match ended {
        Ended::Stopped => {
            let _ = std::fs::remove_file(&path);
            return Ok(None);
        }
        Ended::Exited(status) => status.success(),
        Ended::TimedOut => false,
    };
    if passed {
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        return Ok(Some(Outcome {
            job,
            passed: true,
            seconds,
            kept: None,
            failure: None,
            replay: None,
        }));
    }
    let timeout = plan.binary(&job)?.timeout;
    let failure = match ended {
        Ended::TimedOut => Some(timed_out(timeout)),
        _ => Log::read(&path)?.failure.map(|f| f.message),
    };
    // A seed replays exactly: run it again with the log on, unless the log already was.
    let replay = match job.seed {
        Some(_) if std::env::var_os("LAB_LOG").is_none() => {
            let replay_path = job.output_path(&plan.out, "-debug");
            match run_child(plan, &job, &replay_path, Some("debug"), stop)? {
                Ended::Exited(status) => {
                    let again = Log::read(&replay_path)?.failure.map(|f| f.message);
                    Some((replay_path, !status.success() && again == failure))
                }
                Ended::TimedOut => Some((replay_path, failure == Some(timed_out(timeout)))),
                Ended::Stopped => None,
            }
        }
        _ => None,
    };
    Ok(Some(Outcome {
        job,
        passed: false,
        seconds,
        kept: Some(path),
        failure,
        replay,
    }))
}

/// Runs the test binary for `job`, its output into `path`; `None` if stopped.
fn run_child(
    plan: &Plan,
    job: &Job,
    path: &Path,
    log: Option<&str>,
    stop: &AtomicBool,
) -> Result<Ended> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let binary = plan.binary(job)?;
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let stderr = file
        .try_clone()
        .with_context(|| format!("cannot reopen {}", path.display()))?;
    let mut command = Command::new(&binary.path);
    command
        .current_dir(&plan.root)
        .args(["--exact", &job.test, "--test-threads", "1", "--nocapture"])
        // The binary's replay hint names the package from this, as under cargo.
        .env("CARGO_PKG_NAME", &binary.package)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(stderr);
    if let Some(seed) = job.seed {
        command
            .env("LAB_SEED", seed.to_string())
            .env_remove("LAB_SEEDS");
    }
    if let Some(level) = log {
        command.env("LAB_LOG", level);
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", binary.path.display()))?;
    let started = Instant::now();
    // Polled, so that a stop (--fail-fast) or the time limit can kill a running child.
    loop {
        if let Some(status) = child.try_wait().context("cannot wait for a test run")? {
            return Ok(Ended::Exited(status));
        }
        let ended = if stop.load(Ordering::SeqCst) {
            Some(Ended::Stopped)
        } else if started.elapsed() >= binary.timeout {
            Some(Ended::TimedOut)
        } else {
            None
        };
        if let Some(ended) = ended {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(ended);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn timed_out(timeout: Duration) -> String {
    format!("killed after {} s (--timeout)", timeout.as_secs())
}

/// The jobs: `runs` of each test, interleaved so that every test makes progress; in
/// simulation, each with its own seed, from `first_seed` up.
pub fn plan_jobs(tests: &[Chosen], runs: usize, first_seed: Option<u64>) -> Vec<Job> {
    let mut jobs = Vec::with_capacity(tests.len() * runs);
    for run in 1..=runs {
        for test in tests {
            let seed = first_seed.map(|first| first.wrapping_add(jobs.len() as u64));
            jobs.push(Job {
                test: test.test.clone(),
                run,
                seed,
                binary: test.binary,
            });
        }
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_run_gets_its_own_seed() {
        let tests = [("a", 0), ("b", 1)].map(|(test, binary)| Chosen {
            test: test.to_owned(),
            binary,
        });
        let jobs = plan_jobs(&tests, 3, Some(100));
        let seeds: Vec<u64> = jobs.iter().filter_map(|j| j.seed).collect();
        assert_eq!(seeds, [100, 101, 102, 103, 104, 105]);
        assert_eq!(jobs.iter().filter(|j| j.test == "b").count(), 3);
        // Each run is of its test's binary.
        assert!(jobs.iter().all(|j| j.binary == usize::from(j.test == "b")));
        assert!(plan_jobs(&tests, 2, None).iter().all(|j| j.seed.is_none()));
    }
}
