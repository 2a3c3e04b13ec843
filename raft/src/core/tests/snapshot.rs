//! Log compaction and InstallSnapshot.

use super::cluster::Cluster;
use crate::core::Ready;

#[test]
fn a_snapshot_trims_the_log_and_is_saved_with_the_state() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    for command in 1..=5 {
        cluster.propose(0, command);
    }
    cluster.take_commands(0);
    let leader = &mut cluster.cores[0];
    leader.take_unsaved();
    leader.take_snapshot(3, vec![42]);
    assert_eq!(leader.log().snapshot_index(), 3);
    assert_eq!(leader.log().last_index(), 5);
    let unsaved = leader.take_unsaved().expect("the snapshot must be saved");
    assert_eq!(unsaved.snapshot, Some(&[42u8][..]));
    // An older snapshot changes nothing.
    leader.take_snapshot(2, vec![1]);
    assert_eq!(leader.snapshot(), &[42]);
    assert!(leader.take_unsaved().is_none());
}

#[test]
fn a_follower_behind_the_snapshot_gets_it_then_the_rest_in_order() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.connected[2] = false;
    for command in 1..=6 {
        cluster.propose(0, command);
    }
    cluster.take_commands(0);
    cluster.cores[0].take_snapshot(4, vec![4]);
    cluster.connected[2] = true;
    cluster.heartbeat();
    let lagging = &mut cluster.cores[2];
    assert_eq!(lagging.log().snapshot_index(), 4);
    assert_eq!(lagging.log().last_index(), 6);
    let ready = lagging.take_ready(usize::MAX);
    assert_eq!(
        ready,
        vec![
            Ready::Snapshot {
                index: 4,
                term: 1,
                data: vec![4]
            },
            Ready::Command {
                index: 5,
                command: vec![5]
            },
            Ready::Command {
                index: 6,
                command: vec![6]
            },
        ]
    );
}

#[test]
fn a_stale_snapshot_never_moves_the_applied_index_back() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    for command in 1..=6 {
        cluster.propose(0, command);
    }
    let old = crate::messages::InstallSnapshotArgs {
        term: cluster.cores[0].term(),
        leader: 0,
        last_included_index: 3,
        last_included_term: 1,
        data: vec![3],
    };
    let follower = &mut cluster.cores[1];
    follower.take_ready(usize::MAX);
    follower.handle_install_snapshot(cluster.now, old);
    assert!(follower.take_ready(usize::MAX).is_empty());
    assert_eq!(follower.log().last_index(), 6);
}
