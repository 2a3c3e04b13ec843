//! How the shards are spread over the groups after a Join or a Leave: as evenly as possible
//! (no group more than one shard ahead of another), moving as few shards as possible, and
//! the same on every server, since each computes the configuration on its own.

use std::collections::BTreeMap;

use tester::ctrler::{Gid, NSHARDS};

/// A rule for spreading the shards. The controller is generic over it so that the tester's
/// own tests can run it with a flawed rule; [`MinimalMoves`] is the rule.
pub trait Balance: Send + Sync + 'static {
    /// Reassigns `shards` to the groups `gids` (ascending, without 0). A shard on a group
    /// not in `gids` (gid 0, or a group that left) must move to one that is; with no groups
    /// at all, every shard goes to gid 0.
    fn rebalance(shards: &mut [Gid; NSHARDS], gids: &[Gid]);
}

/// The rule: the groups that hold the most shards keep the larger shares, each group above
/// its share gives up its highest shards, and the shards given up or orphaned go, lowest
/// first, to the groups below their share, lowest gid first. Only maps ordered by gid are
/// walked, so every server moves the same shards.
pub struct MinimalMoves;

impl Balance for MinimalMoves {
    fn rebalance(shards: &mut [Gid; NSHARDS], gids: &[Gid]) {
        if gids.is_empty() {
            *shards = [0; NSHARDS];
            return;
        }
        let mut held: BTreeMap<Gid, Vec<usize>> = gids.iter().map(|&g| (g, Vec::new())).collect();
        let mut free = Vec::new();
        for (shard, gid) in shards.iter().enumerate() {
            match held.get_mut(gid) {
                Some(list) => list.push(shard),
                None => free.push(shard),
            }
        }
        // NSHARDS / n shards each, and one more for NSHARDS % n groups: those that hold
        // the most now (ties to the lower gid), so that the fewest shards move.
        let (base, extra) = (NSHARDS / gids.len(), NSHARDS % gids.len());
        let mut by_size: Vec<(usize, Gid)> = held.iter().map(|(&g, l)| (l.len(), g)).collect();
        by_size.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let share: BTreeMap<Gid, usize> = by_size
            .iter()
            .enumerate()
            .map(|(rank, &(_, g))| (g, base + usize::from(rank < extra)))
            .collect();
        for (g, list) in held.iter_mut() {
            let keep = share.get(g).copied().unwrap_or(0);
            while list.len() > keep {
                free.extend(list.pop());
            }
        }
        free.sort_unstable();
        let mut free = free.into_iter();
        for (&g, list) in held.iter_mut() {
            let want = share.get(&g).copied().unwrap_or(0);
            while list.len() < want {
                // The shares add up to NSHARDS, so the free shards are exactly enough.
                let Some(shard) = free.next() else { break };
                shards[shard] = g;
                list.push(shard);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(shards: &[Gid; NSHARDS], gids: &[Gid]) -> Vec<usize> {
        gids.iter()
            .map(|g| shards.iter().filter(|&s| s == g).count())
            .collect()
    }

    fn moved(a: &[Gid; NSHARDS], b: &[Gid; NSHARDS]) -> usize {
        a.iter().zip(b).filter(|(x, y)| x != y).count()
    }

    #[test]
    fn the_first_group_takes_every_shard() {
        let mut shards = [0; NSHARDS];
        MinimalMoves::rebalance(&mut shards, &[7]);
        assert_eq!(shards, [7; NSHARDS]);
    }

    #[test]
    fn no_groups_leave_every_shard_on_gid_0() {
        let mut shards = [3; NSHARDS];
        MinimalMoves::rebalance(&mut shards, &[]);
        assert_eq!(shards, [0; NSHARDS]);
    }

    #[test]
    fn a_join_moves_only_what_the_new_group_takes() {
        let mut shards = [1; NSHARDS];
        MinimalMoves::rebalance(&mut shards, &[1, 2]);
        assert_eq!(counts(&shards, &[1, 2]), [5, 5]);
        let before = shards;
        MinimalMoves::rebalance(&mut shards, &[1, 2, 3]);
        let c = counts(&shards, &[1, 2, 3]);
        assert!(c.iter().all(|&n| n == 3 || n == 4), "{c:?}");
        assert_eq!(moved(&before, &shards), 3);
    }

    #[test]
    fn a_leave_moves_only_the_leaving_groups_shards() {
        let mut shards = [0; NSHARDS];
        MinimalMoves::rebalance(&mut shards, &[1, 2, 3]);
        let before = shards;
        MinimalMoves::rebalance(&mut shards, &[1, 3]);
        let left = before.iter().filter(|&&g| g == 2).count();
        assert_eq!(moved(&before, &shards), left);
        assert_eq!(counts(&shards, &[1, 3]), [5, 5]);
    }

    #[test]
    fn more_groups_than_shards_keep_one_each() {
        let mut shards = [0; NSHARDS];
        let gids: Vec<Gid> = (100..110).collect();
        MinimalMoves::rebalance(&mut shards, &gids);
        let before = shards;
        let more: Vec<Gid> = (10..15).chain(100..110).collect();
        MinimalMoves::rebalance(&mut shards, &more);
        assert_eq!(shards, before);
    }

    #[test]
    fn an_unbalanced_move_is_undone_with_the_fewest_moves() {
        let mut shards = [1, 1, 1, 1, 1, 1, 1, 1, 2, 2];
        MinimalMoves::rebalance(&mut shards, &[1, 2]);
        assert_eq!(counts(&shards, &[1, 2]), [5, 5]);
        assert_eq!(moved(&[1, 1, 1, 1, 1, 1, 1, 1, 2, 2], &shards), 3);
    }
}
