//! Lab 4A's tests catch a flaw students make, in simulation: a controller whose rebalance
//! walks a `HashMap` computes different configurations on different servers, and
//! `multi_4A` fails, naming the configuration that differs and the likely cause; a
//! controller that deals every shard out afresh at each change balances, but moves more
//! shards than needed, and `basic_4A` fails it (a check beyond Go's, whose minimal-transfer
//! steps look at gids no test joins).

#![cfg(madsim)]

mod kv_support;

use std::collections::HashMap;

use kv_support::assert_caught;
use shardctrler::balance::Balance;
use shardctrler::{Gid, ShardCtrler, NSHARDS};
use tester::ctrler::tests;

type Clerk = shardctrler::Clerk;

/// A rebalance as students often write it: each group's shards in a `HashMap`, orphaned
/// shards to the group with the fewest, then one shard at a time from the group with the
/// most to the one with the fewest. It moves no more shards than needed and balances, but
/// ties go to whichever group the map yields first, and each map's order is its own: two
/// servers applying the same Join can make different configurations.
struct HashMapOrder;

fn fewest(held: &HashMap<Gid, Vec<usize>>) -> Gid {
    let mut best: Option<(Gid, usize)> = None;
    for (&g, list) in held {
        if best.is_none_or(|(_, n)| list.len() < n) {
            best = Some((g, list.len()));
        }
    }
    best.map_or(0, |(g, _)| g)
}

fn most(held: &HashMap<Gid, Vec<usize>>) -> Gid {
    let mut best: Option<(Gid, usize)> = None;
    for (&g, list) in held {
        if best.is_none_or(|(_, n)| list.len() > n) {
            best = Some((g, list.len()));
        }
    }
    best.map_or(0, |(g, _)| g)
}

impl Balance for HashMapOrder {
    fn rebalance(shards: &mut [Gid; NSHARDS], gids: &[Gid]) {
        if gids.is_empty() {
            *shards = [0; NSHARDS];
            return;
        }
        let mut held: HashMap<Gid, Vec<usize>> = gids.iter().map(|&g| (g, Vec::new())).collect();
        let mut free = Vec::new();
        for (shard, gid) in shards.iter().enumerate() {
            match held.get_mut(gid) {
                Some(list) => list.push(shard),
                None => free.push(shard),
            }
        }
        for shard in free {
            let g = fewest(&held);
            held.entry(g).or_default().push(shard);
            shards[shard] = g;
        }
        loop {
            let (from, to) = (most(&held), fewest(&held));
            let size = |g: Gid| held.get(&g).map_or(0, Vec::len);
            if size(from) <= size(to) + 1 {
                break;
            }
            let Some(shard) = held.get_mut(&from).and_then(Vec::pop) else {
                break;
            };
            held.entry(to).or_default().push(shard);
            shards[shard] = to;
        }
    }
}

#[test]
fn a_rebalance_in_hash_map_order_fails_multi() {
    assert_caught(
        "rebalances in a HashMap's order",
        0..10,
        &["Shards wrong", "HashMap"],
        tests::multi::<ShardCtrler<HashMapOrder>, Clerk>,
    );
}

/// A rebalance that deals the shards out afresh, shard `s` to the `s % n`-th group: always
/// balanced and the same on every server, but a Join or Leave moves shards between groups
/// that stay.
struct FromScratch;

impl Balance for FromScratch {
    fn rebalance(shards: &mut [Gid; NSHARDS], gids: &[Gid]) {
        for (shard, gid) in shards.iter_mut().enumerate() {
            *gid = if gids.is_empty() {
                0
            } else {
                gids[shard % gids.len()]
            };
        }
    }
}

#[test]
fn a_rebalance_from_scratch_fails_basic() {
    assert_caught(
        "deals every shard out afresh at each change",
        0..5,
        &["non-minimal transfer", "where 0 would do"],
        tests::basic::<ShardCtrler<FromScratch>, Clerk>,
    );
}
