//! `stress`: run chosen tests of the lab (lab 2's from `raft`, lab 3's from `kvraft`, lab
//! 4's from `shardctrler` and `shardkv`) many times, in parallel, and keep what failed.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;
use lab_tools::lab;
use lab_tools::stress::build::{self, Target};
use lab_tools::stress::live::LiveTable;
use lab_tools::stress::report::{failure_line, report_failures};
use lab_tools::stress::runner::{self, Binary, Outcome, Plan};
use lab_tools::stress::select;
use lab_tools::stress::table::{self, Row};

/// Runs chosen tests of the lab's test binaries many times, JOBS at once, each run a process
/// of its own, and keeps the output of the runs that fail.
///
/// The tests come from the lab's packages: lab 2's (2A-2D, extra) from `raft`, lab 3's (3A,
/// 3B) from `kvraft`, lab 4's 4A from `shardctrler` and 4B from `shardkv`. A filter that
/// carries a part's tag (`2A`, `basic_3A`, `_3B`, `4A`, `join_leave_4B`) is looked for in
/// that part's package only, which alone is built; any other (`re_election`, `unreliable`)
/// in every package, all built, and the tests it matches in any are run, as `cargo test
/// --workspace` would (`unreliable` runs raft's unreliable tests, kvraft's and shardkv's).
/// `--package` picks one package instead. `--list` shows what a filter chooses.
///
/// In simulation (--sim) every run has its own seed, and a failure is printed with the command
/// that replays it; it is also replayed at once with LAB_LOG=debug, its log kept beside it.
#[derive(Parser, Debug)]
#[command(name = "stress", version)]
struct Args {
    /// Tests to run: names or parts of names, as cargo test filters (`2A` selects part 2A,
    /// `3A` part 3A of lab 3, `basic_3A` one test, `4A` lab 4A's two, `4B` lab 4B's 14).
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
    /// deadlock in simulation never ends on its own). Default: 300, and 1800 for a
    /// simulated run of lab 3 (kvraft), the tester's own watchdog there.
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,

    /// The package whose test binary to run, whatever the filters. Default: the lab's
    /// packages the filters may match (see above).
    #[arg(long)]
    package: Option<String>,

    /// The test target (file under tests/) of the package(s).
    #[arg(long, default_value = lab::TEST_TARGET)]
    test: String,

    /// Cargo features to build the package(s) with (lab-tools' broken fixture needs
    /// `broken-fixture`).
    #[arg(long)]
    features: Option<String>,

    /// Build, print the chosen tests (package and name, a line each) and stop, running none.
    #[arg(long)]
    list: bool,
}

/// The default of --timeout, in seconds.
const TIMEOUT: u64 = 300;

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
    let packages = match &args.package {
        Some(package) => vec![package.clone()],
        None => lab::packages_for_filters(&args.tests)
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    let targets: Vec<Target> = packages
        .iter()
        .map(|package| Target {
            package: package.clone(),
            test: args.test.clone(),
            features: args.features.clone(),
            sim: args.sim,
        })
        .collect();
    let root = build::workspace_root()?;
    let mut binaries = Vec::new();
    let mut lists = Vec::new();
    for target in &targets {
        eprintln!(
            "stress: building: cargo {} --no-run",
            target.cargo_args().join(" ")
        );
        let path = build::build(&root, target)?;
        lists.push(select::list(&path)?);
        let timeout = match args.timeout {
            Some(secs) => Duration::from_secs(secs.max(1)),
            None => lab::wall_clock_limit(&target.package, args.sim, Duration::from_secs(TIMEOUT)),
        };
        binaries.push(Binary {
            path,
            package: target.package.clone(),
            timeout,
        });
    }
    let chosen = select::choose_among(&lists, &args.tests)?;
    if args.list {
        for c in &chosen {
            println!("{} {}", binaries[c.binary].package, c.test);
        }
        return Ok(());
    }
    let tests: Vec<String> = chosen.iter().map(|c| c.test.clone()).collect();
    let first_seed = args.sim.then(|| args.seed.unwrap_or_else(fresh_seed));
    let planned = runner::plan_jobs(&chosen, args.runs, first_seed);
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
        binaries,
        root,
        out: out.clone(),
        jobs,
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
    report_failures(&targets, &failed);
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
