//! Event logs: the `log` crate, one line per event, off unless `LAB_LOG` is set.
//!
//! `LAB_LOG` takes env_logger's filter syntax: `LAB_LOG=debug`, or per topic
//! `LAB_LOG=raft=debug,labrpc=trace`. Each line starts with the time since the run began (the
//! virtual time in simulation), then the level and the topic (the module that logged).

use std::io::Write;
use std::sync::Once;

use crate::time::{Duration, Instant};

/// The environment variable that turns logs on.
pub const LOG_VAR: &str = "LAB_LOG";

/// Installs the logger once per process; later calls do nothing. Without `LAB_LOG` nothing is
/// logged.
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os(LOG_VAR).is_none() {
            return;
        }
        let _ = env_logger::Builder::new()
            .parse_env(env_logger::Env::new().filter(LOG_VAR))
            .format(|out, record| {
                let at = since_run_start();
                let line = format!(
                    "{:>4}.{:06} {:<5} {:<16} {}",
                    at.as_secs(),
                    at.subsec_micros(),
                    record.level(),
                    record.target(),
                    record.args()
                );
                // Kept for the watchdog's report, should the run get stuck.
                crate::watch::note_log_line(&line);
                writeln!(out, "{line}")
            })
            .try_init();
    });
}

#[cfg(madsim)]
thread_local! {
    // Each simulation runs on the thread that started it; tests may run in parallel threads.
    static RUN_START: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

#[cfg(not(madsim))]
static RUN_START: std::sync::Mutex<Option<Instant>> = std::sync::Mutex::new(None);

pub(crate) fn mark_run_start() {
    let now = Instant::now();
    #[cfg(madsim)]
    RUN_START.with(|start| start.set(Some(now)));
    #[cfg(not(madsim))]
    {
        *RUN_START.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
    }
}

/// Time since the current run began, as the logs show it.
pub fn since_run_start() -> Duration {
    #[cfg(madsim)]
    let start = RUN_START.with(|start| start.get());
    #[cfg(not(madsim))]
    let start = *RUN_START.lock().unwrap_or_else(|e| e.into_inner());
    start.map(|s| s.elapsed()).unwrap_or_default()
}
