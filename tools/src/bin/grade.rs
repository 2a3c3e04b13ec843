//! `grade`: the lab's autograder. Runs the chosen parts of labs 2-4, each run of a test
//! a child process scored from a private channel, and writes a table, Gradescope's
//! results.json and JUnit XML.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;
use lab_tools::grade::child::Limits;
use lab_tools::grade::mode::Mode;
use lab_tools::grade::outcome::{part_of, RunResult};
use lab_tools::grade::runner::{self, Binary, Plan};
use lab_tools::grade::{files, gradescope, junit, table};
use lab_tools::lab;
use lab_tools::stress::build::{self, Target};
use lab_tools::stress::runner::plan_jobs;
use lab_tools::stress::select::{self, Chosen};

/// Grades labs 2-4: runs the chosen parts' tests, each run a process of its own with Go's
/// time limit and a memory limit, and scores each from what the tester reports on a private
/// channel, never from the run's output.
///
/// Each part is graded from its own package's test target `lab`: 2A-2D and extra from
/// `raft`, 3A and 3B from `kvraft`, 4A from `shardctrler`, 4B from `shardkv`. Parts of
/// several labs (`--parts 2D,3A,4B`) are graded together, into one table, one results.json
/// and one JUnit XML.
///
/// Exits with 0 when every run passed, 1 when some failed, 2 when grading itself failed.
#[derive(Parser, Debug)]
#[command(name = "grade", version)]
struct Args {
    /// The parts to grade, comma-separated, in any case: lab 2's 2A-2D, `extra` for the
    /// tester's own tests beyond Go's, lab 3's 3A and 3B, lab 4's 4A and 4B.
    #[arg(long, value_delimiter = ',', default_value = lab::DEFAULT_PARTS)]
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

    /// Each run's wall-clock limit in seconds; the grader kills a run 5 s past it. Default:
    /// Go's 120, and 1800 for a simulated run of lab 3 (kvraft), the tester's own watchdog
    /// there (its test limit is 120 s of virtual time, which may take far longer).
    #[arg(long, value_name = "SECS")]
    time_limit: Option<u64>,

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

    /// The package whose test binary to grade, for every part given. Default: each part's
    /// own (raft for 2A-2D and extra, kvraft for 3A and 3B, shardctrler for 4A, shardkv for
    /// 4B). With it, --parts are the tags of that package's tests, whatever they are.
    #[arg(long)]
    package: Option<String>,

    /// The test target (file under tests/) of the package(s).
    #[arg(long, default_value = lab::TEST_TARGET)]
    test: String,

    /// Cargo features to build the package(s) with.
    #[arg(long)]
    features: Option<String>,

    /// Build, print the tests the parts grade (part, package, test, a line each) and stop,
    /// running none and writing no report.
    #[arg(long)]
    list: bool,
}

/// Go's limit on one run of a test, in seconds.
const TIME_LIMIT: u64 = 120;

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
    if !args.list {
        files::remove(&results_path)?;
        files::remove(&junit_path)?;
    }
    // The packages to build, each with the parts graded from it.
    let groups: Vec<(String, Vec<String>)> = match &args.package {
        Some(package) => vec![(package.clone(), args.parts.clone())],
        None => lab::parts_by_package(&args.parts)?
            .into_iter()
            .map(|(package, parts)| (package.to_owned(), parts))
            .collect(),
    };
    let mut binaries = Vec::new();
    let mut tests: Vec<Chosen> = Vec::new();
    for (package, parts) in &groups {
        let target = Target {
            package: package.clone(),
            test: args.test.clone(),
            features: args.features.clone(),
            sim: args.sim,
        };
        eprintln!(
            "grade: building: cargo {} --no-run",
            target.cargo_args().join(" ")
        );
        let binary = build::build(&root, &target)?;
        for test in choose(&select::list(&binary)?, parts)? {
            if tests.iter().any(|t| t.test == test) {
                bail!("two packages have a test named {test}; grade one with --package");
            }
            tests.push(Chosen {
                test,
                binary: binaries.len(),
            });
        }
        let time = match args.time_limit {
            Some(secs) => Duration::from_secs(secs),
            None => lab::wall_clock_limit(package, args.sim, Duration::from_secs(TIME_LIMIT)),
        };
        binaries.push(Binary {
            path: binary,
            package: package.clone(),
            time: time + MARGIN,
        });
    }
    if args.list {
        for Chosen { test, binary } in &tests {
            println!("{} {} {test}", part_of(test), binaries[*binary].package);
        }
        return Ok(true);
    }
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
        binaries,
        root,
        out,
        limits: Limits {
            // Each binary's own, set above.
            time: Duration::from_secs(TIME_LIMIT) + MARGIN,
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
    // Parts in the labs' order, a test's runs together.
    let mut results = results;
    table::sort(&mut results);
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
