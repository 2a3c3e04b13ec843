//! Running the graded jobs, several at once, each a child process, and keeping the output
//! of those that fail.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::grade::child::{self, Launch, Limits};
use crate::grade::files;
use crate::grade::outcome::{self, RunResult};
use crate::grade::sweep;
use crate::grade::verdict;
use crate::stress::runner::Job;

/// A test binary the jobs run.
pub struct Binary {
    pub path: PathBuf,
    /// The package it was built from.
    pub package: String,
    /// The wall-clock limit on one of its runs (the rest of the limits are the plan's).
    pub time: Duration,
}

/// How to run the jobs.
pub struct Plan {
    /// The test binaries, each job's by its index.
    pub binaries: Vec<Binary>,
    pub root: PathBuf,
    /// Where failing runs' output is kept, a folder per test.
    pub out: PathBuf,
    /// The limits of a run, but for its time, its binary's.
    pub limits: Limits,
    pub jobs: usize,
    /// `LAB_LOG` for the runs, so that a failing run's kept output has its log.
    pub log: Option<String>,
    /// Whether the tester's warnings fail the test.
    pub strict: bool,
}

/// Runs every job and returns the results in the jobs' order; `done` hears of each as it
/// ends.
pub fn run_all(
    plan: &Plan,
    jobs: Vec<Job>,
    done: impl Fn(&RunResult) + Sync,
) -> Result<Vec<RunResult>> {
    // Processes that leave a run's group come back to the grader, to be killed.
    sweep::become_subreaper().context("cannot make the grader a child subreaper")?;
    let queue = Mutex::new(jobs.into_iter().enumerate().collect::<VecDeque<_>>());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..plan.jobs.max(1))
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let next = queue
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .pop_front();
                        let Some((index, job)) = next else {
                            return Ok(());
                        };
                        let result = run_one(plan, &job)?;
                        done(&result);
                        results
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push((index, result));
                    }
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("a grading thread panicked"))??;
        }
        Ok::<(), anyhow::Error>(())
    })?;
    // Whatever a run left behind and no run's sweep found yet.
    sweep::sweep();
    let mut results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
    results.sort_by_key(|(index, _)| *index);
    Ok(results.into_iter().map(|(_, result)| result).collect())
}

fn run_one(plan: &Plan, job: &Job) -> Result<RunResult> {
    let binary = plan
        .binaries
        .get(job.binary)
        .with_context(|| format!("no test binary {} for {}", job.binary, job.test))?;
    let limits = Limits {
        time: binary.time,
        ..plan.limits.clone()
    };
    let token = verdict::token()?;
    let launch = Launch {
        binary: binary.path.clone(),
        root: plan.root.clone(),
        package: binary.package.clone(),
        test: job.test.clone(),
        seed: job.seed,
        log: plan.log.clone(),
        strict: plan.strict,
    };
    let ended = child::run(&launch, &limits, &token)
        .with_context(|| format!("cannot run {} (run {})", job.test, job.run))?;
    let (passed, reason, verdict) = outcome::score(&job.test, &token, &ended, &limits, plan.strict);
    let kept = match &reason {
        None => None,
        Some(reason) => {
            let mut header = format!("grade: {} run {} failed: {reason}\n", job.test, job.run);
            if ended.escaped > 0 {
                header.push_str(&format!(
                    "grade: killed {} process(es) that had left a run's process group\n",
                    ended.escaped
                ));
            }
            Some(keep(plan, job, &header, &ended.output.text())?)
        }
    };
    let seconds = match (&verdict, passed) {
        (Some(v), true) => v.seconds,
        _ => ended.seconds,
    };
    Ok(RunResult {
        package: binary.package.clone(),
        part: outcome::part_of(&job.test),
        test: job.test.clone(),
        run: job.run,
        seed: job.seed,
        passed,
        reason,
        seconds,
        verdict,
        kept,
    })
}

/// Writes a failing run's header and output to `out/<test>/run-N[-seed-S].log`.
fn keep(plan: &Plan, job: &Job, header: &str, output: &str) -> Result<PathBuf> {
    // Neither the folder of kept output nor the test's may be a link planted there.
    files::own_dir(&plan.out)?;
    let dir = plan.out.join(&job.test);
    files::own_dir(&dir)?;
    let name = match job.seed {
        Some(seed) => format!("run-{}-seed-{seed}.log", job.run),
        None => format!("run-{}.log", job.run),
    };
    let path = dir.join(name);
    let text = format!("{header}\n{output}");
    files::create_new(&path, &text)?;
    Ok(relative(&path))
}

/// `path` relative to the current directory when it is under it, for a shorter table.
fn relative(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}
