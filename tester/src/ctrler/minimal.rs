//! Beyond Go's tests: each Join or Leave moves as few shards as a balanced configuration
//! allows. Go's "minimal transfers" steps look only at gids 1 to 10, which no step of its
//! tests ever joins, so they pass a controller that reassigns every shard at each change.
//! This check asks what the lab's handout asks of every configuration change.

use std::collections::BTreeMap;

use super::service::{Config, Gid, NSHARDS};

/// The fewest shards that must change group to go from `old` to a configuration over
/// `new_groups` in which no group holds more than one shard more than another: each group
/// keeps at most its share, and the larger shares (`NSHARDS % groups` of them) go to the
/// groups that hold the most already.
pub fn fewest_moves(old: &Config, new_groups: &[Gid]) -> usize {
    if new_groups.is_empty() {
        // With no groups every shard belongs to gid 0.
        return old.shards.iter().filter(|&&gid| gid != 0).count();
    }
    let mut held: BTreeMap<Gid, usize> = new_groups.iter().map(|&g| (g, 0)).collect();
    for gid in &old.shards {
        if let Some(count) = held.get_mut(gid) {
            *count += 1;
        }
    }
    let mut counts: Vec<usize> = held.into_values().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let share = NSHARDS / counts.len();
    let larger_shares = NSHARDS % counts.len();
    let kept: usize = counts
        .iter()
        .enumerate()
        .map(|(rank, &count)| count.min(share + usize::from(rank < larger_shares)))
        .sum();
    NSHARDS - kept
}

/// Fails unless going from `old` to `new` moved the fewest shards possible.
pub fn check_minimal_change(old: &Config, new: &Config) -> Result<(), String> {
    let moved: Vec<usize> = (0..NSHARDS)
        .filter(|&s| old.shards[s] != new.shards[s])
        .collect();
    let groups: Vec<Gid> = new.groups.keys().copied().collect();
    let fewest = fewest_moves(old, &groups);
    if moved.len() > fewest {
        return Err(format!(
            "configuration {} moved {} shards ({moved:?}) where {fewest} would do: from {:?} \
             to {:?} (groups {groups:?}); a Join or Leave must move only the shards that \
             balancing needs (the groups that stay keep what they can)",
            new.num,
            moved.len(),
            old.shards,
            new.shards
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(num: u64, shards: [Gid; NSHARDS], groups: &[Gid]) -> Config {
        Config {
            num,
            shards,
            groups: groups.iter().map(|&g| (g, vec![format!("s{g}")])).collect(),
        }
    }

    #[test]
    fn a_first_join_moves_every_shard() {
        let old = Config::default();
        let new = config(1, [1; NSHARDS], &[1]);
        assert_eq!(fewest_moves(&old, &[1]), NSHARDS);
        assert!(check_minimal_change(&old, &new).is_ok());
    }

    #[test]
    fn a_second_group_takes_half() {
        let old = config(1, [1; NSHARDS], &[1]);
        assert_eq!(fewest_moves(&old, &[1, 2]), 5);
        let half = config(2, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2], &[1, 2]);
        assert!(check_minimal_change(&old, &half).is_ok());
    }

    #[test]
    fn joins_past_ten_groups_move_nothing() {
        let groups: Vec<Gid> = (100..110).collect();
        let shards: [Gid; NSHARDS] = std::array::from_fn(|s| 100 + s as Gid);
        let old = config(5, shards, &groups);
        let mut more = groups.clone();
        more.push(11);
        assert_eq!(fewest_moves(&old, &more), 0);
        // Reassigning from scratch over the sorted gids puts shard 0 on the new group 11.
        let mut scratch = shards;
        scratch[0] = 11;
        let error = check_minimal_change(&old, &config(6, scratch, &more)).unwrap_err();
        assert!(
            error.contains("moved 1 shards ([0]) where 0 would do"),
            "{error}"
        );
    }

    #[test]
    fn a_leave_moves_only_the_leaving_groups_shards() {
        let old = config(3, [1, 1, 1, 1, 2, 2, 2, 3, 3, 3], &[1, 2, 3]);
        assert_eq!(fewest_moves(&old, &[1, 2]), 3);
        let minimal = config(4, [1, 1, 1, 1, 2, 2, 2, 1, 2, 2], &[1, 2]);
        assert!(check_minimal_change(&old, &minimal).is_ok());
        let shuffled = config(4, [2, 1, 1, 1, 1, 2, 2, 1, 2, 2], &[1, 2]);
        assert!(check_minimal_change(&old, &shuffled).is_err());
    }

    #[test]
    fn the_last_leave_returns_every_shard_to_gid_0() {
        let old = config(3, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2], &[1, 2]);
        assert_eq!(fewest_moves(&old, &[]), NSHARDS);
        assert!(check_minimal_change(&old, &config(4, [0; NSHARDS], &[])).is_ok());
    }

    #[test]
    fn the_larger_shares_stay_with_the_groups_holding_most() {
        let old = config(3, [1, 1, 1, 1, 2, 2, 2, 3, 3, 3], &[1, 2, 3]);
        // Shares of 3, 3, 2, 2 over four groups: groups 1, 2 (or 3) keep 3, the other 2.
        assert_eq!(fewest_moves(&old, &[1, 2, 3, 4]), 2);
    }
}
