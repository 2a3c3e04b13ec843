//! What a verbose check returns besides the verdict: the partitions it checked and, for each,
//! the longest linearizable prefixes it found (what the page draws).

use crate::model::{CheckResult, Operation};

/// One partition of a checked history.
#[derive(Clone, Debug)]
pub struct PartitionInfo<I, O> {
    /// The partition's operations; ids in `partial_linearizations` index this. For an event
    /// history, `call` and `return_time` are the positions of the events in the history.
    pub operations: Vec<Operation<I, O>>,
    /// For each operation, its index in the checked history (for events: its call's).
    pub history_indices: Vec<usize>,
    /// Distinct linearizable prefixes, longest first: for each operation, the longest one
    /// found that includes it. A linearizable partition has exactly one, complete. An
    /// operation in none of them could not be linearized even first.
    pub partial_linearizations: Vec<Vec<usize>>,
    /// This partition's own verdict; `Unknown` when its search was stopped (by the time
    /// budget, the cache limit, or another partition's `Illegal`).
    pub result: CheckResult,
    /// How many configurations the search cached: a measure of its work and memory.
    pub cache_entries: usize,
}

/// The partitions of a checked history, for [`crate::visualize`] and for inspection.
#[derive(Clone, Debug)]
pub struct LinearizationInfo<I, O> {
    pub(crate) partitions: Vec<PartitionInfo<I, O>>,
}

impl<I, O> Default for LinearizationInfo<I, O> {
    fn default() -> Self {
        LinearizationInfo {
            partitions: Vec::new(),
        }
    }
}

impl<I, O> LinearizationInfo<I, O> {
    /// The partitions, in the order the model's partition function gave them (empty ones
    /// left out).
    pub fn partitions(&self) -> &[PartitionInfo<I, O>] {
        &self.partitions
    }

    /// For each partition, its partial linearizations as operation ids.
    pub fn partial_linearizations(&self) -> Vec<Vec<Vec<usize>>> {
        self.partitions
            .iter()
            .map(|partition| partition.partial_linearizations.clone())
            .collect()
    }
}

impl<I: Clone, O: Clone> LinearizationInfo<I, O> {
    /// For each partition, its partial linearizations as operations.
    pub fn partial_linearizations_operations(&self) -> Vec<Vec<Vec<Operation<I, O>>>> {
        self.partitions
            .iter()
            .map(|partition| {
                partition
                    .partial_linearizations
                    .iter()
                    .map(|ids| {
                        ids.iter()
                            .map(|&id| partition.operations[id].clone())
                            .collect()
                    })
                    .collect()
            })
            .collect()
    }
}
