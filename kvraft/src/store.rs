//! The replicated state machine: the key/value map and each clerk's last request, changed
//! only by the commands Raft applies, in log order. Pure: no tasks, no locks, no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::common::{Command, Op, Outcome, RequestId};

/// What applying one command produced, for the RPC waiting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub index: u64,
    pub id: RequestId,
    pub outcome: Outcome,
    /// A `Get`'s value; empty otherwise.
    pub value: String,
}

/// The state machine. Its serialized form is the service's snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    data: BTreeMap<String, String>,
    /// For each clerk, the number of its last Put or Append applied: a clerk sends one
    /// request at a time, so a retry of an older or the same number is a duplicate. It is
    /// part of the snapshot: a server restored without it would apply a retry again.
    last_write: BTreeMap<u64, u64>,
    /// The index of the last command applied.
    last_applied: u64,
}

/// A snapshot that does not decode: the service refuses to start from it.
#[derive(Debug, thiserror::Error)]
#[error("the snapshot does not decode as a key/value store: {0}")]
pub struct CorruptSnapshot(#[from] labgob::Error);

impl Store {
    pub fn new() -> Self {
        Self::default()
    }

    /// The store a snapshot holds; the empty snapshot is the empty store.
    pub fn restore(snapshot: &[u8]) -> Result<Self, CorruptSnapshot> {
        if snapshot.is_empty() {
            return Ok(Self::new());
        }
        Ok(labgob::decode(snapshot)?)
    }

    /// The store as a snapshot.
    pub fn snapshot(&self) -> Vec<u8> {
        labgob::encode(self).unwrap_or_else(|err| panic!("a store always encodes: {err}"))
    }

    pub fn last_applied(&self) -> u64 {
        self.last_applied
    }

    /// Whether the Put or Append `id` was applied already.
    pub fn is_applied_write(&self, id: RequestId) -> bool {
        self.last_write
            .get(&id.client)
            .is_some_and(|&seq| id.seq <= seq)
    }

    /// Applies the command Raft committed at `index`. A command at or below the last
    /// applied index (already covered by a snapshot) is ignored: `None`.
    pub fn apply(&mut self, index: u64, command: Command) -> Option<Applied> {
        if index <= self.last_applied {
            return None;
        }
        self.last_applied = index;
        let Command { id, op } = command;
        let (outcome, value) = match op {
            Op::Get { key } => match self.data.get(&key) {
                Some(value) => (Outcome::Ok, value.clone()),
                None => (Outcome::NoKey, String::new()),
            },
            Op::Put { .. } | Op::Append { .. } if self.is_applied_write(id) => {
                (Outcome::Ok, String::new())
            }
            Op::Put { key, value } => {
                self.data.insert(key, value);
                self.last_write.insert(id.client, id.seq);
                (Outcome::Ok, String::new())
            }
            Op::Append { key, value } => {
                self.data.entry(key).or_default().push_str(&value);
                self.last_write.insert(id.client, id.seq);
                (Outcome::Ok, String::new())
            }
        };
        Some(Applied {
            index,
            id,
            outcome,
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn append(client: u64, seq: u64, value: &str) -> Command {
        Command {
            id: RequestId { client, seq },
            op: Op::Append {
                key: "k".into(),
                value: value.into(),
            },
        }
    }

    fn get(client: u64, seq: u64) -> Command {
        Command {
            id: RequestId { client, seq },
            op: Op::Get { key: "k".into() },
        }
    }

    #[test]
    fn a_retried_write_is_applied_once() {
        let mut store = Store::new();
        store.apply(1, append(7, 1, "a"));
        let retry = store
            .apply(2, append(7, 1, "a"))
            .expect("a new index applies");
        assert_eq!(retry.outcome, Outcome::Ok);
        let read = store.apply(3, get(8, 1)).expect("a new index applies");
        assert_eq!(read.value, "a");
    }

    #[test]
    fn an_index_already_applied_is_ignored() {
        let mut store = Store::new();
        store.apply(1, append(7, 1, "a"));
        assert_eq!(store.apply(1, append(7, 2, "b")), None);
        assert_eq!(store.last_applied(), 1);
    }

    #[test]
    fn a_get_of_a_missing_key_is_empty() {
        let mut store = Store::new();
        let read = store.apply(1, get(1, 1)).expect("a new index applies");
        assert_eq!((read.outcome, read.value.as_str()), (Outcome::NoKey, ""));
    }

    #[test]
    fn the_snapshot_keeps_the_data_and_the_duplicate_table() {
        let mut store = Store::new();
        store.apply(1, append(7, 1, "a"));
        let mut restored = Store::restore(&store.snapshot()).expect("a snapshot decodes");
        assert_eq!(restored, store);
        restored.apply(2, append(7, 1, "a"));
        let read = restored.apply(3, get(8, 1)).expect("a new index applies");
        assert_eq!(read.value, "a");
    }

    #[test]
    fn a_corrupt_snapshot_is_an_error() {
        let mut bytes = Store::new().snapshot();
        bytes.truncate(bytes.len() / 2);
        bytes.push(0xff);
        assert!(Store::restore(&bytes).is_err());
    }
}
