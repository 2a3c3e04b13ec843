//! Leader election.

use lab_runtime::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::SeedableRng;

use crate::core::*;
use crate::messages::{AppendEntriesArgs, Entry, RequestVoteArgs, RequestVoteReply};

fn core(me: usize, peers: usize, now: Instant) -> Core {
    Core::new(
        me,
        peers,
        HardState::default(),
        Vec::new(),
        now,
        SmallRng::seed_from_u64(me as u64),
    )
}

fn vote_request(
    term: u64,
    candidate: u64,
    last_log_index: u64,
    last_log_term: u64,
) -> RequestVoteArgs {
    RequestVoteArgs {
        term,
        candidate,
        last_log_index,
        last_log_term,
    }
}

fn heartbeat(term: u64, leader: u64) -> AppendEntriesArgs {
    AppendEntriesArgs {
        term,
        leader,
        prev_log_index: 0,
        prev_log_term: 0,
        entries: Vec::new(),
        leader_commit: 0,
    }
}

/// Runs `core`'s timers until it stands for election; returns its RequestVotes.
fn stand(core: &mut Core, now: &mut Instant) -> Vec<Outgoing> {
    *now += Duration::from_millis(timing::ELECTION_TIMEOUT_MS.end);
    core.tick(*now)
}

/// Makes `core` stand for election; returns the arguments of its RequestVotes.
fn stand_for_votes(core: &mut Core, now: &mut Instant) -> RequestVoteArgs {
    match stand(core, now).first() {
        Some(Outgoing::RequestVote { args, .. }) => args.clone(),
        other => panic!("expected a RequestVote, got {other:?}"),
    }
}

#[test]
fn a_follower_stands_after_its_election_timeout_and_not_before() {
    let mut now = Instant::now();
    let mut peer = core(0, 3, now);
    assert!(peer
        .tick(now + Duration::from_millis(timing::ELECTION_TIMEOUT_MS.start - 1))
        .is_empty());
    let requests = stand(&mut peer, &mut now);
    assert_eq!(requests.len(), 2, "one RequestVote to each other peer");
    assert_eq!((peer.term(), peer.voted_for()), (1, Some(0)));
    assert!(matches!(peer.role(), Role::Candidate { .. }));
    assert!(
        peer.take_unsaved().is_some(),
        "the new term and vote must be saved"
    );
}

#[test]
fn grants_one_vote_per_term() {
    let now = Instant::now();
    let mut peer = core(0, 3, now);
    assert!(
        peer.handle_request_vote(now, vote_request(1, 1, 0, 0))
            .vote_granted
    );
    assert!(
        !peer
            .handle_request_vote(now, vote_request(1, 2, 0, 0))
            .vote_granted
    );
    // The same candidate asking again (a retried RPC) gets the same answer.
    assert!(
        peer.handle_request_vote(now, vote_request(1, 1, 0, 0))
            .vote_granted
    );
    // A new term frees the vote.
    assert!(
        peer.handle_request_vote(now, vote_request(2, 2, 0, 0))
            .vote_granted
    );
}

#[test]
fn refuses_stale_terms_and_reports_its_own() {
    let now = Instant::now();
    let mut peer = core(0, 3, now);
    peer.handle_request_vote(now, vote_request(5, 1, 0, 0));
    let reply = peer.handle_request_vote(now, vote_request(4, 2, 0, 0));
    assert_eq!(
        reply,
        RequestVoteReply {
            term: 5,
            vote_granted: false
        }
    );
}

#[test]
fn refuses_candidates_whose_log_is_behind() {
    let now = Instant::now();
    let mut peer = core(0, 3, now);
    let mut log_args = heartbeat(2, 1);
    log_args.entries = vec![
        Entry {
            term: 1,
            command: vec![1],
        },
        Entry {
            term: 2,
            command: vec![2],
        },
    ];
    assert!(peer.handle_append_entries(now, log_args).success);
    // Older last term, even with a longer log: refused.
    assert!(
        !peer
            .handle_request_vote(now, vote_request(3, 2, 9, 1))
            .vote_granted
    );
    // Same last term, shorter log: refused.
    assert!(
        !peer
            .handle_request_vote(now, vote_request(3, 2, 1, 2))
            .vote_granted
    );
    // Same last term, as long: granted.
    assert!(
        peer.handle_request_vote(now, vote_request(3, 2, 2, 2))
            .vote_granted
    );
}

#[test]
fn a_candidate_with_a_majority_leads_and_asserts_it_at_once() {
    let mut now = Instant::now();
    let mut peer = core(0, 3, now);
    let args = &stand_for_votes(&mut peer, &mut now);
    let granted = RequestVoteReply {
        term: 1,
        vote_granted: true,
    };
    let heartbeats = peer.handle_vote_reply(now, 1, args, granted);
    assert!(peer.is_leader());
    assert_eq!(heartbeats.len(), 2);
    assert!(heartbeats
        .iter()
        .all(|m| matches!(m, Outgoing::AppendEntries { .. })));
}

#[test]
fn a_refused_or_stale_vote_does_not_elect() {
    let mut now = Instant::now();
    let mut peer = core(0, 5, now);
    let args = &stand_for_votes(&mut peer, &mut now);
    peer.handle_vote_reply(
        now,
        1,
        args,
        RequestVoteReply {
            term: 1,
            vote_granted: true,
        },
    );
    peer.handle_vote_reply(
        now,
        2,
        args,
        RequestVoteReply {
            term: 1,
            vote_granted: false,
        },
    );
    assert!(!peer.is_leader(), "two votes of five are not a majority");
    // A vote from an earlier election does not count in this one.
    let old = vote_request(0, 0, 0, 0);
    peer.handle_vote_reply(
        now,
        3,
        &old,
        RequestVoteReply {
            term: 1,
            vote_granted: true,
        },
    );
    assert!(!peer.is_leader());
}

#[test]
fn a_newer_term_in_a_reply_makes_a_candidate_follow() {
    let mut now = Instant::now();
    let mut peer = core(0, 3, now);
    let args = &stand_for_votes(&mut peer, &mut now);
    peer.handle_vote_reply(
        now,
        1,
        args,
        RequestVoteReply {
            term: 7,
            vote_granted: false,
        },
    );
    assert_eq!(peer.term(), 7);
    assert_eq!(peer.voted_for(), None);
    assert_eq!(peer.role(), &Role::Follower);
}

#[test]
fn a_leader_steps_down_on_a_newer_term_and_a_candidate_on_a_current_leader() {
    let mut now = Instant::now();
    let mut leader = core(0, 1, now);
    stand(&mut leader, &mut now);
    assert!(leader.is_leader(), "a lone peer elects itself");
    assert!(
        !leader.handle_append_entries(now, heartbeat(0, 1)).success,
        "stale leader refused"
    );
    assert!(leader.is_leader());
    assert!(leader.handle_append_entries(now, heartbeat(2, 1)).success);
    assert_eq!(leader.role(), &Role::Follower);

    let mut candidate = core(1, 3, now);
    stand(&mut candidate, &mut now);
    assert!(
        candidate
            .handle_append_entries(now, heartbeat(1, 2))
            .success
    );
    assert_eq!((candidate.role(), candidate.term()), (&Role::Follower, 1));
}

#[test]
fn hearing_from_the_leader_defers_the_election() {
    let mut now = Instant::now();
    let mut peer = core(0, 3, now);
    for _ in 0..20 {
        now += Duration::from_millis(100);
        peer.handle_append_entries(now, heartbeat(1, 1));
        assert!(
            peer.tick(now).is_empty(),
            "no election while heartbeats arrive"
        );
    }
    assert_eq!(peer.term(), 1);
}

#[test]
fn a_leader_sends_heartbeats_every_interval() {
    let mut now = Instant::now();
    let mut leader = core(0, 1, now);
    stand(&mut leader, &mut now);
    let mut three = core(0, 3, now);
    let args = &stand_for_votes(&mut three, &mut now);
    three.handle_vote_reply(
        now,
        1,
        args,
        RequestVoteReply {
            term: 1,
            vote_granted: true,
        },
    );
    assert_eq!(three.next_deadline(now), now + timing::HEARTBEAT_INTERVAL);
    assert!(three.tick(now + timing::HEARTBEAT_INTERVAL / 2).is_empty());
    assert_eq!(three.tick(now + timing::HEARTBEAT_INTERVAL).len(), 2);
}

/// A request can carry the largest term; the peer then has no next term to stand in, and
/// stays a follower rather than overflowing.
#[test]
fn a_peer_in_the_largest_term_does_not_stand() {
    let mut now = Instant::now();
    let mut peer = core(0, 3, now);
    peer.handle_request_vote(now, vote_request(u64::MAX, 1, 0, 0));
    assert!(stand(&mut peer, &mut now).is_empty());
    assert_eq!(peer.term(), u64::MAX);
    assert!(matches!(peer.role(), Role::Follower));
}
