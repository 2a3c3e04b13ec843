//! Models whose step may lead to several states, checked through the set of states the
//! system could be in (porcupine's `NondeterministicModel` and its power-set construction).

use std::fmt::Debug;
use std::hash::{Hash, Hasher};

use crate::hash::hash_state;
use crate::model::{Event, EventValue, Model, Operation};

/// A sequential specification whose steps are nondeterministic: `step` returns every state
/// the system could be in afterwards (none: the output is impossible). Check it by wrapping
/// it in [`PowerSet`].
pub trait NondeterministicModel {
    type State: Clone + Eq + Hash + Send + Sync + Debug;
    type Input: Clone + Send + Sync + Debug;
    type Output: Clone + Send + Sync + Debug;

    /// The states the system may start in.
    fn init(&self) -> Vec<Self::State>;

    /// Every state the system may be in after applying `input` in `state` and observing
    /// `output`.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: &Self::Output,
    ) -> Vec<Self::State>;

    /// As [`Model::partition`].
    fn partition(&self, history: &[Operation<Self::Input, Self::Output>]) -> Vec<Vec<usize>> {
        vec![(0..history.len()).collect()]
    }

    /// As [`Model::partition_events`].
    fn partition_events(
        &self,
        history: &[Event<EventValue<Self::Input, Self::Output>>],
    ) -> Vec<Vec<usize>> {
        vec![(0..history.len()).collect()]
    }

    fn describe_operation(&self, input: &Self::Input, output: &Self::Output) -> String {
        format!("{input:?} -> {output:?}")
    }

    fn describe_state(&self, state: &Self::State) -> String {
        format!("{state:?}")
    }
}

/// A set of states without duplicates. Equality and hash ignore the order.
#[derive(Clone, Debug)]
pub struct StateSet<S> {
    states: Vec<S>,
}

impl<S: Eq> StateSet<S> {
    fn from_states(candidates: Vec<S>) -> Self {
        let mut states: Vec<S> = Vec::with_capacity(candidates.len());
        for state in candidates {
            if !states.contains(&state) {
                states.push(state);
            }
        }
        StateSet { states }
    }

    /// The states, in no particular order.
    pub fn states(&self) -> &[S] {
        &self.states
    }
}

impl<S: Eq> PartialEq for StateSet<S> {
    fn eq(&self, other: &Self) -> bool {
        // Both are duplicate-free, so equal sizes and one inclusion make them equal.
        self.states.len() == other.states.len()
            && self.states.iter().all(|state| other.states.contains(state))
    }
}

impl<S: Eq> Eq for StateSet<S> {}

impl<S: Eq + Hash> Hash for StateSet<S> {
    fn hash<H: Hasher>(&self, hasher: &mut H) {
        // XOR: the same for any order of the same states.
        let combined = self
            .states
            .iter()
            .fold(0u64, |acc, state| acc ^ hash_state(state));
        hasher.write_u64(combined);
    }
}

/// A [`NondeterministicModel`] as a [`Model`] whose state is the set of states the system
/// could be in: a step applies to each and keeps all results; it fails when none remain.
#[derive(Clone, Copy, Debug, Default)]
pub struct PowerSet<N>(pub N);

impl<N: NondeterministicModel> Model for PowerSet<N> {
    type State = StateSet<N::State>;
    type Input = N::Input;
    type Output = N::Output;

    fn init(&self) -> Self::State {
        StateSet::from_states(self.0.init())
    }

    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: &Self::Output,
    ) -> Option<Self::State> {
        let next: Vec<N::State> = state
            .states
            .iter()
            .flat_map(|state| self.0.step(state, input, output))
            .collect();
        (!next.is_empty()).then(|| StateSet::from_states(next))
    }

    fn partition(&self, history: &[Operation<Self::Input, Self::Output>]) -> Vec<Vec<usize>> {
        self.0.partition(history)
    }

    fn partition_events(
        &self,
        history: &[Event<EventValue<Self::Input, Self::Output>>],
    ) -> Vec<Vec<usize>> {
        self.0.partition_events(history)
    }

    fn describe_operation(&self, input: &Self::Input, output: &Self::Output) -> String {
        self.0.describe_operation(input, output)
    }

    fn describe_state(&self, state: &Self::State) -> String {
        let states: Vec<String> = state
            .states
            .iter()
            .map(|state| self.0.describe_state(state))
            .collect();
        format!("{{{}}}", states.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::hash_state;

    #[test]
    fn sets_compare_and_hash_regardless_of_order_and_duplicates() {
        let a = StateSet::from_states(vec![1, 2, 3, 2]);
        let b = StateSet::from_states(vec![3, 1, 2]);
        let c = StateSet::from_states(vec![1, 2]);
        assert_eq!(a.states().len(), 3);
        assert_eq!(a, b);
        assert_eq!(hash_state(&a), hash_state(&b));
        assert_ne!(a, c);
    }
}
