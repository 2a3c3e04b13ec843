//! The 120 s limit on one test. Waiting two minutes of real time to see it is not worth it:
//! the checks run in simulation only.
#![cfg(madsim)]

mod fakes;

use fakes::Cluster;
use lab_runtime::time::{sleep, Duration};
use tester::harness::run_test;

#[test]
#[should_panic(expected = "test took longer than 120 seconds")]
fn a_test_longer_than_120_seconds_fails() {
    run_test(|| async {
        sleep(Duration::from_secs(121)).await;
    });
}

#[test]
fn a_test_of_119_seconds_passes() {
    run_test(|| async {
        sleep(Duration::from_secs(119)).await;
    });
}

/// `end` checks the limit too (Go's `checkTimeout`). Under `run_test` the harness fails
/// first, so this runs the body without it.
#[test]
#[should_panic(expected = "test took longer than 120 seconds")]
fn end_fails_a_configuration_older_than_120_seconds() {
    lab_runtime::block_on(1, async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cfg.begin("Test (tester): too long");
        sleep(Duration::from_secs(121)).await;
        cfg.end();
    });
}

#[test]
fn end_passes_a_configuration_of_119_seconds() {
    lab_runtime::block_on(1, async {
        let cluster = Cluster::new(3);
        let cfg = cluster.config(false, false);
        cfg.begin("Test (tester): long enough");
        sleep(Duration::from_secs(119)).await;
        cfg.end();
    });
}
