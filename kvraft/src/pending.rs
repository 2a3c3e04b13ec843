//! The RPCs waiting for their commands: one per log index at which a request was proposed,
//! answered when that index is applied. Generic over what an applied command answers, so
//! that other services on Raft (the shard controller) wait the same way.

use std::collections::BTreeMap;

use futures::channel::oneshot;
use lab_runtime::time::{timeout, Duration, Instant};

use crate::common::RequestId;

/// How often a waiting RPC asks Raft whether its leader still leads in the same term: a
/// leader that lost its leadership says so within this time instead of waiting on.
pub const LEADERSHIP_POLL: Duration = Duration::from_millis(50);
/// How long an RPC waits for its command at most: a leader cut off from the majority does
/// not learn it lost, so the clerk is sent on to try the other servers.
pub const COMMIT_WAIT: Duration = Duration::from_millis(500);

/// What a waiting RPC learns about its index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<V> {
    /// Its command was applied there, with this result.
    Applied(V),
    /// Another command took the index (the proposing leader lost leadership), or a
    /// snapshot covered it: the clerk must retry, perhaps elsewhere.
    Lost,
}

pub struct Pending<V> {
    waiting: BTreeMap<u64, (RequestId, oneshot::Sender<Answer<V>>)>,
}

impl<V> Default for Pending<V> {
    fn default() -> Self {
        Pending {
            waiting: BTreeMap::new(),
        }
    }
}

impl<V> Pending<V> {
    /// Waits for request `id`, proposed at `index`. An older waiter at the same index (from
    /// an earlier term) has lost it.
    pub fn register(&mut self, index: u64, id: RequestId) -> oneshot::Receiver<Answer<V>> {
        let (tx, rx) = oneshot::channel();
        if let Some((_, old)) = self.waiting.insert(index, (id, tx)) {
            let _ = old.send(Answer::Lost);
        }
        rx
    }

    /// The command of request `id` was applied at `index` with result `value`: its waiter,
    /// if it sent this command, gets the result, and otherwise learns it lost the index.
    pub fn applied(&mut self, index: u64, id: RequestId, value: V) {
        self.lose_through(index.saturating_sub(1));
        if let Some((waiter, tx)) = self.waiting.remove(&index) {
            let answer = if waiter == id {
                Answer::Applied(value)
            } else {
                Answer::Lost
            };
            let _ = tx.send(answer);
        }
    }

    /// Every waiter through `index` lost its index (a snapshot replaced them).
    pub fn lose_through(&mut self, index: u64) {
        let later = self.waiting.split_off(&(index.saturating_add(1)));
        for (_, (_, tx)) in std::mem::replace(&mut self.waiting, later) {
            let _ = tx.send(Answer::Lost);
        }
    }
}

/// Waits for the answer `applied` brings, asking `still_leads` every `LEADERSHIP_POLL`
/// whether the proposing leader still leads in its term: `Lost` as soon as it does not, and
/// `None` if nothing came within `COMMIT_WAIT`.
pub async fn wait<V>(
    applied: &mut oneshot::Receiver<Answer<V>>,
    still_leads: impl Fn() -> bool,
) -> Option<Answer<V>> {
    let deadline = Instant::now() + COMMIT_WAIT;
    loop {
        match timeout(LEADERSHIP_POLL, &mut *applied).await {
            Ok(Ok(answer)) => return Some(answer),
            // The applier is gone: the server was killed.
            Ok(Err(_)) => return Some(Answer::Lost),
            Err(_) => {}
        }
        if !still_leads() {
            return Some(Answer::Lost);
        }
        if Instant::now() >= deadline {
            return None;
        }
    }
}
