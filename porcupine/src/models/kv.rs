//! The key/value store of the labs (Get, Put, Append), as the lab's `src/models/kv.go`:
//! histories are partitioned by key and the state is the value of that one key.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::model::{Event, EventKind, EventValue, Model, Operation};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvOp {
    Get,
    Put,
    Append,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KvInput {
    pub op: KvOp,
    pub key: String,
    /// The value put or appended; unused by Get.
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KvOutput {
    /// The value a Get returned; unused by Put and Append.
    pub value: String,
}

/// The model: a Get must return the key's current value; Put replaces it; Append extends it.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvModel;

impl Model for KvModel {
    /// The value of the partition's key. Shared, so the many steps that leave it unchanged
    /// (every Get) copy a pointer, not the text.
    type State = Arc<str>;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> Arc<str> {
        Arc::from("")
    }

    fn step(&self, state: &Arc<str>, input: &KvInput, output: &KvOutput) -> Option<Arc<str>> {
        match input.op {
            KvOp::Get => (*output.value == **state).then(|| Arc::clone(state)),
            KvOp::Put => Some(Arc::from(input.value.as_str())),
            KvOp::Append => {
                let mut value = String::with_capacity(state.len() + input.value.len());
                value.push_str(state);
                value.push_str(&input.value);
                Some(Arc::from(value))
            }
        }
    }

    /// One partition per key, in key order.
    fn partition(&self, history: &[Operation<KvInput, KvOutput>]) -> Vec<Vec<usize>> {
        let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, operation) in history.iter().enumerate() {
            by_key.entry(&operation.input.key).or_default().push(index);
        }
        by_key.into_values().collect()
    }

    /// One partition per key, in key order; a return goes with its call.
    fn partition_events(
        &self,
        history: &[Event<EventValue<KvInput, KvOutput>>],
    ) -> Vec<Vec<usize>> {
        let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut key_of_id: HashMap<usize, &str> = HashMap::new();
        for (index, event) in history.iter().enumerate() {
            let key = match (&event.kind, &event.value) {
                (EventKind::Call, EventValue::Input(input)) => {
                    key_of_id.insert(event.id, &input.key);
                    Some(input.key.as_str())
                }
                _ => key_of_id.get(&event.id).copied(),
            };
            // A return with no call is malformed; leaving it in partition "" lets the
            // checker report it rather than this function guess.
            by_key.entry(key.unwrap_or("")).or_default().push(index);
        }
        by_key.into_values().collect()
    }

    fn describe_operation(&self, input: &KvInput, output: &KvOutput) -> String {
        match input.op {
            KvOp::Get => format!("get('{}') -> '{}'", input.key, output.value),
            KvOp::Put => format!("put('{}', '{}')", input.key, input.value),
            KvOp::Append => format!("append('{}', '{}')", input.key, input.value),
        }
    }

    fn describe_state(&self, state: &Arc<str>) -> String {
        format!("'{state}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(op: KvOp, key: &str, value: &str) -> KvInput {
        KvInput {
            op,
            key: key.to_string(),
            value: value.to_string(),
        }
    }

    fn output(value: &str) -> KvOutput {
        KvOutput {
            value: value.to_string(),
        }
    }

    #[test]
    fn steps_follow_get_put_append() {
        let model = KvModel;
        let s0 = model.init();
        let s1 = model
            .step(&s0, &input(KvOp::Put, "k", "a"), &output(""))
            .expect("put always steps");
        let s2 = model
            .step(&s1, &input(KvOp::Append, "k", "b"), &output(""))
            .expect("append always steps");
        assert_eq!(&*s2, "ab");
        assert!(model
            .step(&s2, &input(KvOp::Get, "k", ""), &output("ab"))
            .is_some());
        assert!(model
            .step(&s2, &input(KvOp::Get, "k", ""), &output("a"))
            .is_none());
        assert!(model
            .step(&s0, &input(KvOp::Get, "k", ""), &output(""))
            .is_some());
    }

    #[test]
    fn histories_split_by_key_in_key_order() {
        let op = |key: &str| Operation {
            client_id: 0,
            input: input(KvOp::Get, key, ""),
            call: 0,
            output: output(""),
            return_time: 1,
        };
        let history = [op("b"), op("a"), op("b")];
        assert_eq!(KvModel.partition(&history), vec![vec![1], vec![0, 2]]);
        let events = vec![
            Event::call(0, 0, input(KvOp::Get, "b", "")),
            Event::call(1, 1, input(KvOp::Put, "a", "x")),
            Event::ret(1, 1, output("")),
            Event::ret(0, 0, output("")),
        ];
        assert_eq!(
            KvModel.partition_events(&events),
            vec![vec![1, 2], vec![0, 3]]
        );
    }
}
