//! The RPCs waiting for their commands: one per log index at which a request was proposed,
//! answered when that index is applied.

use std::collections::BTreeMap;

use futures::channel::oneshot;

use crate::common::{Outcome, RequestId};
use crate::store::Applied;

/// What a waiting RPC learns about its index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Its command was applied there, with this outcome and value.
    Applied { outcome: Outcome, value: String },
    /// Another command took the index (the proposing leader lost leadership), or a
    /// snapshot covered it: the clerk must retry, perhaps elsewhere.
    Lost,
}

#[derive(Default)]
pub(crate) struct Pending {
    waiting: BTreeMap<u64, (RequestId, oneshot::Sender<Answer>)>,
}

impl Pending {
    /// Waits for request `id`, proposed at `index`. An older waiter at the same index (from
    /// an earlier term) has lost it.
    pub(crate) fn register(&mut self, index: u64, id: RequestId) -> oneshot::Receiver<Answer> {
        let (tx, rx) = oneshot::channel();
        if let Some((_, old)) = self.waiting.insert(index, (id, tx)) {
            let _ = old.send(Answer::Lost);
        }
        rx
    }

    /// The command at `applied.index` was applied: its waiter, if it sent this command,
    /// gets the result, and otherwise learns it lost the index.
    pub(crate) fn applied(&mut self, applied: &Applied) {
        self.lose_through(applied.index.saturating_sub(1));
        if let Some((id, tx)) = self.waiting.remove(&applied.index) {
            let answer = if id == applied.id {
                Answer::Applied {
                    outcome: applied.outcome,
                    value: applied.value.clone(),
                }
            } else {
                Answer::Lost
            };
            let _ = tx.send(answer);
        }
    }

    /// Every waiter through `index` lost its index (a snapshot replaced them).
    pub(crate) fn lose_through(&mut self, index: u64) {
        let later = self.waiting.split_off(&(index + 1));
        for (_, (_, tx)) in std::mem::replace(&mut self.waiting, later) {
            let _ = tx.send(Answer::Lost);
        }
    }
}
