//! Running a future, or a whole test, on the runtime of this build.

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
#[cfg(not(madsim))]
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;

use crate::watch::{self, Caught, Failure, Panic, Race, Run, Tracked};
use crate::{logging, stuck};

/// Which clock this build runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Real threads and real time: the default build.
    Real,
    /// madsim's deterministic executor in virtual time: built with `--cfg madsim`.
    Simulated,
}

/// The mode of this build.
pub const MODE: Mode = if cfg!(madsim) {
    Mode::Simulated
} else {
    Mode::Real
};

/// How long a simulation runs on after its main future, for leftover tasks to finish: longer
/// than labrpc's longest silence (7 s) and than any handler of the lab's tests.
#[cfg(madsim)]
const WIND_DOWN: crate::time::Duration = crate::time::Duration::from_secs(30);

/// Environment variable: the seed of the first simulated run.
pub const SEED_VAR: &str = "LAB_SEED";
/// Environment variable: how many seeds to run, one after another, from the first.
pub const SEEDS_VAR: &str = "LAB_SEEDS";

/// Environment variable: the watchdog's limit, in whole seconds of wall-clock time, for one
/// run of [`block_on`] (one seed in simulation). It overrides the limit a caller chose; 0
/// turns the watchdog and the deadlock detector off (to attach a debugger to a stuck test).
pub const WATCHDOG_VAR: &str = "LAB_WATCHDOG_SECS";

/// The watchdog's limit unless a caller or `LAB_WATCHDOG_SECS` chooses another: Go's limit
/// on one test. A simulated seed takes seconds at most; virtual time stops when a thread
/// blocks, so only a wall clock can tell.
pub const DEFAULT_WATCHDOG_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// How long real-time tasks left running after a run may take to stop before they are left
/// behind (tokio drops a task only when it yields).
#[cfg(not(madsim))]
const SHUTDOWN_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs `future` to completion on a fresh runtime: in simulation from `seed`, in real time
/// on a new multi-threaded runtime (where the seed plays no part). Tasks still running when
/// `future` completes are dropped with the runtime (in simulation, after 30 virtual seconds
/// in which they may finish). A panic in `future` is re-raised here.
///
/// The run fails at once, with the message here, when a task spawned through
/// [`crate::task::spawn`] panics or [`crate::fail_run`] is called. The runtime runs on a
/// thread of its own, watched from this one: a run with a thread blocked on a lock for
/// good (see `stuck.rs`), or still going after [`DEFAULT_WATCHDOG_LIMIT`] of wall-clock
/// time (or `LAB_WATCHDOG_SECS`), is stuck, and this thread panics with a report while the
/// stuck threads are left behind.
#[track_caller]
pub fn block_on<F>(seed: u64, future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    block_on_within(seed, DEFAULT_WATCHDOG_LIMIT, future)
}

/// [`block_on`] with a watchdog limit of one's own (`LAB_WATCHDOG_SECS` still overrides it).
#[track_caller]
pub fn block_on_within<F>(seed: u64, limit: std::time::Duration, future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    block_on_at(seed, limit, Location::caller(), future)
}

/// `block_on_within` for a main future started at `started_at`.
fn block_on_at<F>(
    seed: u64,
    limit: std::time::Duration,
    started_at: &'static Location<'static>,
    future: F,
) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    logging::init();
    watch::install_panic_hook();
    let limit = env_number(WATCHDOG_VAR).map_or(limit, std::time::Duration::from_secs);
    let run = Arc::new(Run::default());
    let test = std::thread::current().name().map(str::to_owned);
    // The runtime's thread takes the test's name, so that panic messages name the test.
    let name = test.clone().unwrap_or_else(|| "lab-runtime".to_owned());
    let (done_tx, done_rx) = mpsc::channel();
    let spawned = std::thread::Builder::new().name(name.clone()).spawn({
        let run = run.clone();
        move || {
            run.enter();
            let main = Caught(Tracked::new(future, started_at, false));
            let outcome =
                catch_unwind(AssertUnwindSafe(|| run_on_runtime(seed, &run, &name, main)));
            let outcome = match (run.failure(), outcome) {
                (Some(failure), _) | (None, Ok(Err(failure))) => Outcome::Failed(failure),
                (None, Ok(Ok(Ok(output)))) => Outcome::Done(output),
                (None, Ok(Ok(Err(panic))) | Err(panic)) => Outcome::Panicked(panic),
            };
            watch::leave();
            let _ = done_tx.send(outcome);
        }
    });
    if let Err(err) = spawned {
        panic!("cannot start a thread for the runtime: {err}");
    }
    let test = test.as_deref();
    match watch_run(&run, &done_rx, limit) {
        Watched::Done(Outcome::Done(output)) => output,
        // The panic hook has shown it, where it happened.
        Watched::Done(Outcome::Panicked(panic)) => resume_unwind(panic),
        Watched::Done(Outcome::Failed(failure)) => {
            if !failure.shown {
                stuck::show(test, started_at, &failure.message);
            }
            resume_unwind(Box::new(failure.message))
        }
        Watched::Blocked(blocked) => fail_here(
            test,
            started_at,
            stuck::blocked_report(&run, &blocked, test, seed),
        ),
        Watched::TimedOut => fail_here(
            test,
            started_at,
            stuck::watchdog_report(&run, test, seed, limit),
        ),
        Watched::Lost => panic!("the runtime's thread ended without a result"),
    }
}

/// Fails the test with `message`, shown at the test's own line (not here).
fn fail_here(test: Option<&str>, at: &Location<'_>, message: String) -> ! {
    stuck::show(test, at, &message);
    resume_unwind(Box::new(message))
}

enum Outcome<T> {
    Done(T),
    Panicked(Panic),
    Failed(Failure),
}

enum Watched<T> {
    Done(Outcome<T>),
    /// A thread blocked for good: reported at once.
    Blocked(stuck::Blocked),
    /// The watchdog's limit passed.
    TimedOut,
    Lost,
}

/// Waits for the run's outcome, looking at its threads now and then: until one is blocked
/// for good, or the watchdog's `limit` (zero: no limit, and no looks) passes.
fn watch_run<T>(
    run: &Run,
    done_rx: &mpsc::Receiver<Outcome<T>>,
    limit: std::time::Duration,
) -> Watched<T> {
    if limit.is_zero() {
        return done_rx.recv().map_or(Watched::Lost, Watched::Done);
    }
    let deadline = std::time::Instant::now() + limit;
    let mut detector = stuck::Detector::default();
    loop {
        let wait = deadline
            .saturating_duration_since(std::time::Instant::now())
            .min(stuck::LOOK_EVERY);
        match done_rx.recv_timeout(wait) {
            Ok(outcome) => return Watched::Done(outcome),
            Err(RecvTimeoutError::Disconnected) => return Watched::Lost,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if let Some(blocked) = detector.look(run) {
            return Watched::Blocked(blocked);
        }
        if std::time::Instant::now() >= deadline {
            return Watched::TimedOut;
        }
    }
}

/// Runs the main future on this thread's fresh runtime, raced against the run's failure.
fn run_on_runtime<F, T>(
    seed: u64,
    run: &Arc<Run>,
    name: &str,
    main: F,
) -> Result<Result<T, Panic>, Failure>
where
    F: Future<Output = Result<T, Panic>> + Send + 'static,
    T: Send + 'static,
{
    #[cfg(madsim)]
    {
        let _ = name;
        let runtime =
            madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
        let main = async move {
            logging::mark_run_start();
            let output = main.await;
            // madsim never frees the tasks still pending when its runtime is dropped (tokio
            // does). Virtual time costs nothing: let them run on, so that stopped peers exit
            // and calls waiting out a silence end, and what they hold is freed. A run that
            // failed ends at once, as its panic did before it was caught.
            if output.is_ok() {
                crate::time::sleep(WIND_DOWN).await;
            }
            output
        };
        runtime.block_on(Race {
            run: run.clone(),
            main: Box::pin(main),
        })
    }
    #[cfg(not(madsim))]
    {
        let _ = seed;
        let workers = AtomicUsize::new(0);
        let worker_name = name.to_owned();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_time()
            .thread_name_fn(move || {
                let n = workers.fetch_add(1, Ordering::Relaxed);
                format!("{worker_name} worker {n}")
            })
            .on_thread_start({
                let run = run.clone();
                move || run.enter()
            })
            .on_thread_stop(watch::leave)
            .build()
            .unwrap_or_else(|err| panic!("cannot start the tokio runtime: {err}"));
        // The future runs as a task on a worker thread, not on this thread: the tasks it
        // spawns then start on the same worker, and a call to a task and back costs no
        // thread switch.
        let main = runtime.spawn(async move {
            logging::mark_run_start();
            main.await
        });
        let outcome = runtime.block_on(Race {
            run: run.clone(),
            main: Box::pin(main),
        });
        let t0 = std::time::Instant::now();
        runtime.shutdown_timeout(SHUTDOWN_LIMIT);
        if t0.elapsed() >= SHUTDOWN_LIMIT {
            crate::console::warning(&format!(
                "tasks of `{name}` still ran {} s after it ended, and are left behind: \
                 a deadlock, or a loop that never awaits?",
                SHUTDOWN_LIMIT.as_secs()
            ));
        }
        match outcome? {
            Ok(output) => Ok(output),
            // The main future catches its own panics: only a cancellation is left.
            Err(err) => panic!("the test's main task was cancelled: {err}"),
        }
    }
}

/// Runs one test body. In real time, once. In simulation, once per seed: from `LAB_SEED`
/// (a random seed when unset), `LAB_SEEDS` seeds in a row (1 when unset). A failing seed is
/// printed with the command that replays it.
#[track_caller]
pub fn run_test<F, Fut>(test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_test_within(DEFAULT_WATCHDOG_LIMIT, test);
}

/// [`run_test`] with a watchdog limit of one's own for each run (see [`block_on_within`]).
#[track_caller]
pub fn run_test_within<F, Fut>(limit: std::time::Duration, test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_test_at(limit, Location::caller(), test);
}

/// [`run_test_within`] for a test started at `started_at`, for a caller that cannot pass its
/// own caller's location down (from inside a closure, where `#[track_caller]` stops).
pub fn run_test_at<F, Fut>(
    limit: std::time::Duration,
    started_at: &'static Location<'static>,
    test: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    if MODE == Mode::Real {
        block_on_at(0, limit, started_at, test());
        return;
    }
    let first = env_number(SEED_VAR).unwrap_or_else(fresh_seed);
    let count = seed_count(std::env::var(SEEDS_VAR).ok().as_deref());
    for seed in seeds(first, count) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| {
            block_on_at(seed, limit, started_at, test())
        })) {
            eprintln!("{}", crate::replay::hint(seed));
            resume_unwind(panic);
        }
    }
}

/// How many seeds `LAB_SEEDS` asks for: 1 when unset. Zero seeds would run nothing and
/// pass, so it is refused, as any text that is not a count.
fn seed_count(text: Option<&str>) -> u64 {
    let Some(text) = text else { return 1 };
    match text.trim().parse::<u64>() {
        Ok(count) if count >= 1 => count,
        _ => panic!("{SEEDS_VAR} must be a whole number of seeds, at least 1, not {text:?}"),
    }
}

/// `count` seeds in a row from `first`, wrapping past `u64::MAX` to 0.
fn seeds(first: u64, count: u64) -> impl Iterator<Item = u64> {
    (0..count).map(move |i| first.wrapping_add(i))
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    match text.trim().parse() {
        Ok(number) => Some(number),
        Err(_) => panic!(
            "{name} must be a whole number from 0 to {}, not {text:?}",
            u64::MAX
        ),
    }
}

/// A seed that differs from run to run; drawn outside any simulation, from the wall clock
/// and the process id.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    // Mix so that runs started in the same instant by different processes differ.
    (nanos ^ (u64::from(std::process::id()) << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_seeds_counts_from_one() {
        assert_eq!(seed_count(None), 1);
        assert_eq!(seed_count(Some(" 500 ")), 500);
        for refused in ["0", "-1", "many", ""] {
            let outcome = std::panic::catch_unwind(|| seed_count(Some(refused)));
            assert!(outcome.is_err(), "LAB_SEEDS={refused:?} was accepted");
        }
    }

    #[test]
    fn the_replay_hint_names_the_seed_the_package_and_the_test() {
        let hint = crate::replay::hint(42);
        assert!(hint.contains("LAB_SEED=42 "), "{hint}");
        assert!(hint.contains("--cfg madsim"), "{hint}");
        assert!(hint.contains("-p lab-runtime"), "{hint}");
        assert!(
            hint.ends_with(
                "--exact run::tests::the_replay_hint_names_the_seed_the_package_and_the_test"
            ),
            "{hint}"
        );
    }

    #[test]
    fn a_failing_simulated_test_fails_the_rust_test_too() {
        if MODE != Mode::Simulated {
            return;
        }
        let outcome = catch_unwind(|| run_test(|| async { panic!("deliberate") }));
        assert!(outcome.is_err());
    }

    #[test]
    fn the_last_seed_runs_too() {
        assert_eq!(seeds(u64::MAX, 1).collect::<Vec<_>>(), vec![u64::MAX]);
        assert_eq!(
            seeds(u64::MAX - 1, 3).collect::<Vec<_>>(),
            vec![u64::MAX - 1, u64::MAX, 0]
        );
        assert_eq!(seeds(7, 2).collect::<Vec<_>>(), vec![7, 8]);
    }

    #[test]
    fn seeds_replay_the_same_draws() {
        let draws = |seed| {
            block_on(seed, async {
                (0..8)
                    .map(|_| crate::random::below(1000))
                    .collect::<Vec<_>>()
            })
        };
        if MODE != Mode::Simulated {
            return;
        }
        assert_eq!(draws(5), draws(5));
        assert_ne!(draws(5), draws(6));
    }
}
