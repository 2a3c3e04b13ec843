//! Jepsen's etcd histories get the verdicts porcupine's tests expect.

mod common;

use common::{events_to_operations, jepsen_path, parse_jepsen_log, JEPSEN_VERDICTS};
use porcupine::models::etcd::{EtcdInput, EtcdModel};
use porcupine::{check_events, check_operations, CheckResult, EventValue};

fn expected(linearizable: bool) -> CheckResult {
    if linearizable {
        CheckResult::Ok
    } else {
        CheckResult::Illegal
    }
}

#[test]
fn a_log_parses_with_timeouts_as_unknown_returns_at_the_end() {
    let events = parse_jepsen_log(&jepsen_path(0));
    let calls = events
        .iter()
        .filter(|event| matches!(event.value, EventValue::Input(_)))
        .count();
    assert_eq!(calls * 2, events.len(), "every call has a return");
    assert!(events
        .iter()
        .any(|event| matches!(event.value, EventValue::Input(EtcdInput::Cas { .. }))));
    let last = events.last().expect("a non-empty history");
    assert!(
        matches!(&last.value, EventValue::Output(output) if output.unknown),
        "open calls are closed at the end with an unknown result"
    );
}

#[test]
fn every_jepsen_etcd_log_gets_porcupines_verdict() {
    for (number, linearizable) in JEPSEN_VERDICTS {
        let events = parse_jepsen_log(&jepsen_path(number));
        assert_eq!(
            check_events(&EtcdModel, &events, None),
            expected(linearizable),
            "etcd_{number:03}.log"
        );
    }
}

#[test]
fn as_operations_every_jepsen_etcd_log_gets_the_same_verdict() {
    for (number, linearizable) in JEPSEN_VERDICTS {
        let operations = events_to_operations(&parse_jepsen_log(&jepsen_path(number)));
        assert_eq!(
            check_operations(&EtcdModel, &operations, None),
            expected(linearizable),
            "etcd_{number:03}.log"
        );
    }
}
