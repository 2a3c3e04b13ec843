//! Lab 4B's tests catch a flaw students make, in simulation: a group that hands shards
//! over without their duplicate table lets the new owner apply again an Append the old
//! owner applied but whose reply was lost, and `unreliable2_4B` fails, saying the value
//! holds more than was written.

#![cfg(madsim)]

mod kv_support;

use std::collections::BTreeMap;

use kv_support::assert_caught;
use shardctrler::ShardCtrler;
use shardkv::store::ShardData;
use shardkv::{Handover, ShardKv};
use tester::shardkv::tests;

/// A handover as students sometimes write it: the keys, but not the duplicate table.
struct KeysOnly;

impl Handover for KeysOnly {
    fn hand(shards: &mut BTreeMap<usize, ShardData>) {
        for shard in shards.values_mut() {
            shard.last_write.clear();
        }
    }
}

#[test]
fn a_shard_pulled_without_its_duplicate_table_fails_unreliable2() {
    assert_caught(
        "hands shards over without their duplicate table",
        0..10,
        &["an Append was applied twice", "duplicate table"],
        tests::unreliable2::<ShardKv<KeysOnly>, shardkv::Clerk, ShardCtrler, shardctrler::Clerk>,
    );
}
