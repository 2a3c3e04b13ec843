//! Lab 3A's tests catch the flaws students make, in simulation: each broken server below
//! fails the test that targets its flaw, with a message that points at it.

#![cfg(madsim)]

mod kv_support;

use kv_support::assert_caught;
use kv_support::broken::{AnswersBeforeApplied, AppliesRetriesTwice, Broken, ReadsWithoutLog};
use tester::kv::tests::part_3a;

type Clerk = kvraft::Clerk;

#[test]
fn a_retried_append_applied_twice_fails_unreliable_one_key() {
    assert_caught(
        "applies a retried request twice",
        0..10,
        &["duplicate element"],
        part_3a::unreliable_one_key::<Broken<AppliesRetriesTwice>, Clerk>,
    );
}

#[test]
fn a_get_served_without_the_log_fails_one_partition() {
    assert_caught(
        "serves Get from a leader without the log",
        0..3,
        &["Get in minority completed"],
        part_3a::one_partition::<Broken<ReadsWithoutLog>, Clerk>,
    );
}

#[test]
fn an_answer_before_the_command_is_applied_fails_one_partition() {
    assert_caught(
        "answers before its command is applied",
        0..3,
        &["Get(1): expected:\n14\nreceived:"],
        part_3a::one_partition::<Broken<AnswersBeforeApplied>, Clerk>,
    );
}

#[test]
fn a_get_served_without_the_log_fails_the_linearizability_check() {
    assert_caught(
        "serves Get from a leader without the log",
        0..5,
        &["history is not linearizable"],
        part_3a::persist_partition_unreliable_linearizable::<Broken<ReadsWithoutLog>, Clerk>,
    );
}
