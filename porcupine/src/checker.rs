//! The public checks: split the history with the model's partition function, search the
//! partitions in parallel, and combine their verdicts.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::history::{self, PartitionHistory};
use crate::info::{LinearizationInfo, PartitionInfo};
use crate::model::{CheckResult, EventHistory, Model, Operation};
use crate::search::{search, Control, SearchOutcome, StopReason, Verdict};

/// How a check runs. The default: no time budget, no cache limit, no info, one thread per
/// core.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// The time budget; `None` checks until a verdict. When it runs out the result is
    /// `Unknown` (unless some partition was already found `Illegal`). `Some(Duration::ZERO)`
    /// gives `Unknown` at once for any non-empty history.
    pub timeout: Option<Duration>,
    /// The most configurations one partition's search may cache; `None` is no limit. A
    /// search that would exceed it stops, and the check says `Unknown` (unless another
    /// partition is `Illegal`). Searches run one per thread, so the cache memory of a check
    /// is at most `threads * max_cache_entries` entries (see the crate documentation).
    pub max_cache_entries: Option<usize>,
    /// Whether to collect the [`LinearizationInfo`] (the longest linearizable prefixes)
    /// that [`crate::visualize`] draws. Without it, the check also stops at the first
    /// `Illegal` partition instead of finishing the others.
    pub compute_info: bool,
    /// How many partitions to search at once; `None` is one per available core.
    pub threads: Option<usize>,
}

/// Checks whether `history` is linearizable with respect to `model`, within `timeout`
/// (`None`: no limit).
///
/// # Panics
/// If `model.partition` names an index outside `history`, or an operation returns before it
/// is called.
pub fn check_operations<M: Model + Sync>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    timeout: Option<Duration>,
) -> CheckResult {
    let options = CheckOptions {
        timeout,
        ..CheckOptions::default()
    };
    check_operations_with(model, history, &options).0
}

/// Like [`check_operations`], and also returns the partitions and the longest linearizable
/// prefixes found, for [`crate::visualize`].
pub fn check_operations_verbose<M: Model + Sync>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    timeout: Option<Duration>,
) -> (CheckResult, LinearizationInfo<M::Input, M::Output>) {
    let options = CheckOptions {
        timeout,
        compute_info: true,
        ..CheckOptions::default()
    };
    check_operations_with(model, history, &options)
}

/// Checks an operation history with explicit [`CheckOptions`]. The info is empty unless
/// `options.compute_info`.
pub fn check_operations_with<M: Model + Sync>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    options: &CheckOptions,
) -> (CheckResult, LinearizationInfo<M::Input, M::Output>) {
    let start = Instant::now();
    let partitions = history::from_operations(history, model.partition(history));
    check_partitions(model, partitions, options, start)
}

/// Checks whether an event history is linearizable with respect to `model`, within
/// `timeout` (`None`: no limit).
///
/// # Panics
/// If the history is malformed: an event whose `kind` disagrees with its `value`, a return
/// with no open call of its id, an id called twice, or a call that never returns (give such
/// a call a return at the end with an output meaning "unknown", as the etcd model does).
pub fn check_events<M: Model + Sync>(
    model: &M,
    history: &EventHistory<M>,
    timeout: Option<Duration>,
) -> CheckResult {
    let options = CheckOptions {
        timeout,
        ..CheckOptions::default()
    };
    check_events_with(model, history, &options).0
}

/// Like [`check_events`], and also returns the info for [`crate::visualize`].
pub fn check_events_verbose<M: Model + Sync>(
    model: &M,
    history: &EventHistory<M>,
    timeout: Option<Duration>,
) -> (CheckResult, LinearizationInfo<M::Input, M::Output>) {
    let options = CheckOptions {
        timeout,
        compute_info: true,
        ..CheckOptions::default()
    };
    check_events_with(model, history, &options)
}

/// Checks an event history with explicit [`CheckOptions`].
pub fn check_events_with<M: Model + Sync>(
    model: &M,
    history: &EventHistory<M>,
    options: &CheckOptions,
) -> (CheckResult, LinearizationInfo<M::Input, M::Output>) {
    let start = Instant::now();
    let partitions = history::from_events(history, model.partition_events(history));
    check_partitions(model, partitions, options, start)
}

fn check_partitions<M: Model + Sync>(
    model: &M,
    partitions: Vec<PartitionHistory<M::Input, M::Output>>,
    options: &CheckOptions,
    start: Instant,
) -> (CheckResult, LinearizationInfo<M::Input, M::Output>) {
    if partitions.is_empty() {
        return (CheckResult::Ok, LinearizationInfo::default());
    }
    let control = Control {
        stop: AtomicBool::new(false),
        // A budget too large to add to the clock is no budget.
        deadline: options
            .timeout
            .and_then(|timeout| start.checked_add(timeout)),
        max_cache_entries: options.max_cache_entries.unwrap_or(usize::MAX),
    };
    let outcomes = search_all(model, &partitions, options, &control);

    let verdicts = outcomes.iter().map(|outcome| outcome.verdict);
    let result = if verdicts.clone().any(|v| v == Verdict::NotLinearizable) {
        CheckResult::Illegal
    } else if verdicts.clone().all(|v| v == Verdict::Linearizable) {
        CheckResult::Ok
    } else {
        CheckResult::Unknown
    };
    if !options.compute_info {
        return (result, LinearizationInfo::default());
    }
    let partitions = partitions
        .into_iter()
        .zip(outcomes)
        .map(|(partition, outcome)| PartitionInfo {
            operations: partition.operations,
            history_indices: partition.history_indices,
            partial_linearizations: outcome.partial_linearizations,
            result: match outcome.verdict {
                Verdict::Linearizable => CheckResult::Ok,
                Verdict::NotLinearizable => CheckResult::Illegal,
                Verdict::Stopped(_) => CheckResult::Unknown,
            },
            cache_entries: outcome.cache_entries,
        })
        .collect();
    (result, LinearizationInfo { partitions })
}

/// Searches every partition, the largest first, on a few threads; returns the outcomes in
/// partition order.
fn search_all<M: Model + Sync>(
    model: &M,
    partitions: &[PartitionHistory<M::Input, M::Output>],
    options: &CheckOptions,
    control: &Control,
) -> Vec<SearchOutcome> {
    let mut order: Vec<usize> = (0..partitions.len()).collect();
    order.sort_by_key(|&index| std::cmp::Reverse(partitions[index].entries.len()));
    let threads = options
        .threads
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, partitions.len());
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let taken = next.fetch_add(1, Ordering::Relaxed);
            let Some(&index) = order.get(taken) else {
                break done;
            };
            let outcome = search(model, &partitions[index], options.compute_info, control);
            // Without info to collect, one illegal partition decides the check.
            if outcome.verdict == Verdict::NotLinearizable && !options.compute_info {
                control.stop.store(true, Ordering::Relaxed);
            }
            done.push((index, outcome));
        }
    };
    let finished: Vec<(usize, SearchOutcome)> = thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut finished = work();
        for helper in helpers {
            match helper.join() {
                Ok(done) => finished.extend(done),
                // A model that panicked: pass its panic on to the caller.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        finished
    });
    let mut outcomes: Vec<Option<SearchOutcome>> = (0..partitions.len()).map(|_| None).collect();
    for (index, outcome) in finished {
        outcomes[index] = Some(outcome);
    }
    outcomes
        .into_iter()
        .map(|outcome| {
            // Every index is taken by exactly one worker; a gap would be a bug here, and
            // saying Unknown for it is the honest answer.
            outcome.unwrap_or(SearchOutcome {
                verdict: Verdict::Stopped(StopReason::Cancelled),
                partial_linearizations: Vec::new(),
                cache_entries: 0,
            })
        })
        .collect()
}
