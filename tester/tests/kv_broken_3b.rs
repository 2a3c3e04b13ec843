//! Lab 3B's tests catch the snapshot flaws students make, in simulation.

#![cfg(madsim)]

mod kv_support;

use kv_support::assert_caught;
use kv_support::broken::{Broken, NeverSnapshots, RestartForgetsKeys, SnapshotForgetsDuplicates};
use tester::kv::tests::part_3b;

type Clerk = kvraft::Clerk;

#[test]
fn a_snapshot_without_the_duplicate_table_fails_unreliable_recover() {
    assert_caught(
        "leaves the duplicate table out of its snapshot",
        0..10,
        // The retried append shows twice: in a clerk's Get, or in the final check.
        &["duplicate element", "get wrong value"],
        part_3b::snapshot_unreliable_recover::<Broken<SnapshotForgetsDuplicates>, Clerk>,
    );
}

#[test]
fn a_restart_that_loses_the_snapshot_s_keys_fails_snapshot_recover() {
    assert_caught(
        "loses its snapshot's keys on restart",
        0..3,
        &["get wrong value", "missing element"],
        part_3b::snapshot_recover::<Broken<RestartForgetsKeys>, Clerk>,
    );
}

/// The log-size check waits while an oversized log still shrinks (a loaded machine's
/// applier may be behind); a server that never snapshots still fails it.
#[test]
fn a_server_that_never_snapshots_fails_snapshot_size_and_snapshot_recover() {
    assert_caught(
        "never snapshots",
        0..1,
        &["logs were not trimmed"],
        part_3b::snapshot_size::<Broken<NeverSnapshots>, Clerk>,
    );
    assert_caught(
        "never snapshots",
        0..1,
        &["logs were not trimmed"],
        part_3b::snapshot_recover::<Broken<NeverSnapshots>, Clerk>,
    );
}
