//! Running a future, or a whole test, on the runtime of this build.

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use crate::logging;

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

/// Runs `future` to completion on a fresh runtime: in simulation from `seed`, in real time
/// on a new multi-threaded runtime (where the seed plays no part). Tasks still running when
/// `future` completes are dropped with the runtime (in simulation, after 30 virtual seconds
/// in which they may finish). A panic in `future` is re-raised here.
pub fn block_on<F>(seed: u64, future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    logging::init();
    #[cfg(madsim)]
    {
        let runtime =
            madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
        runtime.block_on(async move {
            logging::mark_run_start();
            let output = future.await;
            // madsim never frees the tasks still pending when its runtime is dropped (tokio
            // does). Virtual time costs nothing: let them run on, so that stopped peers exit
            // and calls waiting out a silence end, and what they hold is freed.
            crate::time::sleep(WIND_DOWN).await;
            output
        })
    }
    #[cfg(not(madsim))]
    {
        let _ = seed;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_time()
            .build()
            .unwrap_or_else(|err| panic!("cannot start the tokio runtime: {err}"));
        // The future runs as a task on a worker thread, not on this thread: the tasks it
        // spawns then start on the same worker, and a call to a task and back costs no
        // thread switch.
        let main = runtime.spawn(async move {
            logging::mark_run_start();
            future.await
        });
        match runtime.block_on(main) {
            Ok(output) => output,
            Err(err) => match err.try_into_panic() {
                Ok(panic) => resume_unwind(panic),
                Err(err) => panic!("the test's main task was cancelled: {err}"),
            },
        }
    }
}

/// Runs one test body. In real time, once. In simulation, once per seed: from `LAB_SEED`
/// (a random seed when unset), `LAB_SEEDS` seeds in a row (1 when unset). A failing seed is
/// printed with the command that replays it.
pub fn run_test<F, Fut>(test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    if MODE == Mode::Real {
        block_on(0, test());
        return;
    }
    let first = env_number(SEED_VAR).unwrap_or_else(fresh_seed);
    let count = env_number(SEEDS_VAR).unwrap_or(1).max(1);
    for seed in first..first.saturating_add(count) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| block_on(seed, test()))) {
            eprintln!("{}", replay_hint(seed));
            resume_unwind(panic);
        }
    }
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

fn replay_hint(seed: u64) -> String {
    let test = std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .map(str::to_owned);
    let package = std::env::var("CARGO_PKG_NAME").ok();
    let package = package.map(|p| format!(" -p {p}")).unwrap_or_default();
    let test = test.map(|t| format!(" -- --exact {t}")).unwrap_or_default();
    format!(
        "simulation failed with seed {seed}; replay it with:\n  \
         {SEED_VAR}={seed} RUSTFLAGS=\"--cfg madsim\" cargo test --target-dir target/sim{package}{test}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replay_hint_names_the_seed_the_package_and_the_test() {
        let hint = replay_hint(42);
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
