//! A check that cannot finish ends with Unknown, within its time budget or its cache limit,
//! and says how far it got. Judged by outcome only: no assertion on elapsed time, which
//! machine load could break.

use std::time::Duration;

use porcupine::models::kv::{KvInput, KvModel, KvOp, KvOutput};
use porcupine::{
    check_operations, check_operations_verbose, check_operations_with, CheckOptions, CheckResult,
    Operation,
};

/// `writers` concurrent appends of distinct letters, then a get that sees none of them: not
/// linearizable, but every one of the `writers!` orders of the appends gives a different
/// value, so the search must try them all before it can say so.
fn pathological(writers: usize) -> Vec<Operation<KvInput, KvOutput>> {
    let mut history: Vec<Operation<KvInput, KvOutput>> = (0..writers)
        .map(|client| Operation {
            client_id: client,
            input: KvInput {
                op: KvOp::Append,
                key: "k".into(),
                value: ((b'a' + client as u8) as char).to_string(),
            },
            call: 0,
            output: KvOutput {
                value: String::new(),
            },
            return_time: 1_000,
        })
        .collect();
    history.push(Operation {
        client_id: writers,
        input: KvInput {
            op: KvOp::Get,
            key: "k".into(),
            value: String::new(),
        },
        call: 2_000,
        output: KvOutput {
            value: "never written".into(),
        },
        return_time: 3_000,
    });
    history
}

#[test]
fn a_small_budget_on_an_explosive_history_gives_unknown() {
    let history = pathological(24);
    let result = check_operations(&KvModel, &history, Some(Duration::from_millis(50)));
    assert_eq!(result, CheckResult::Unknown);
}

#[test]
fn a_zero_budget_gives_unknown_at_once() {
    let result = check_operations(&KvModel, &pathological(2), Some(Duration::ZERO));
    assert_eq!(result, CheckResult::Unknown);
}

#[test]
fn a_timed_out_check_reports_how_far_it_got() {
    let (result, info) =
        check_operations_verbose(&KvModel, &pathological(24), Some(Duration::from_millis(50)));
    assert_eq!(result, CheckResult::Unknown);
    let partition = &info.partitions()[0];
    assert_eq!(partition.result, CheckResult::Unknown);
    let longest = partition.partial_linearizations.first().map_or(0, Vec::len);
    assert!(
        longest > 0,
        "the search placed some operations before it stopped"
    );
    assert!(longest <= 24, "the get cannot be placed");
}

#[test]
fn the_cache_limit_bounds_memory_and_gives_unknown() {
    let options = CheckOptions {
        max_cache_entries: Some(5_000),
        compute_info: true,
        ..CheckOptions::default()
    };
    let (result, info) = check_operations_with(&KvModel, &pathological(24), &options);
    assert_eq!(result, CheckResult::Unknown);
    let partition = &info.partitions()[0];
    assert_eq!(partition.result, CheckResult::Unknown);
    assert_eq!(partition.cache_entries, 5_000);
}

#[test]
fn a_budget_large_enough_changes_nothing() {
    // Small enough to finish: 6 appends have 720 orders.
    let history = pathological(6);
    let result = check_operations(&KvModel, &history, Some(Duration::from_secs(3_600)));
    assert_eq!(result, CheckResult::Illegal);
    let options = CheckOptions {
        max_cache_entries: Some(1_000_000),
        ..CheckOptions::default()
    };
    assert_eq!(
        check_operations_with(&KvModel, &history, &options).0,
        CheckResult::Illegal
    );
}

#[test]
fn an_illegal_partition_decides_even_when_another_cannot_finish() {
    let mut history = pathological(24);
    // Another key, plainly wrong: a get of a value never put.
    history.push(Operation {
        client_id: 30,
        input: KvInput {
            op: KvOp::Get,
            key: "other".into(),
            value: String::new(),
        },
        call: 0,
        output: KvOutput { value: "x".into() },
        return_time: 1,
    });
    let options = CheckOptions {
        timeout: Some(Duration::from_secs(3_600)),
        // Both partitions at once, whatever the machine: one thread would search the
        // larger (hopeless) one first.
        threads: Some(2),
        ..CheckOptions::default()
    };
    // Without info to collect, the illegal key stops the hopeless search of the other.
    assert_eq!(
        check_operations_with(&KvModel, &history, &options).0,
        CheckResult::Illegal
    );
}
