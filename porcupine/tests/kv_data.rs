//! Porcupine's kv histories get the verdicts porcupine's tests expect, with the partitioned
//! model (as events and as operations) and with the whole-store model.

mod common;

use common::{
    events_to_operations, keys_of, kv_path, parse_kv_log, KvNoPartitionModel, KV_VERDICTS,
};
use porcupine::models::kv::KvModel;
use porcupine::{check_events, check_events_verbose, check_operations, CheckResult};

fn expected(linearizable: bool) -> CheckResult {
    if linearizable {
        CheckResult::Ok
    } else {
        CheckResult::Illegal
    }
}

#[test]
fn the_logs_parse_into_complete_histories() {
    let events = parse_kv_log(&kv_path("c10-ok"));
    // 674 lines, one event each: 337 calls and 337 returns.
    assert_eq!(events.len(), 674);
    assert_eq!(events_to_operations(&events).len(), 337);
    assert!(keys_of(&events).len() > 1, "the history spans several keys");
}

#[test]
fn partitioned_by_key_every_kv_log_gets_porcupines_verdict() {
    for (name, linearizable) in KV_VERDICTS {
        let events = parse_kv_log(&kv_path(name));
        assert_eq!(
            check_events(&KvModel, &events, None),
            expected(linearizable),
            "{name} as events"
        );
        let operations = events_to_operations(&events);
        assert_eq!(
            check_operations(&KvModel, &operations, None),
            expected(linearizable),
            "{name} as operations"
        );
    }
}

#[test]
fn a_verbose_check_agrees_and_explains_itself() {
    for (name, linearizable) in KV_VERDICTS {
        let events = parse_kv_log(&kv_path(name));
        let (result, info) = check_events_verbose(&KvModel, &events, None);
        assert_eq!(result, expected(linearizable), "{name}");
        for partition in info.partitions() {
            let longest = partition.partial_linearizations.first().map_or(0, Vec::len);
            if partition.result == CheckResult::Ok {
                assert_eq!(partition.partial_linearizations.len(), 1, "{name}");
                assert_eq!(longest, partition.operations.len(), "{name}");
            } else {
                assert!(longest < partition.operations.len(), "{name}");
            }
        }
        let illegal = info
            .partitions()
            .iter()
            .filter(|partition| partition.result == CheckResult::Illegal)
            .count();
        assert_eq!(illegal > 0, !linearizable, "{name}");
    }
}

#[test]
fn one_client_logs_get_porcupines_verdict_without_partitioning() {
    for name in ["c01-ok", "c01-bad"] {
        let linearizable = name.ends_with("-ok");
        let events = parse_kv_log(&kv_path(name));
        assert_eq!(
            check_events(&KvNoPartitionModel, &events, None),
            expected(linearizable),
            "{name}"
        );
    }
}

#[test]
fn ten_client_logs_get_porcupines_verdict_without_partitioning() {
    for name in ["c10-ok", "c10-bad"] {
        let linearizable = name.ends_with("-ok");
        let events = parse_kv_log(&kv_path(name));
        assert_eq!(
            check_events(&KvNoPartitionModel, &events, None),
            expected(linearizable),
            "{name}"
        );
    }
}
