//! The replicated state machine: every configuration so far and each clerk's last change,
//! changed only by the commands Raft applies, in log order. Pure: no tasks, no locks, no
//! I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tester::ctrler::{Config, Gid, NSHARDS};

use crate::common::{Command, Op, RequestId};

/// What applying one command produced, for the RPC waiting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub index: u64,
    pub id: RequestId,
    /// A Query's configuration; `None` for a change.
    pub config: Option<Config>,
}

/// The state machine. Its serialized form is a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configs {
    /// Indexed by number; configuration 0 is always there.
    configs: Vec<Config>,
    /// For each clerk, the number of its last Join, Leave or Move applied: a clerk sends
    /// one request at a time, so a retry of that number or an older one is a duplicate.
    last_change: BTreeMap<u64, u64>,
    /// The index of the last command applied.
    last_applied: u64,
}

impl Default for Configs {
    fn default() -> Self {
        Configs {
            configs: vec![Config::default()],
            last_change: BTreeMap::new(),
            last_applied: 0,
        }
    }
}

/// A snapshot the controller refuses to start from.
#[derive(Debug, thiserror::Error)]
pub enum CorruptSnapshot {
    #[error("the snapshot does not decode as the controller's configurations: {0}")]
    Decode(#[from] labgob::Error),
    #[error("the snapshot holds no configuration, not even configuration 0")]
    Empty,
}

/// How the shards are spread after a Join or Leave (see `crate::balance`).
pub type Rebalance = fn(&mut [Gid; NSHARDS], &[Gid]);

impl Configs {
    pub fn new() -> Self {
        Self::default()
    }

    /// The state a snapshot holds; the empty snapshot is the initial state.
    pub fn restore(snapshot: &[u8]) -> Result<Self, CorruptSnapshot> {
        if snapshot.is_empty() {
            return Ok(Self::new());
        }
        let configs: Configs = labgob::decode(snapshot)?;
        if configs.configs.is_empty() {
            return Err(CorruptSnapshot::Empty);
        }
        Ok(configs)
    }

    pub fn last_applied(&self) -> u64 {
        self.last_applied
    }

    /// The latest configuration.
    pub fn latest(&self) -> &Config {
        // Never empty: configuration 0 is there from the start, and `restore` refuses a
        // snapshot without it.
        &self.configs[self.configs.len() - 1]
    }

    /// Configuration `num`, or the latest for `None` or a number past it.
    pub fn query(&self, num: Option<u64>) -> &Config {
        num.and_then(|n| usize::try_from(n).ok())
            .and_then(|n| self.configs.get(n))
            .unwrap_or_else(|| self.latest())
    }

    /// Whether the change `id` was applied already.
    pub fn is_applied_change(&self, id: RequestId) -> bool {
        self.last_change
            .get(&id.client)
            .is_some_and(|&seq| id.seq <= seq)
    }

    /// Applies the command Raft committed at `index`, spreading shards with `rebalance`. A
    /// command at or below the last applied index is ignored: `None`.
    pub fn apply(&mut self, index: u64, command: Command, rebalance: Rebalance) -> Option<Applied> {
        if index <= self.last_applied {
            return None;
        }
        self.last_applied = index;
        let Command { id, op } = command;
        let config = match op {
            Op::Query { num } => Some(self.query(num).clone()),
            _ if self.is_applied_change(id) => None,
            change => {
                let next = self.next(change, rebalance);
                self.configs.push(next);
                self.last_change.insert(id.client, id.seq);
                None
            }
        };
        Some(Applied { index, id, config })
    }

    /// The configuration after the latest that `change` makes.
    fn next(&self, change: Op, rebalance: Rebalance) -> Config {
        let mut next = self.latest().clone();
        next.num += 1;
        match change {
            Op::Join { servers } => {
                for (gid, servers) in servers {
                    // Gid 0 means "no group"; a clerk that names it is ignored there.
                    if gid == 0 {
                        log::warn!(target: "shardctrler", "a Join of gid 0 ignored");
                        continue;
                    }
                    next.groups.insert(gid, servers);
                }
                let gids: Vec<Gid> = next.groups.keys().copied().collect();
                rebalance(&mut next.shards, &gids);
            }
            Op::Leave { gids } => {
                for gid in gids {
                    next.groups.remove(&gid);
                }
                let gids: Vec<Gid> = next.groups.keys().copied().collect();
                rebalance(&mut next.shards, &gids);
            }
            Op::Move { shard, gid } => match next.shards.get_mut(shard) {
                Some(owner) => *owner = gid,
                // Out of range: the configuration is made, unchanged, so that the clerk
                // is answered.
                None => log::warn!(target: "shardctrler", "a Move of shard {shard} ignored"),
            },
            Op::Query { .. } => {}
        }
        next
    }

    /// The state as a snapshot.
    pub fn snapshot(&self) -> Vec<u8> {
        labgob::encode(self).unwrap_or_else(|err| panic!("configurations always encode: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balance::{Balance, MinimalMoves};

    fn command(client: u64, seq: u64, op: Op) -> Command {
        Command {
            id: RequestId { client, seq },
            op,
        }
    }

    fn join(gid: Gid) -> Op {
        Op::Join {
            servers: [(gid, vec![format!("s{gid}")])].into_iter().collect(),
        }
    }

    const REBALANCE: Rebalance = MinimalMoves::rebalance;

    #[test]
    fn configuration_0_has_no_groups() {
        let configs = Configs::new();
        assert_eq!(configs.query(None), &Config::default());
        assert_eq!(configs.query(Some(7)).num, 0);
    }

    #[test]
    fn each_change_makes_the_next_configuration() {
        let mut configs = Configs::new();
        configs.apply(1, command(1, 1, join(5)), REBALANCE);
        configs.apply(2, command(1, 2, join(6)), REBALANCE);
        configs.apply(3, command(1, 3, Op::Move { shard: 0, gid: 6 }), REBALANCE);
        configs.apply(4, command(1, 4, Op::Leave { gids: vec![5] }), REBALANCE);
        assert_eq!(configs.latest().num, 4);
        assert_eq!(configs.query(Some(1)).shards, [5; NSHARDS]);
        assert_eq!(configs.query(Some(3)).shards[0], 6);
        assert_eq!(configs.latest().shards, [6; NSHARDS]);
        let read = configs.apply(5, command(2, 1, Op::Query { num: Some(2) }), REBALANCE);
        let config = read.and_then(|a| a.config).expect("a query answers");
        assert_eq!(config.groups.len(), 2);
    }

    #[test]
    fn a_retried_change_is_applied_once() {
        let mut configs = Configs::new();
        configs.apply(1, command(1, 1, join(5)), REBALANCE);
        configs.apply(2, command(1, 1, join(5)), REBALANCE);
        assert_eq!(configs.latest().num, 1);
    }

    #[test]
    fn bad_input_changes_nothing_but_the_number() {
        let mut configs = Configs::new();
        configs.apply(1, command(1, 1, join(0)), REBALANCE);
        configs.apply(2, command(1, 2, Op::Move { shard: 99, gid: 1 }), REBALANCE);
        assert_eq!(configs.latest().num, 2);
        assert_eq!(configs.latest().groups.len(), 0);
        assert_eq!(configs.latest().shards, [0; NSHARDS]);
    }

    #[test]
    fn the_snapshot_keeps_the_configurations_and_the_duplicate_table() {
        let mut configs = Configs::new();
        configs.apply(1, command(1, 1, join(5)), REBALANCE);
        let mut restored = Configs::restore(&configs.snapshot()).expect("a snapshot decodes");
        assert_eq!(restored, configs);
        restored.apply(2, command(1, 1, join(5)), REBALANCE);
        assert_eq!(restored.latest().num, 1);
        assert!(Configs::restore(&[0xff, 1, 2]).is_err());
        let empty = Configs {
            configs: Vec::new(),
            ..Configs::new()
        };
        assert!(matches!(
            Configs::restore(&empty.snapshot()),
            Err(CorruptSnapshot::Empty)
        ));
    }
}
