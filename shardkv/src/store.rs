//! The replicated state machine of one group: each shard's keys, duplicate table and
//! state, the current and the previous configuration, changed only by the commands Raft
//! applies, in log order. Pure: no tasks, no locks, no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shardctrler::{Config, Gid, NSHARDS};
use tester::shardkv::key2shard;

use crate::common::{Command, Op, Outcome, RequestId};

/// One shard's keys, and for each clerk the number of its last Put or Append applied to
/// the shard. The table moves with the shard: the new owner must recognise a retry of a
/// write the old owner applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardData {
    pub data: BTreeMap<String, String>,
    pub last_write: BTreeMap<u64, u64>,
}

/// Where a shard stands in the configuration change under way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Settled: served if the current configuration gives it to this group.
    #[default]
    Serving,
    /// Gained in the current configuration; its keys have not arrived from the previous
    /// owner. Not served.
    Pulling,
    /// Lost in the current configuration; kept, unchanged, until the new owner has it.
    Handing,
    /// Arrived from the previous owner, which has not yet confirmed it deleted its copy.
    /// Served.
    Confirming,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Shard {
    status: Status,
    data: ShardData,
}

/// What applying one command produced, for the RPC waiting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub index: u64,
    pub id: RequestId,
    pub outcome: Outcome,
    /// A `Get`'s value; empty otherwise.
    pub value: String,
}

/// The shards one group must ask another for (or tell it to delete): that group's servers
/// in the previous configuration, and the shards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub gid: Gid,
    pub servers: Vec<String>,
    pub config_num: u64,
    pub shards: Vec<usize>,
}

/// The state machine. Its serialized form is the group's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    gid: Gid,
    shards: Vec<Shard>,
    current: Config,
    previous: Config,
    /// The index of the last command applied.
    last_applied: u64,
}

/// A snapshot the group refuses to start from.
#[derive(Debug, thiserror::Error)]
pub enum CorruptSnapshot {
    #[error("the snapshot does not decode as a shard store: {0}")]
    Decode(#[from] labgob::Error),
    #[error("the snapshot holds {0} shards, not {NSHARDS}")]
    Shards(usize),
    #[error("the snapshot is group {found}'s, not group {wanted}'s")]
    Group { found: Gid, wanted: Gid },
}

impl Store {
    /// Group `gid`'s state before any configuration.
    pub fn new(gid: Gid) -> Self {
        Store {
            gid,
            shards: vec![Shard::default(); NSHARDS],
            current: Config::default(),
            previous: Config::default(),
            last_applied: 0,
        }
    }

    /// Group `gid`'s state a snapshot holds; the empty snapshot is the initial state.
    pub fn restore(snapshot: &[u8], gid: Gid) -> Result<Self, CorruptSnapshot> {
        if snapshot.is_empty() {
            return Ok(Self::new(gid));
        }
        let store: Store = labgob::decode(snapshot)?;
        if store.shards.len() != NSHARDS {
            return Err(CorruptSnapshot::Shards(store.shards.len()));
        }
        if store.gid != gid {
            return Err(CorruptSnapshot::Group {
                found: store.gid,
                wanted: gid,
            });
        }
        Ok(store)
    }

    /// The state as a snapshot.
    pub fn snapshot(&self) -> Vec<u8> {
        labgob::encode(self).unwrap_or_else(|err| panic!("a shard store always encodes: {err}"))
    }

    pub fn last_applied(&self) -> u64 {
        self.last_applied
    }

    /// The current configuration's number.
    pub fn config_num(&self) -> u64 {
        self.current.num
    }

    /// Whether the group serves `key` now: its shard is the group's in the current
    /// configuration and its keys are here (challenge 2: whatever else is moving).
    pub fn serves(&self, key: &str) -> bool {
        let shard = key2shard(key);
        self.current.shards[shard] == self.gid
            && matches!(
                self.shards[shard].status,
                Status::Serving | Status::Confirming
            )
    }

    /// Whether the write `id` to `key`'s shard was applied already.
    pub fn is_applied_write(&self, key: &str, id: RequestId) -> bool {
        let table = &self.shards[key2shard(key)].data.last_write;
        table.get(&id.client).is_some_and(|&seq| id.seq <= seq)
    }

    /// Whether every shard is settled, so that the group may move to the next
    /// configuration.
    pub fn settled(&self) -> bool {
        self.shards.iter().all(|s| s.status == Status::Serving)
    }

    /// The shards still to pull, by previous owner.
    pub fn to_pull(&self) -> Vec<Transfer> {
        self.transfers(Status::Pulling)
    }

    /// The shards whose previous owner must still be told to delete them, by owner.
    pub fn to_confirm(&self) -> Vec<Transfer> {
        self.transfers(Status::Confirming)
    }

    fn transfers(&self, status: Status) -> Vec<Transfer> {
        let mut by_gid: BTreeMap<Gid, Vec<usize>> = BTreeMap::new();
        for (shard, s) in self.shards.iter().enumerate() {
            if s.status == status {
                by_gid
                    .entry(self.previous.shards[shard])
                    .or_default()
                    .push(shard);
            }
        }
        by_gid
            .into_iter()
            .map(|(gid, shards)| Transfer {
                gid,
                servers: self.previous.groups.get(&gid).cloned().unwrap_or_default(),
                config_num: self.current.num,
                shards,
            })
            .collect()
    }

    /// The shards a group that gained them in configuration `config_num` asks for: `None`
    /// until this group has reached that configuration (it may still write to them).
    pub fn handed(&self, config_num: u64, shards: &[usize]) -> Option<BTreeMap<usize, ShardData>> {
        if self.current.num < config_num {
            return None;
        }
        let copies = shards.iter().filter_map(|&shard| {
            let s = self.shards.get(shard)?;
            Some((shard, s.data.clone()))
        });
        Some(copies.collect())
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
            Op::Get { key } | Op::Put { key, .. } | Op::Append { key, .. }
                if !self.serves(&key) =>
            {
                (Outcome::WrongGroup, String::new())
            }
            Op::Get { key } => match self.shards[key2shard(&key)].data.data.get(&key) {
                Some(value) => (Outcome::Ok, value.clone()),
                None => (Outcome::NoKey, String::new()),
            },
            Op::Put { key, .. } | Op::Append { key, .. } if self.is_applied_write(&key, id) => {
                log::trace!(target: "shardkv::store", "G{}: a retry of {id:?} on {key:?}", self.gid);
                (Outcome::Ok, String::new())
            }
            Op::Put { key, value } => {
                let shard = &mut self.shards[key2shard(&key)].data;
                shard.data.insert(key, value);
                shard.last_write.insert(id.client, id.seq);
                (Outcome::Ok, String::new())
            }
            Op::Append { key, value } => {
                let shard = &mut self.shards[key2shard(&key)].data;
                shard.data.entry(key).or_default().push_str(&value);
                shard.last_write.insert(id.client, id.seq);
                (Outcome::Ok, String::new())
            }
            Op::Config(next) => {
                self.next_config(next);
                (Outcome::Ok, String::new())
            }
            Op::Insert { config_num, shards } => {
                self.insert(config_num, shards);
                (Outcome::Ok, String::new())
            }
            Op::Delete { config_num, shards } => (self.delete(config_num, &shards), String::new()),
            Op::Noop => (Outcome::Ok, String::new()),
        };
        Some(Applied {
            index,
            id,
            outcome,
            value,
        })
    }

    /// Moves to `next` if it is the next configuration and every shard is settled; an
    /// older or repeated one, proposed by a leader that polled twice, is ignored.
    fn next_config(&mut self, next: Config) {
        if next.num != self.current.num + 1 || !self.settled() {
            return;
        }
        for shard in 0..NSHARDS {
            let (before, after) = (self.current.shards[shard], next.shards[shard]);
            if after == self.gid && before != self.gid {
                // From gid 0 (no group) there is nothing to pull: the shard starts empty
                // (or as this group last held it).
                if before != 0 {
                    self.shards[shard].status = Status::Pulling;
                }
            } else if before == self.gid && after != self.gid && after != 0 {
                // Kept for the new owner; a shard given to no group stays as it is.
                self.shards[shard].status = Status::Handing;
            }
        }
        log::debug!(target: "shardkv::store", "G{}: configuration {} {:?}", self.gid, next.num, next.shards);
        self.previous = std::mem::replace(&mut self.current, next);
    }

    /// The shards pulled for configuration `config_num` arrive: those still awaited are
    /// served from now on. A late or repeated arrival is ignored.
    fn insert(&mut self, config_num: u64, shards: BTreeMap<usize, ShardData>) {
        if config_num != self.current.num {
            return;
        }
        for (shard, data) in shards {
            if let Some(s) = self.shards.get_mut(shard) {
                if s.status == Status::Pulling {
                    *s = Shard {
                        status: Status::Confirming,
                        data,
                    };
                }
            }
        }
    }

    /// For configuration `config_num`: shards handed over are deleted, shards received
    /// are settled. Already done (or a later configuration): nothing to do.
    fn delete(&mut self, config_num: u64, shards: &[usize]) -> Outcome {
        if config_num < self.current.num {
            return Outcome::Ok;
        }
        if config_num > self.current.num {
            return Outcome::NotReady;
        }
        for &shard in shards {
            let Some(s) = self.shards.get_mut(shard) else {
                continue;
            };
            match s.status {
                Status::Handing => *s = Shard::default(),
                Status::Confirming => s.status = Status::Serving,
                Status::Serving | Status::Pulling => {}
            }
        }
        Outcome::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(num: u64, shards: [Gid; NSHARDS]) -> Config {
        let mut groups = BTreeMap::new();
        for &g in shards.iter().filter(|&&g| g != 0) {
            groups.insert(g, vec![format!("server-{g}-0")]);
        }
        Config {
            num,
            shards,
            groups,
        }
    }

    fn command(client: u64, seq: u64, op: Op) -> Command {
        Command {
            id: RequestId { client, seq },
            op,
        }
    }

    fn put(key: &str, value: &str) -> Op {
        Op::Put {
            key: key.into(),
            value: value.into(),
        }
    }

    fn get(key: &str) -> Op {
        Op::Get { key: key.into() }
    }

    // Key "0" is in shard 8, key "1" in shard 9.
    const A: Gid = 100;
    const B: Gid = 101;

    #[test]
    fn a_shard_moves_with_its_duplicate_table_and_is_deleted_after() {
        let mut a = Store::new(A);
        let mut b = Store::new(B);
        let c1 = config(1, [A; NSHARDS]);
        let mut shards = [A; NSHARDS];
        shards[8] = B;
        let c2 = config(2, shards);
        a.apply(1, command(0, 0, Op::Config(c1.clone())));
        b.apply(1, command(0, 0, Op::Config(c1)));
        a.apply(2, command(7, 1, put("0", "x")));
        a.apply(3, command(0, 0, Op::Config(c2.clone())));
        b.apply(2, command(0, 0, Op::Config(c2)));
        // B may not serve shard 8 before it arrives, nor A after it lost it.
        assert!(!b.serves("0") && !a.serves("0") && a.serves("1"));
        let pulls = b.to_pull();
        assert_eq!(pulls.len(), 1);
        assert_eq!((pulls[0].gid, pulls[0].shards.clone()), (A, vec![8]));
        let data = a.handed(2, &[8]).expect("A reached configuration 2");
        b.apply(
            3,
            command(
                0,
                0,
                Op::Insert {
                    config_num: 2,
                    shards: data,
                },
            ),
        );
        assert!(b.serves("0"));
        // A retry of the write A applied is recognised at B.
        b.apply(4, command(7, 1, put("0", "again")));
        let read = b.apply(5, command(8, 1, get("0"))).expect("applied");
        assert_eq!(read.value, "x");
        // Neither group moves on before the deletion is confirmed.
        assert!(!a.settled() && !b.settled());
        let delete = Op::Delete {
            config_num: 2,
            shards: vec![8],
        };
        a.apply(4, command(0, 0, delete.clone()));
        b.apply(6, command(0, 0, delete));
        assert!(a.settled() && b.settled());
        assert_eq!(a.shards[8], Shard::default());
    }

    #[test]
    fn configurations_apply_one_at_a_time_in_order() {
        let mut a = Store::new(A);
        a.apply(1, command(0, 0, Op::Config(config(2, [A; NSHARDS]))));
        assert_eq!(a.config_num(), 0);
        a.apply(2, command(0, 0, Op::Config(config(1, [A; NSHARDS]))));
        a.apply(3, command(0, 0, Op::Config(config(1, [B; NSHARDS]))));
        assert_eq!(a.config_num(), 1);
        assert!(a.serves("0"));
    }

    #[test]
    fn the_snapshot_keeps_everything_and_names_its_group() {
        let mut a = Store::new(A);
        a.apply(1, command(0, 0, Op::Config(config(1, [A; NSHARDS]))));
        a.apply(2, command(7, 1, put("0", "x")));
        let restored = Store::restore(&a.snapshot(), A).expect("decodes");
        assert_eq!(restored, a);
        assert!(matches!(
            Store::restore(&a.snapshot(), B),
            Err(CorruptSnapshot::Group { .. })
        ));
        assert!(Store::restore(&[0xff, 3], A).is_err());
    }
}
