//! Small histories with known verdicts, from porcupine's own tests (the register examples of
//! 6.824's 2017 quiz 2), in both history forms, and the edge cases: touching intervals,
//! empty histories, partitions, unknown results, malformed input.

use porcupine::models::etcd::{EtcdInput, EtcdModel, EtcdOutput};
use porcupine::{
    check_events, check_events_verbose, check_operations, check_operations_verbose, CheckResult,
    Event, Model, Operation,
};

/// A register holding an integer: put always succeeds, get must see the value.
struct Register;

#[derive(Clone, Debug)]
enum RegisterInput {
    Put(i32),
    Get,
}

impl Model for Register {
    type State = i32;
    type Input = RegisterInput;
    type Output = i32;

    fn init(&self) -> i32 {
        0
    }

    fn step(&self, state: &i32, input: &RegisterInput, output: &i32) -> Option<i32> {
        match input {
            RegisterInput::Put(value) => Some(*value),
            RegisterInput::Get => (output == state).then_some(*state),
        }
    }
}

fn op(
    client_id: usize,
    input: RegisterInput,
    call: i64,
    output: i32,
    return_time: i64,
) -> Operation<RegisterInput, i32> {
    Operation {
        client_id,
        input,
        call,
        output,
        return_time,
    }
}

use RegisterInput::{Get, Put};

#[test]
fn the_quiz_examples_as_operations() {
    let ok = [
        op(0, Put(100), 0, 0, 100),
        op(1, Get, 25, 100, 75),
        op(2, Get, 30, 0, 60),
    ];
    assert_eq!(check_operations(&Register, &ok, None), CheckResult::Ok);
    let bad = [
        op(0, Put(200), 0, 0, 100),
        op(1, Get, 10, 200, 30),
        op(2, Get, 40, 0, 90),
    ];
    assert_eq!(
        check_operations(&Register, &bad, None),
        CheckResult::Illegal
    );
}

#[test]
fn the_quiz_examples_as_events() {
    let ok = vec![
        Event::call(0, 0, Put(100)),
        Event::call(1, 1, Get),
        Event::call(2, 2, Get),
        Event::ret(2, 2, 0),
        Event::ret(1, 1, 100),
        Event::ret(0, 0, 0),
    ];
    assert_eq!(check_events(&Register, &ok, None), CheckResult::Ok);
    let bad = vec![
        Event::call(0, 0, Put(200)),
        Event::call(1, 1, Get),
        Event::ret(1, 1, 200),
        Event::call(2, 2, Get),
        Event::ret(2, 2, 0),
        Event::ret(0, 0, 0),
    ];
    assert_eq!(check_events(&Register, &bad, None), CheckResult::Illegal);
}

#[test]
fn zero_length_operations_and_equal_instants_are_concurrent() {
    let ok = [
        op(0, Put(100), 0, 0, 100),
        op(1, Get, 25, 100, 75),
        op(2, Get, 30, 0, 30),
        op(3, Get, 30, 0, 30),
    ];
    assert_eq!(
        check_operations_verbose(&Register, &ok, None).0,
        CheckResult::Ok
    );
    let bad = [
        op(0, Put(200), 0, 0, 100),
        op(1, Get, 10, 200, 10),
        op(2, Get, 10, 200, 10),
        op(3, Get, 40, 0, 90),
    ];
    assert_eq!(
        check_operations_verbose(&Register, &bad, None).0,
        CheckResult::Illegal
    );
}

#[test]
fn an_operation_returning_when_another_is_called_may_come_after_it() {
    // The get is called at the instant the put returns; closed intervals make them
    // concurrent, so the get may take effect before the put.
    let history = [op(0, Put(1), 0, 0, 10), op(1, Get, 10, 0, 20)];
    assert_eq!(check_operations(&Register, &history, None), CheckResult::Ok);
    // One instant later it may not.
    let history = [op(0, Put(1), 0, 0, 10), op(1, Get, 11, 0, 20)];
    assert_eq!(
        check_operations(&Register, &history, None),
        CheckResult::Illegal
    );
}

#[test]
fn many_operations_at_one_instant_never_give_a_false_illegal() {
    // Simulated time: every operation called and returned at the same instant, in an
    // order that is only legal if they may be reordered freely.
    let mut history = vec![op(0, Get, 5, 7, 5)];
    for client in 1..20 {
        history.push(op(client, Put(client as i32), 5, 0, 5));
    }
    history.push(op(20, Put(7), 5, 0, 5));
    assert_eq!(check_operations(&Register, &history, None), CheckResult::Ok);
}

#[test]
fn an_empty_history_is_linearizable() {
    let (result, info) = check_operations_verbose(&Register, &[], None);
    assert_eq!(result, CheckResult::Ok);
    assert!(info.partitions().is_empty());
    let events: Vec<porcupine::Event<porcupine::EventValue<RegisterInput, i32>>> = Vec::new();
    assert_eq!(check_events(&Register, &events, None), CheckResult::Ok);
}

#[test]
fn verbose_info_names_the_longest_prefixes() {
    let bad = [
        op(0, Put(200), 0, 0, 100),
        op(1, Get, 10, 200, 30),
        op(2, Get, 40, 0, 90),
    ];
    let (result, info) = check_operations_verbose(&Register, &bad, None);
    assert_eq!(result, CheckResult::Illegal);
    let partition = &info.partitions()[0];
    assert_eq!(partition.result, CheckResult::Illegal);
    // Put then the first get is as far as any order gets; the last get cannot follow.
    assert_eq!(partition.partial_linearizations, vec![vec![0, 1]]);
    assert_eq!(
        info.partial_linearizations_operations()[0][0][1].output,
        200
    );
}

#[test]
fn unknown_outputs_and_late_returns_express_unanswered_operations() {
    // A write whose answer never came: its return is at the end, its output unknown.
    // A later read may see it or not.
    let unknown_write = Event::call(0, 0, EtcdInput::Write(1));
    let mut events = vec![
        unknown_write.clone(),
        Event::call(1, 1, EtcdInput::Read),
        Event::ret(
            1,
            1,
            EtcdOutput {
                exists: true,
                value: 1,
                ..EtcdOutput::default()
            },
        ),
        Event::call(1, 2, EtcdInput::Read),
        Event::ret(
            1,
            2,
            EtcdOutput {
                exists: true,
                value: 1,
                ..EtcdOutput::default()
            },
        ),
    ];
    events.push(Event::ret(0, 0, EtcdOutput::unknown()));
    assert_eq!(check_events(&EtcdModel, &events, None), CheckResult::Ok);
    // But once seen, it cannot be unseen.
    events.insert(5, Event::call(1, 3, EtcdInput::Read));
    events.insert(6, Event::ret(1, 3, EtcdOutput::default()));
    assert_eq!(
        check_events(&EtcdModel, &events, None),
        CheckResult::Illegal
    );
    let (_, info) = check_events_verbose(&EtcdModel, &events, None);
    assert_eq!(info.partitions()[0].operations.len(), 4);
}

/// Registers by name: partitions by key, so a violation on one key is found whatever the
/// others do.
struct Registers;

impl Model for Registers {
    type State = i32;
    type Input = (char, RegisterInput);
    type Output = i32;

    fn init(&self) -> i32 {
        0
    }

    fn step(&self, state: &i32, input: &(char, RegisterInput), output: &i32) -> Option<i32> {
        Register.step(state, &input.1, output)
    }

    fn partition(&self, history: &[Operation<(char, RegisterInput), i32>]) -> Vec<Vec<usize>> {
        let mut parts: std::collections::BTreeMap<char, Vec<usize>> = Default::default();
        for (index, operation) in history.iter().enumerate() {
            parts.entry(operation.input.0).or_default().push(index);
        }
        parts.into_values().collect()
    }
}

#[test]
fn partitions_are_checked_separately() {
    let keyed = |key, client, input, call, output, ret| Operation {
        client_id: client,
        input: (key, input),
        call,
        output,
        return_time: ret,
    };
    // Each key alone is linearizable, but mixing them in one register is not.
    let history = [
        keyed('a', 0, Put(1), 0, 0, 10),
        keyed('b', 1, Get, 20, 0, 30),
        keyed('a', 1, Get, 40, 1, 50),
    ];
    let (result, info) = check_operations_verbose(&Registers, &history, None);
    assert_eq!(result, CheckResult::Ok);
    assert_eq!(info.partitions().len(), 2);
    assert_eq!(info.partitions()[0].history_indices, vec![0, 2]);
    let flat: Vec<Operation<RegisterInput, i32>> = history
        .iter()
        .map(|o| {
            op(
                o.client_id,
                o.input.1.clone(),
                o.call,
                o.output,
                o.return_time,
            )
        })
        .collect();
    let mut flat = flat;
    flat[1].output = 1;
    flat[2].output = 0;
    assert_eq!(
        check_operations(&Register, &flat, None),
        CheckResult::Illegal
    );

    let bad = [
        keyed('a', 0, Put(1), 0, 0, 10),
        keyed('b', 1, Get, 20, 0, 30),
        keyed('a', 1, Get, 40, 2, 50),
    ];
    let (result, info) = check_operations_verbose(&Registers, &bad, None);
    assert_eq!(result, CheckResult::Illegal);
    let results: Vec<CheckResult> = info.partitions().iter().map(|p| p.result).collect();
    assert_eq!(results, vec![CheckResult::Illegal, CheckResult::Ok]);
}

#[test]
#[should_panic(expected = "returns at 5 before it is called at 10")]
fn an_operation_returning_before_its_call_is_refused() {
    check_operations(&Register, &[op(0, Get, 10, 0, 5)], None);
}

#[test]
#[should_panic(expected = "no open call")]
fn a_return_without_a_call_is_refused() {
    let events: Vec<porcupine::Event<porcupine::EventValue<RegisterInput, i32>>> =
        vec![Event::ret(0, 0, 0)];
    check_events(&Register, &events, None);
}
