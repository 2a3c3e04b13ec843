//! Turning the caller's history into the checker's form: one list of operations per
//! partition, and the call and return entries of those operations in time order.

use std::collections::{HashMap, HashSet};

use crate::model::{Event, EventKind, EventValue, Operation};

/// A call or return of operation `op` (an index into [`PartitionHistory::operations`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) op: usize,
    pub(crate) kind: EventKind,
}

/// One partition, ready to search.
#[derive(Clone, Debug)]
pub(crate) struct PartitionHistory<I, O> {
    /// The operations; for an event history, `call` and `return_time` are the positions of
    /// the call and return events in the whole history.
    pub(crate) operations: Vec<Operation<I, O>>,
    /// Where each operation came from: its index in the operation history, or the index of
    /// its call in the event history.
    pub(crate) history_indices: Vec<usize>,
    /// Calls and returns in time order, a call before a return at the same instant.
    pub(crate) entries: Vec<Entry>,
}

/// The partitions of an operation history.
///
/// # Panics
/// If a partition names an index outside `history`, or an operation returns before it is
/// called: both are bugs in the caller, and no verdict about such a history would mean
/// anything.
pub(crate) fn from_operations<I: Clone, O: Clone>(
    history: &[Operation<I, O>],
    partitions: Vec<Vec<usize>>,
) -> Vec<PartitionHistory<I, O>> {
    partitions
        .into_iter()
        .filter(|indices| !indices.is_empty())
        .map(|indices| {
            let operations: Vec<Operation<I, O>> = indices
                .iter()
                .map(|&index| {
                    let op = history.get(index).unwrap_or_else(|| {
                        panic!(
                            "the model's partition names operation {index} of a history of {}",
                            history.len()
                        )
                    });
                    assert!(
                        op.call <= op.return_time,
                        "operation {index} returns at {} before it is called at {}",
                        op.return_time,
                        op.call
                    );
                    op.clone()
                })
                .collect();
            let mut entries: Vec<(i64, Entry)> = Vec::with_capacity(2 * operations.len());
            for (op, operation) in operations.iter().enumerate() {
                let call = Entry {
                    op,
                    kind: EventKind::Call,
                };
                let ret = Entry {
                    op,
                    kind: EventKind::Return,
                };
                entries.push((operation.call, call));
                entries.push((operation.return_time, ret));
            }
            // Calls before returns at the same instant: intervals are closed, so operations
            // touching at one instant are concurrent.
            entries.sort_by_key(|(time, entry)| (*time, entry.kind == EventKind::Return));
            PartitionHistory {
                operations,
                history_indices: indices,
                entries: entries.into_iter().map(|(_, entry)| entry).collect(),
            }
        })
        .collect()
}

/// The partitions of an event history.
///
/// # Panics
/// If a partition names an index outside `history`, or an event history is malformed: an
/// event whose `kind` disagrees with its `value`, a return without an earlier call, a
/// second call or return with one id, or a call that never returns.
pub(crate) fn from_events<I: Clone, O: Clone>(
    history: &[Event<EventValue<I, O>>],
    partitions: Vec<Vec<usize>>,
) -> Vec<PartitionHistory<I, O>> {
    partitions
        .into_iter()
        .filter(|indices| !indices.is_empty())
        .map(|mut indices| {
            // Positions in the history are the events' times; keep the partition in order.
            indices.sort_unstable();
            partition_of_events(history, &indices)
        })
        .collect()
}

struct OpenCall<I> {
    client_id: usize,
    input: I,
    call_position: usize,
}

fn partition_of_events<I: Clone, O: Clone>(
    history: &[Event<EventValue<I, O>>],
    indices: &[usize],
) -> PartitionHistory<I, O> {
    let mut open: HashMap<usize, OpenCall<I>> = HashMap::new();
    let mut operations = Vec::with_capacity(indices.len() / 2);
    let mut history_indices = Vec::with_capacity(indices.len() / 2);
    // An operation's local id is given at its return, so record calls and returns by
    // position and resolve them once ids are known.
    let mut local_of_call: HashMap<usize, usize> = HashMap::new();
    let mut called_ids: HashSet<usize> = HashSet::new();
    let mut timeline: Vec<(usize, EventKind)> = Vec::with_capacity(indices.len());
    for &position in indices {
        let event = history.get(position).unwrap_or_else(|| {
            panic!(
                "the model's partition names event {position} of a history of {}",
                history.len()
            )
        });
        match (&event.kind, &event.value) {
            (EventKind::Call, EventValue::Input(input)) => {
                assert!(
                    called_ids.insert(event.id),
                    "event {position}: a second call with id {}",
                    event.id
                );
                open.insert(
                    event.id,
                    OpenCall {
                        client_id: event.client_id,
                        input: input.clone(),
                        call_position: position,
                    },
                );
                timeline.push((position, EventKind::Call));
            }
            (EventKind::Return, EventValue::Output(output)) => {
                let call = open.remove(&event.id).unwrap_or_else(|| {
                    panic!(
                        "event {position}: a return with id {} that has no open call",
                        event.id
                    )
                });
                local_of_call.insert(call.call_position, operations.len());
                timeline.push((call.call_position, EventKind::Return));
                history_indices.push(call.call_position);
                operations.push(Operation {
                    client_id: call.client_id,
                    input: call.input,
                    call: call.call_position as i64,
                    output: output.clone(),
                    return_time: position as i64,
                });
            }
            (kind, _) => panic!("event {position}: a {kind:?} event with the other kind's value"),
        }
    }
    if let Some((id, call)) = open.iter().next() {
        panic!(
            "event {}: the call with id {id} never returns",
            call.call_position
        );
    }
    let entries = timeline
        .into_iter()
        .map(|(call_position, kind)| Entry {
            op: local_of_call[&call_position],
            kind,
        })
        .collect();
    PartitionHistory {
        operations,
        history_indices,
        entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(call: i64, return_time: i64) -> Operation<u8, u8> {
        Operation {
            client_id: 0,
            input: 0,
            call,
            output: 0,
            return_time,
        }
    }

    #[test]
    fn a_call_sorts_before_a_return_at_the_same_instant() {
        let parts = from_operations(&[op(5, 10), op(10, 10), op(0, 5)], vec![vec![0, 1, 2]]);
        let order: Vec<(usize, EventKind)> = parts[0]
            .entries
            .iter()
            .map(|entry| (entry.op, entry.kind))
            .collect();
        use EventKind::{Call, Return};
        assert_eq!(
            order,
            vec![
                (2, Call),
                (0, Call),
                (2, Return),
                (1, Call),
                (0, Return),
                (1, Return)
            ]
        );
    }

    #[test]
    fn events_become_operations_timed_by_position() {
        let events: Vec<Event<EventValue<u8, u8>>> = vec![
            Event::call(0, 7, 1),
            Event::call(1, 3, 2),
            Event::ret(0, 7, 10),
            Event::ret(1, 3, 20),
        ];
        let parts = from_events(&events, vec![vec![0, 1, 2, 3]]);
        let ops = &parts[0].operations;
        assert_eq!(ops.len(), 2);
        assert_eq!(
            (ops[0].input, ops[0].output, ops[0].call, ops[0].return_time),
            (1, 10, 0, 2)
        );
        assert_eq!(
            (ops[1].input, ops[1].output, ops[1].call, ops[1].return_time),
            (2, 20, 1, 3)
        );
        assert_eq!(parts[0].history_indices, vec![0, 1]);
    }

    #[test]
    #[should_panic(expected = "never returns")]
    fn an_unanswered_call_is_refused() {
        let events: Vec<Event<EventValue<u8, u8>>> = vec![Event::call(0, 1, 1)];
        from_events(&events, vec![vec![0]]);
    }
}
