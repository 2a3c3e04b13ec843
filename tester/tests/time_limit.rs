//! The 120 s limit on one test. Waiting two minutes of real time to see it is not worth it:
//! the check runs in simulation only.
#![cfg(madsim)]

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
