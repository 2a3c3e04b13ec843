//! Properties over generated kv histories: what a sequential run produces is linearizable
//! however the operations' intervals overlap around it; a Get result no order can produce
//! is never linearizable; on small histories the verdict is exactly a brute-force search's;
//! and partitioning by key changes no verdict.

mod common;

use std::collections::HashMap;

use common::KvNoPartitionModel;
use porcupine::models::kv::{KvInput, KvModel, KvOp, KvOutput};
use porcupine::{check_events, check_operations, CheckResult, Event, EventValue, Operation};
use proptest::prelude::*;

type KvOperation = Operation<KvInput, KvOutput>;
type KvEvent = Event<EventValue<KvInput, KvOutput>>;

/// One generated operation: what it does, and how far its call and return lie from the
/// instant it takes effect.
#[derive(Clone, Debug)]
struct Planned {
    op: KvOp,
    key: usize,
    letter: usize,
    call_before: i64,
    return_after: i64,
}

fn planned(max_spread: i64) -> impl Strategy<Value = Planned> {
    (
        0..3usize,
        0..2usize,
        0..3usize,
        0..=max_spread,
        0..=max_spread,
    )
        .prop_map(|(op, key, letter, call_before, return_after)| Planned {
            op: [KvOp::Get, KvOp::Put, KvOp::Append][op],
            key,
            letter,
            call_before,
            return_after,
        })
}

/// Runs the plan sequentially, the i-th operation taking effect at 100 * i, so the real
/// outputs and these intervals are always explained by that order.
fn sequential_run(plan: &[Planned]) -> Vec<KvOperation> {
    let mut store: HashMap<String, String> = HashMap::new();
    plan.iter()
        .enumerate()
        .map(|(i, p)| {
            let key = ["a", "b"][p.key].to_string();
            let value = ["x", "y", "z"][p.letter].to_string();
            let current = store.entry(key.clone()).or_default();
            let output = match p.op {
                KvOp::Get => current.clone(),
                KvOp::Put => {
                    *current = value.clone();
                    String::new()
                }
                KvOp::Append => {
                    current.push_str(&value);
                    String::new()
                }
            };
            let at = 100 * i as i64;
            Operation {
                client_id: i,
                input: KvInput {
                    op: p.op,
                    key,
                    value,
                },
                call: at - p.call_before,
                output: KvOutput { value: output },
                return_time: at + p.return_after,
            }
        })
        .collect()
}

/// The same history as events: calls and returns in time order, a call first on a tie.
fn as_events(history: &[KvOperation]) -> Vec<KvEvent> {
    let mut timed: Vec<(i64, bool, KvEvent)> = Vec::new();
    for (id, operation) in history.iter().enumerate() {
        timed.push((
            operation.call,
            false,
            Event::call(operation.client_id, id, operation.input.clone()),
        ));
        timed.push((
            operation.return_time,
            true,
            Event::ret(operation.client_id, id, operation.output.clone()),
        ));
    }
    timed.sort_by_key(|(time, is_return, _)| (*time, *is_return));
    timed.into_iter().map(|(_, _, event)| event).collect()
}

/// Tries every order that respects real time (a before b when a returns before b is
/// called).
fn brute_force(history: &[KvOperation]) -> CheckResult {
    fn extend(
        history: &[KvOperation],
        remaining: &mut Vec<usize>,
        store: &HashMap<String, String>,
    ) -> bool {
        if remaining.is_empty() {
            return true;
        }
        for slot in 0..remaining.len() {
            let candidate = &history[remaining[slot]];
            let must_wait = remaining
                .iter()
                .any(|&other| history[other].return_time < candidate.call);
            if must_wait {
                continue;
            }
            let mut next = store.clone();
            let current = next.entry(candidate.input.key.clone()).or_default();
            match candidate.input.op {
                KvOp::Get if *current != candidate.output.value => continue,
                KvOp::Get => {}
                KvOp::Put => *current = candidate.input.value.clone(),
                KvOp::Append => current.push_str(&candidate.input.value),
            }
            let taken = remaining.remove(slot);
            let found = extend(history, remaining, &next);
            remaining.insert(slot, taken);
            if found {
                return true;
            }
        }
        false
    }
    let mut remaining: Vec<usize> = (0..history.len()).collect();
    if extend(history, &mut remaining, &HashMap::new()) {
        CheckResult::Ok
    } else {
        CheckResult::Illegal
    }
}

proptest! {
    #[test]
    fn a_sequential_run_is_linearizable(plan in prop::collection::vec(planned(40), 1..40)) {
        let history = sequential_run(&plan);
        prop_assert_eq!(check_operations(&KvModel, &history, None), CheckResult::Ok);
        prop_assert_eq!(check_events(&KvModel, &as_events(&history), None), CheckResult::Ok);
        prop_assert_eq!(check_operations(&KvNoPartitionModel, &history, None), CheckResult::Ok);
    }

    #[test]
    fn overlapping_intervals_around_a_sequential_run_are_linearizable(
        plan in prop::collection::vec(planned(450), 1..30),
    ) {
        let history = sequential_run(&plan);
        prop_assert_eq!(check_operations(&KvModel, &history, None), CheckResult::Ok);
        prop_assert_eq!(check_events(&KvModel, &as_events(&history), None), CheckResult::Ok);
        prop_assert_eq!(check_operations(&KvNoPartitionModel, &history, None), CheckResult::Ok);
    }

    #[test]
    fn a_get_of_a_value_never_written_is_never_linearizable(
        plan in prop::collection::vec(planned(450), 1..30),
        victim in any::<prop::sample::Index>(),
        tail in prop::collection::vec(0..3usize, 0..3),
    ) {
        let mut history = sequential_run(&plan);
        // Only x, y and z are ever written, so no order makes a get return "q...".
        let at = victim.index(history.len());
        history[at].input.op = KvOp::Get;
        history[at].output.value = tail.iter().fold("q".to_string(), |text, &i| text + ["x", "y", "z"][i]);
        prop_assert_eq!(check_operations(&KvModel, &history, None), CheckResult::Illegal);
        prop_assert_eq!(check_events(&KvModel, &as_events(&history), None), CheckResult::Illegal);
        prop_assert_eq!(
            check_operations(&KvNoPartitionModel, &history, None),
            CheckResult::Illegal
        );
    }

    #[test]
    fn small_histories_get_the_brute_force_verdict(
        plan in prop::collection::vec(planned(250), 1..8),
        outputs in prop::collection::vec(prop::option::of(0..4usize), 8),
    ) {
        let mut history = sequential_run(&plan);
        // Replace some gets' results with arbitrary values, so both verdicts occur.
        for (operation, output) in history.iter_mut().zip(&outputs) {
            if let (KvOp::Get, Some(choice)) = (operation.input.op, output) {
                operation.output.value = ["", "x", "xy", "z"][*choice].to_string();
            }
        }
        let truth = brute_force(&history);
        prop_assert_eq!(check_operations(&KvModel, &history, None), truth);
        prop_assert_eq!(check_events(&KvModel, &as_events(&history), None), truth);
        // Partitioning by key must not change the verdict.
        prop_assert_eq!(check_operations(&KvNoPartitionModel, &history, None), truth);
    }
}

#[test]
fn the_brute_force_oracle_itself_tells_the_two_apart() {
    let plan = [
        Planned {
            op: KvOp::Put,
            key: 0,
            letter: 0,
            call_before: 0,
            return_after: 0,
        },
        Planned {
            op: KvOp::Get,
            key: 0,
            letter: 0,
            call_before: 0,
            return_after: 0,
        },
    ];
    let mut history = sequential_run(&plan);
    assert_eq!(brute_force(&history), CheckResult::Ok);
    history[1].output.value = "y".into();
    assert_eq!(brute_force(&history), CheckResult::Illegal);
}
