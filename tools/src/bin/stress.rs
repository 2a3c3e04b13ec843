//! `stress`: run chosen tests of the lab many times, in parallel, and keep what failed.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use anyhow::{bail, Context, Result};
use clap::Parser;
use lab_tools::stress::build::{self, Target};
use lab_tools::stress::live::LiveTable;
use lab_tools::stress::report::{failure_line, report_failures};
use lab_tools::stress::runner::{self, Outcome, Plan};
use lab_tools::stress::select;
use lab_tools::stress::table::{self, Row};

/// Runs chosen tests of the lab's test binary many times, JOBS at once, each run a process of
/// its own, and keeps the output of the runs that fail.
///
/// In simulation (--sim) every run has its own seed, and a failure is printed with the command
/// that replays it; it is also replayed at once with LAB_LOG=debug, its log kept beside it.
#[derive(Parser, Debug)]
#[command(name = "stress", version)]
struct Args {
    /// Tests to run: names or parts of names, as cargo test filters (`2A` selects part 2A).
    #[arg(required = true)]
    tests: Vec<String>,

    /// Run in simulated time (built with --cfg madsim, --release, into target/sim).
    #[arg(long)]
    sim: bool,

    /// How many times to run each test.
    #[arg(short = 'n', long = "runs", default_value_t = 10)]
    runs: usize,

    /// How many runs at once. Default: in real time, half the cores (at least 1), since
    /// real-time runs are timing-sensitive and starve each other; in simulation, all the
    /// cores.
    #[arg(short = 'j', long)]
    jobs: Option<usize>,

    /// Stop at the first failure (runs in progress are killed).
    #[arg(long)]
    fail_fast: bool,

    /// Where failing runs' output is kept, one folder per test. Default: target/stress in the
    /// workspace.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// The first seed in simulation (runs take it and the seeds after). Default: random.
    #[arg(long)]
    seed: Option<u64>,

    /// Kill a run that takes longer than this many seconds, and count it as failed (a
    /// deadlock in simulation never ends on its own).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    timeout: u64,

    /// The package whose test binary to run.
    #[arg(long, default_value = "raft")]
    package: String,

    /// The test target (file under tests/) of that package.
    #[arg(long, default_value = "lab")]
    test: String,

    /// Cargo features to build that package with (lab-tools' broken fixture needs
    /// `broken-fixture`).
    #[arg(long)]
    features: Option<String>,
}

fn main() {
    if let Err(error) = run(Args::parse()) {
        eprintln!("stress: {error:#}");
        std::process::exit(2);
    }
}

fn run(args: Args) -> Result<()> {
    if args.runs == 0 {
        bail!("-n must be at least 1");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args
        .jobs
        .unwrap_or(if args.sim { cores } else { (cores / 2).max(1) })
        .max(1);
    let target = Target {
        package: args.package.clone(),
        test: args.test.clone(),
        features: args.features.clone(),
        sim: args.sim,
    };
    let (root, binary) = build::build_in_workspace("stress", &target)?;
    let tests = select::choose(&select::list(&binary)?, &args.tests)?;
    let first_seed = args.sim.then(|| args.seed.unwrap_or_else(fresh_seed));
    let planned = runner::plan_jobs(&tests, args.runs, first_seed);
    let out = match &args.out {
        Some(out) => std::env::current_dir()
            .context("no current directory")?
            .join(out),
        None => root.join("target").join("stress"),
    };
    println!(
        "stress: {} x {} run(s), {jobs} at once, {}; failing runs kept in {}",
        tests.len(),
        args.runs,
        if args.sim {
            "simulated time"
        } else {
            "real time"
        },
        out.display()
    );
    if first_seed.is_some() {
        for test in &tests {
            let seeds: Vec<u64> = planned
                .iter()
                .filter(|job| &job.test == test)
                .filter_map(|job| job.seed)
                .collect();
            println!("  {test}: seeds {}", describe_seeds(&seeds));
        }
    }
    let total = planned.len();
    let plan = Arc::new(Plan {
        binary,
        root,
        out: out.clone(),
        package: args.package.clone(),
        jobs,
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let (sender, outcomes) = mpsc::channel();
    let workers = runner::run_all(plan, planned, stop.clone(), sender);

    let mut rows: Vec<Row> = tests.iter().map(|t| Row::new(t)).collect();
    let view = LiveTable::new(&rows, total);
    let mut failed: Vec<Outcome> = Vec::new();
    let mut error = None;
    for outcome in outcomes {
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                stop.store(true, Ordering::SeqCst);
                error = Some(e);
                continue;
            }
        };
        let index = rows
            .iter()
            .position(|row| row.test == outcome.job.test)
            .context("an outcome for a test that was not chosen")?;
        rows[index].add(&outcome);
        view.update(&rows, index);
        if !outcome.passed {
            view.println(&failure_line(&outcome));
            failed.push(outcome);
            if args.fail_fast {
                stop.store(true, Ordering::SeqCst);
            }
        }
    }
    for worker in workers {
        let _ = worker.join();
    }
    view.finish();
    for test in &tests {
        // Only succeeds when empty: the folders of tests that never failed go.
        let _ = std::fs::remove_dir(out.join(test));
    }
    if let Some(error) = error {
        return Err(error);
    }
    println!("\n{}", table::render(&rows));
    let runs: usize = rows.iter().map(|r| r.runs).sum();
    if runs < total {
        println!("stopped after {runs} of {total} runs (--fail-fast)");
    }
    report_failures(&target, &failed);
    if !failed.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

/// A seed that differs from one invocation to the next.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    // Small enough to type, far enough apart between invocations.
    (nanos ^ u64::from(std::process::id())) % 1_000_000_000
}

/// The seeds of one test, short: an evenly spaced run of them as `first..=last step k`.
fn describe_seeds(seeds: &[u64]) -> String {
    let step = match seeds {
        [first, second, ..] if second > first => second - first,
        _ => {
            return seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    let evenly_spaced = seeds
        .windows(2)
        .all(|pair| pair[1].checked_sub(pair[0]) == Some(step));
    match (evenly_spaced, seeds.first(), seeds.last()) {
        (true, Some(first), Some(last)) if step == 1 => format!("{first}..={last}"),
        (true, Some(first), Some(last)) => format!("{first}..={last} step {step}"),
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" "),
    }
}
