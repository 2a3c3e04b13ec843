//! Log replication, commit and apply.

use super::cluster::Cluster;
use crate::core::timing;
use crate::messages::{AppendEntriesArgs, Entry};

fn entry(term: u64, command: u8) -> Entry {
    Entry {
        term,
        command: vec![command],
    }
}

#[test]
fn a_proposal_commits_in_one_round_trip_and_reaches_every_peer() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    let index = cluster.propose(0, 7);
    assert_eq!(index, 1);
    assert_eq!(cluster.cores[0].commit_index(), 1, "a majority holds it");
    assert_eq!(cluster.take_commands(0), vec![(1, 7)]);
    // Followers learn the commit index from the next request, sent at once.
    for peer in 1..3 {
        assert_eq!(cluster.take_commands(peer), vec![(1, 7)], "S{peer}");
    }
    // Handed out exactly once.
    assert!(cluster.take_commands(1).is_empty());
}

#[test]
fn proposals_made_while_a_request_is_in_flight_travel_together() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    let leader = &mut cluster.cores[0];
    leader.propose(vec![1]).expect("leads");
    let first = leader.tick(cluster.now);
    assert_eq!(first.len(), 2, "one request to each follower");
    // More proposals before the answers come: nothing more goes out yet.
    for command in 2..=5 {
        leader.propose(vec![command]).expect("leads");
    }
    assert!(
        leader.tick(cluster.now).is_empty(),
        "requests are in flight"
    );
    // The answers release one request each, carrying all four.
    let delivered = cluster.deliver(0, first);
    assert_eq!(cluster.cores[0].commit_index(), 5);
    assert!(delivered <= 6, "{delivered} requests for five proposals");
}

#[test]
fn a_stale_append_entries_does_not_cut_the_log() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    let follower = &mut cluster.cores[1];
    let now = cluster.now;
    let term = follower.term();
    let long = AppendEntriesArgs {
        term,
        leader: 0,
        prev_log_index: 0,
        prev_log_term: 0,
        entries: vec![entry(term, 1), entry(term, 2), entry(term, 3)],
        leader_commit: 0,
    };
    let mut short = long.clone();
    short.entries.truncate(1);
    assert!(follower.handle_append_entries(now, long).success);
    // The older, shorter request arrives late.
    assert!(follower.handle_append_entries(now, short).success);
    assert_eq!(follower.log().last_index(), 3);
}

#[test]
fn a_conflicting_suffix_is_replaced_and_the_leader_backs_up_by_terms() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.propose(0, 1);
    // S0 leads a minority and appends entries that never commit.
    cluster.connected = vec![true, false, false];
    for command in 10..20 {
        cluster.cores[0].propose(vec![command]);
    }
    // S1 and S2 elect S1, which commits other entries.
    cluster.connected = vec![false, true, true];
    cluster.elect(1);
    for command in 30..35 {
        cluster.propose(1, command);
    }
    assert_eq!(cluster.cores[1].commit_index(), 6);
    // S0 rejoins: its suffix gives way, and backing up takes one request per term.
    cluster.connected = vec![true, true, true];
    let before = cluster.cores[1].log().last_index();
    cluster.heartbeat();
    let log0 = cluster.cores[0].log();
    assert_eq!(log0.last_index(), before);
    assert_eq!(log0.entry(2).map(|e| e.command.clone()), Some(vec![30]));
    assert!(!cluster.cores[0].is_leader());
}

#[test]
fn only_entries_of_the_current_term_commit_by_counting() {
    // Figure 8: a leader must not commit an older term's entry because a majority holds it.
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.connected = vec![true, true, false];
    cluster.cores[0].propose(vec![1]);
    // S0 reaches S1 only... and loses the answer: S1 holds it, S0 does not know.
    let sent = cluster.cores[0].tick(cluster.now);
    cluster.connected = vec![false, true, true];
    for message in &sent {
        if let crate::core::Outgoing::AppendEntries { to: 1, args } = message {
            assert!(
                cluster.cores[1]
                    .handle_append_entries(cluster.now, args.clone())
                    .success
            );
        }
    }
    // S1 wins term 2 with S2 and holds entry 1 of term 1 on two peers, but may not count it.
    cluster.elect(1);
    assert_eq!(cluster.cores[2].log().last_index(), 1);
    assert_eq!(
        cluster.cores[1].commit_index(),
        0,
        "a term-1 entry was committed by counting"
    );
    // An entry of its own term commits both.
    cluster.propose(1, 2);
    assert_eq!(cluster.cores[1].commit_index(), 2);
}

#[test]
fn an_idle_leader_sends_only_heartbeats() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.propose(0, 1);
    let leader = &mut cluster.cores[0];
    assert!(leader.tick(cluster.now).is_empty());
    assert_eq!(
        leader.next_deadline(cluster.now),
        cluster.now + timing::HEARTBEAT_INTERVAL
    );
}
