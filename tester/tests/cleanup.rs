//! Go's `cleanup` kills every peer even while another thread holds the tester's lock. Real
//! time only: in simulation one thread runs everything, and nobody else can hold a lock.
#![cfg(not(madsim))]

mod fakes;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use fakes::{until, Cluster};
use tester::harness::run_test;

/// A logger that holds up the thread logging an apply error, which the applier logs while it
/// holds the tester's lock, until the test lets it go (or 30 s pass).
struct HoldingLogger;

static HOLDING: AtomicBool = AtomicBool::new(false);
static RELEASED: Mutex<bool> = Mutex::new(false);
static RELEASE: Condvar = Condvar::new();

impl log::Log for HoldingLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        if !record.args().to_string().starts_with("apply error") {
            return;
        }
        HOLDING.store(true, Ordering::SeqCst);
        let released = RELEASED.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = RELEASE
            .wait_timeout_while(released, Duration::from_secs(30), |released| !*released)
            .unwrap_or_else(PoisonError::into_inner);
    }

    fn flush(&self) {}
}

fn release() {
    *RELEASED.lock().unwrap_or_else(PoisonError::into_inner) = true;
    RELEASE.notify_all();
}

#[test]
fn cleanup_kills_every_peer_while_an_applier_holds_the_testers_lock() {
    // The held applier takes a worker thread; the test needs another (the only test here).
    std::env::set_var("TOKIO_WORKER_THREADS", "2");
    static LOGGER: HoldingLogger = HoldingLogger;
    log::set_logger(&LOGGER).expect("no other logger in this test binary");
    log::set_max_level(log::LevelFilter::Error);
    run_test(|| async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        // Index 5 first is out of order: peer 1's applier logs the error under the lock.
        cluster.apply(1, 5, &1u64);
        until("the applier holds the tester's lock", || {
            HOLDING.load(Ordering::SeqCst)
        })
        .await;
        drop(cfg);
        let kills = cluster.kills();
        release();
        assert_eq!(kills, 3, "cleanup killed {kills} of 3 peers");
    });
}
