//! The search for a linearization of one partition: a depth-first search over which pending
//! operation takes effect next, pruned by the cache of configurations already reached.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::bitset::Bitset;
use crate::cache::{Insert, VisitedCache};
use crate::entry_list::EntryList;
use crate::history::PartitionHistory;
use crate::model::Model;

/// How often (in search steps) a search looks at the clock and the stop flag: rarely enough
/// to cost nothing, often enough to stop within microseconds.
const CONTROL_INTERVAL: u32 = 256;

/// Why a search ended before a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// The time budget ran out.
    Deadline,
    /// The cache reached its entry limit.
    CacheFull,
    /// Another partition was found illegal, which settles the whole check.
    Cancelled,
}

/// The end of one partition's search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Linearizable,
    NotLinearizable,
    Stopped(StopReason),
}

/// Shared by the searches of one check.
pub(crate) struct Control {
    pub(crate) stop: AtomicBool,
    pub(crate) deadline: Option<Instant>,
    pub(crate) max_cache_entries: usize,
}

impl Control {
    fn should_stop(&self) -> Option<StopReason> {
        if self.stop.load(Ordering::Relaxed) {
            return Some(StopReason::Cancelled);
        }
        if self
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            return Some(StopReason::Deadline);
        }
        None
    }
}

pub(crate) struct SearchOutcome {
    pub(crate) verdict: Verdict,
    /// Distinct longest linearizable prefixes (operation ids), longest first: for each
    /// operation, the longest prefix found that includes it. Empty unless asked for.
    pub(crate) partial_linearizations: Vec<Vec<usize>>,
    pub(crate) cache_entries: usize,
}

/// Searches one partition for a linearization.
pub(crate) fn search<M: Model>(
    model: &M,
    partition: &PartitionHistory<M::Input, M::Output>,
    track_longest: bool,
    control: &Control,
) -> SearchOutcome {
    let operations = &partition.operations;
    let mut list = EntryList::new(&partition.entries, operations.len());
    let mut linearized = Bitset::new(operations.len());
    let mut cache = VisitedCache::new(operations.len());
    // The linearization so far: each linearized call, and the state before it.
    let mut calls: Vec<(u32, M::State)> = Vec::with_capacity(operations.len());
    let mut longest = LongestPrefixes::new(operations.len(), track_longest);
    let mut state = model.init();
    let mut node = list.first();
    let mut steps: u32 = 0;

    let verdict = loop {
        if list.is_empty() {
            break Verdict::Linearizable;
        }
        if steps % CONTROL_INTERVAL == 0 {
            if let Some(reason) = control.should_stop() {
                longest.record(&calls, &list);
                break Verdict::Stopped(reason);
            }
        }
        steps = steps.wrapping_add(1);

        if list.is_call(node) {
            let op = list.op(node);
            let operation = &operations[op];
            let Some(next_state) = model.step(&state, &operation.input, &operation.output) else {
                node = list.next(node);
                continue;
            };
            linearized.set(op);
            match cache.insert(&linearized, &next_state, control.max_cache_entries) {
                Insert::Added => {
                    calls.push((node, std::mem::replace(&mut state, next_state)));
                    list.lift(node);
                    node = list.first();
                }
                Insert::Present => {
                    linearized.clear(op);
                    node = list.next(node);
                }
                Insert::Full => {
                    linearized.clear(op);
                    longest.record(&calls, &list);
                    break Verdict::Stopped(StopReason::CacheFull);
                }
            }
        } else {
            // A return whose operation is not linearized yet: nothing pending before it
            // can be placed from here, so undo the latest choice.
            longest.record(&calls, &list);
            let Some((call, previous_state)) = calls.pop() else {
                break Verdict::NotLinearizable;
            };
            state = previous_state;
            linearized.clear(list.op(call));
            list.unlift(call);
            node = list.next(call);
        }
    };
    if verdict == Verdict::Linearizable {
        longest.record_complete(&calls, &list);
    }
    SearchOutcome {
        verdict,
        partial_linearizations: longest.into_distinct(),
        cache_entries: cache.len(),
    }
}

const NO_PREFIX: u32 = u32::MAX;

/// For each operation, the longest linearizable prefix found that includes it. Prefixes are
/// shared between operations and freed when no operation refers to them, so at most one
/// per operation is alive.
struct LongestPrefixes {
    enabled: bool,
    best_of_op: Vec<u32>,
    prefixes: Vec<Vec<usize>>,
    references: Vec<u32>,
    free: Vec<u32>,
}

impl LongestPrefixes {
    fn new(operations: usize, enabled: bool) -> Self {
        LongestPrefixes {
            enabled,
            best_of_op: if enabled {
                vec![NO_PREFIX; operations]
            } else {
                Vec::new()
            },
            prefixes: Vec::new(),
            references: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Offers the current linearization as a longer prefix for each operation in it.
    fn record<S>(&mut self, calls: &[(u32, S)], list: &EntryList) {
        if !self.enabled || calls.is_empty() {
            return;
        }
        let length = calls.len();
        let mut shared: Option<u32> = None;
        for (call, _) in calls {
            let op = list.op(*call);
            let current = self.best_of_op[op];
            if current != NO_PREFIX && self.prefixes[current as usize].len() >= length {
                continue;
            }
            let prefix = *shared.get_or_insert_with(|| {
                let ops: Vec<usize> = calls.iter().map(|(call, _)| list.op(*call)).collect();
                match self.free.pop() {
                    Some(slot) => {
                        self.prefixes[slot as usize] = ops;
                        slot
                    }
                    None => {
                        self.prefixes.push(ops);
                        self.references.push(0);
                        (self.prefixes.len() - 1) as u32
                    }
                }
            });
            self.references[prefix as usize] += 1;
            if current != NO_PREFIX {
                self.release(current);
            }
            self.best_of_op[op] = prefix;
        }
    }

    fn release(&mut self, prefix: u32) {
        self.references[prefix as usize] -= 1;
        if self.references[prefix as usize] == 0 {
            self.prefixes[prefix as usize] = Vec::new();
            self.free.push(prefix);
        }
    }

    /// The search found a complete linearization: it is the longest prefix for everyone.
    fn record_complete<S>(&mut self, calls: &[(u32, S)], list: &EntryList) {
        if !self.enabled {
            return;
        }
        self.prefixes = vec![calls.iter().map(|(call, _)| list.op(*call)).collect()];
        self.references = vec![self.best_of_op.len() as u32];
        self.free.clear();
        self.best_of_op.iter_mut().for_each(|best| *best = 0);
    }

    fn into_distinct(self) -> Vec<Vec<usize>> {
        let mut alive: Vec<u32> = self
            .best_of_op
            .iter()
            .copied()
            .filter(|&best| best != NO_PREFIX)
            .collect();
        alive.sort_unstable();
        alive.dedup();
        let mut prefixes = self.prefixes;
        let mut distinct: Vec<Vec<usize>> = alive
            .into_iter()
            .map(|prefix| std::mem::take(&mut prefixes[prefix as usize]))
            .collect();
        // Longest first; equal lengths in a fixed order so pages are reproducible.
        distinct.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        distinct
    }
}
