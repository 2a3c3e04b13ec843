//! `grade`: the lab's autograder. Runs lab 2's parts against a Raft, each run of a test a
//! child process scored from a private channel, and writes a table, Gradescope's
//! results.json and JUnit XML.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;
use lab_tools::grade::child::Limits;
use lab_tools::grade::mode::Mode;
use lab_tools::grade::outcome::{part_of, RunResult};
use lab_tools::grade::runner::{self, Plan};
use lab_tools::grade::{files, gradescope, junit, table};
use lab_tools::stress::build::{self, Target};
use lab_tools::stress::runner::plan_jobs;
use lab_tools::stress::select;

/// Grades lab 2: runs the chosen parts' tests, each run a process of its own with Go's time
/// limit and a memory limit, and scores each from what the tester reports on a private
/// channel, never from the run's output.
///
/// Exits with 0 when every run passed, 1 when some failed, 2 when grading itself failed.
#[derive(Parser, Debug)]
#[command(name = "grade", version)]
struct Args {
    /// The parts to grade, comma-separated: Go's 2A-2D, and `extra` for the tester's own
    /// tests beyond Go's.
    #[arg(long, value_delimiter = ',', default_value = "2A,2B,2C,2D")]
    parts: Vec<String>,

    /// How many times to run each test; a test scores the share of its runs that pass.
    #[arg(short = 'n', long = "runs", default_value_t = 1)]
    runs: usize,

    /// Run in simulated time (built with --cfg madsim, --release, into target/sim).
    #[arg(long)]
    sim: bool,

    /// The first seed in simulation (runs take it and the seeds after). Default: random.
    #[arg(long)]
    seed: Option<u64>,

    /// How many runs at once. Default: 1 in real time (timing-sensitive, as Go grades),
    /// all the cores in simulation.
    #[arg(short = 'j', long)]
    jobs: Option<usize>,

    /// Where to write Gradescope's results.json. Default: target/grade/results.json.
    #[arg(long, value_name = "FILE")]
    results: Option<PathBuf>,

    /// Where to write the JUnit XML. Default: target/grade/junit.xml.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,

    /// Where failing runs' output is kept, a folder per test. Default: target/grade/failed.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Each run's wall-clock limit in seconds (Go's 120); the grader kills a run 5 s past it.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    time_limit: u64,

    /// Each run's limit on resident memory, in MiB: its processes' together.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    memory_limit: u64,

    /// Each run's limit on its number of processes at once (a Raft needs one).
    #[arg(long, value_name = "N", default_value_t = 16)]
    process_limit: usize,

    /// Make the tester's warnings failures (`LAB_STRICT=1`). The safety checks are always on.
    #[arg(long)]
    strict: bool,

    /// A run that writes more output than this (MiB) is killed and fails.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    output_limit: u64,

    /// How much of a failing run's output is kept (KiB; its head and tail).
    #[arg(long, value_name = "KIB", default_value_t = 1024)]
    keep: usize,

    /// LAB_LOG for the runs, so that a failing run's kept output has its log.
    #[arg(long, value_name = "FILTER", default_value = "info")]
    log: String,

    /// The package whose test binary to grade.
    #[arg(long, default_value = "raft")]
    package: String,

    /// The test target (file under tests/) of that package.
    #[arg(long, default_value = "lab")]
    test: String,

    /// Cargo features to build that package with.
    #[arg(long)]
    features: Option<String>,
}

/// How long past the time limit a run is killed: the test's own limit reports first.
const MARGIN: Duration = Duration::from_secs(5);

fn main() {
    match run(Args::parse()) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("grade: {error:#}");
            std::process::exit(2);
        }
    }
}

fn run(args: Args) -> Result<bool> {
    if args.runs == 0 {
        bail!("-n must be at least 1");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.jobs.unwrap_or(if args.sim { cores } else { 1 }).max(1);
    let target = Target {
        package: args.package.clone(),
        test: args.test.clone(),
        features: args.features.clone(),
        sim: args.sim,
    };
    let root = build::workspace_root()?;
    let cwd = std::env::current_dir().context("no current directory")?;
    let grade_dir = root.join("target").join("grade");
    let path = |given: &Option<PathBuf>, default: &str| {
        given
            .as_ref()
            .map_or_else(|| grade_dir.join(default), |p| cwd.join(p))
    };
    let (results_path, junit_path, out) = (
        path(&args.results, "results.json"),
        path(&args.junit, "junit.xml"),
        path(&args.out, "failed"),
    );
    // A grader that fails, is killed or freezes must not leave the last grade's reports to
    // be read as this one's: they go first, and come back whole (renamed into place) at the
    // end.
    files::remove(&results_path)?;
    files::remove(&junit_path)?;
    eprintln!(
        "grade: building: cargo {} --no-run",
        target.cargo_args().join(" ")
    );
    let binary = build::build(&root, &target)?;
    let tests = choose(&select::list(&binary)?, &args.parts)?;
    let first_seed = args.sim.then(|| args.seed.unwrap_or_else(fresh_seed));
    let jobs_planned = plan_jobs(&tests, args.runs, first_seed);
    let mode = Mode {
        sim: args.sim,
        strict: args.strict,
        seeds: first_seed.map(|first| {
            let last = first.wrapping_add(jobs_planned.len().saturating_sub(1) as u64);
            (first, last)
        }),
    };
    let plan = Plan {
        binary,
        root,
        package: args.package.clone(),
        out,
        limits: Limits {
            time: Duration::from_secs(args.time_limit) + MARGIN,
            memory: args.memory_limit << 20,
            processes: args.process_limit.max(1),
            output: args.output_limit << 20,
            kept: args.keep << 10,
        },
        jobs,
        log: (!args.log.is_empty()).then(|| args.log.clone()),
        strict: args.strict,
    };
    eprintln!(
        "grade: {} test(s) x {} run(s), {jobs} at once; {}",
        tests.len(),
        args.runs,
        mode.line()
    );
    let results = runner::run_all(&plan, jobs_planned, |r| {
        let verdict = r.reason.as_deref().map_or("pass".to_owned(), |why| {
            format!("FAIL: {}", table::printable(why))
        });
        eprintln!("grade: {} run {}: {verdict}", r.test, r.run);
    })?;
    // Parts in order, a test's runs together.
    let mut results = results;
    results.sort_by(|a, b| (&a.part, &a.test, a.run).cmp(&(&b.part, &b.test, b.run)));
    print!("\n{}", table::render(&results, args.runs));
    println!("{}", mode.line());
    let tests_graded = gradescope::by_test(&results);
    let score: f64 = tests_graded
        .iter()
        .map(|runs| gradescope::score(runs))
        .sum();
    println!(
        "score: {score:.2} / {:.2}",
        tests_graded.len() as f64 * gradescope::MAX_SCORE
    );
    let json = serde_json::to_string_pretty(&gradescope::render(&results, &mode))
        .context("cannot render results.json")?;
    files::replace(&results_path, &json)?;
    files::replace(&junit_path, &junit::render(&results, args.runs, &mode))?;
    println!(
        "results: {}\njunit:   {}",
        results_path.display(),
        junit_path.display()
    );
    Ok(results.iter().all(|r: &RunResult| r.passed))
}

/// The tests of the chosen parts, in the binary's order; a part without tests is an error.
/// Parts match whatever their case (`2a` is `2A`, `EXTRA` is `extra`).
fn choose(tests: &[String], parts: &[String]) -> Result<Vec<String>> {
    let parts: Vec<String> = parts.iter().map(|p| p.trim().to_uppercase()).collect();
    let part_of = |test: &str| part_of(test).to_uppercase();
    for part in &parts {
        if !tests.iter().any(|t| &part_of(t) == part) {
            bail!(
                "no test of part {part}; the tests are: {}",
                tests.join(", ")
            );
        }
    }
    Ok(tests
        .iter()
        .filter(|t| parts.contains(&part_of(t)))
        .cloned()
        .collect())
}

/// A seed that differs from one invocation to the next.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ u64::from(std::process::id())) % 1_000_000_000
}

#[cfg(test)]
mod tests {
    use super::choose;

    #[test]
    fn parts_are_chosen_whatever_their_case() {
        let tests: Vec<String> = ["initial_election_2A", "basic_agree_2B", "split_votes_extra"]
            .map(String::from)
            .to_vec();
        let chosen = choose(&tests, &["2a".into(), "EXTRA".into()]).expect("both exist");
        assert_eq!(chosen, ["initial_election_2A", "split_votes_extra"]);
        assert!(choose(&tests, &["2C".into()]).is_err());
    }
}
