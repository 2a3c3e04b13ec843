//! The tester's own tests, beyond Go's: each creates a condition Go's tests never do, where
//! a classic bug shows (Go's checks or the safety checks then fail it). They carry no part
//! tag: `cargo test -p raft extra` runs them all, and `cargo test -p raft 2A` none.
//!
//! Each asks only what Go's tests ask of a correct Raft: a leader within Go's allowance on
//! a network that lets one be elected, and agreement on commands.

use lab_runtime::random;
use lab_runtime::time::{sleep, Duration, Instant};

use super::common::{crash_and_restart, crash_and_restart_all, rand_int};
use crate::{Config, RaftPeer, ELECTION_TIMEOUT, SNAPSHOT_INTERVAL};

/// How often the tests below look at the peers while they wait for a step of an election.
const POLL: Duration = Duration::from_millis(1);

/// Every peer restarts at one instant, so their election timers start together, on a
/// network whose requests take up to 27 ms: two candidates that stand within that time of
/// each other split the vote. Only election timeouts drawn at random, anew at each
/// election, break such ties; fixed ones tie again and again.
pub async fn split_votes<R: RaftPeer>() {
    let servers = 3;
    let cfg = Config::<R>::new(servers, true, false);
    cfg.begin("Test (extra): elections among peers restarted together");

    for round in 0..7 {
        // The configuration started every peer at once already.
        if round > 0 {
            crash_and_restart_all(&cfg);
        }
        leader_within_allowance(
            &cfg,
            "of every peer starting at once on a slow network: their election timers \
             started together, and split votes repeat unless each election timeout is drawn \
             at random, anew at each election",
        )
        .await;
        cfg.check_one_leader().await;
    }
    cfg.end();
}

/// Elections while replies arrive up to 2.2 s late (Go's long reordering, which no 2A test
/// uses): a candidate must not count a vote granted in an earlier term. The election
/// safety check fails a second leader of a term.
pub async fn stale_replies<R: RaftPeer>() {
    let servers = 3;
    let cfg = Config::<R>::new(servers, true, false);
    cfg.begin("Test (extra): elections with long-delayed replies");
    cfg.set_long_reordering(true);

    for _ in 0..20 {
        // Cut a peer off for a while, so that the others hold elections; look at every
        // step, so that a second leader of a term is seen in real time too.
        let victim = random::below(servers as u64) as usize;
        cfg.disconnect(victim);
        look_for(&cfg, Duration::from_millis(200 + random::below(400))).await;
        cfg.connect(victim);
        look_for(&cfg, Duration::from_millis(random::below(400))).await;
    }

    // With the network reliable again, a leader is elected.
    cfg.set_long_reordering(false);
    cfg.set_unreliable(false);
    cfg.check_one_leader().await;
    cfg.end();
}

/// Leaders and followers are crashed and stay down for seconds while the others elect and
/// keep a leader: a killed peer must stop (the silence check fails one that keeps
/// sending). No 2A test kills a peer.
pub async fn crashed_peers<R: RaftPeer>() {
    let servers = 3;
    let cfg = Config::<R>::new(servers, false, false);
    cfg.begin("Test (extra): elections while peers are crashed");

    for round in 0..3 {
        let leader = cfg.check_one_leader().await;
        // The leader first, then each follower.
        let victim = (leader + round) % servers;
        cfg.crash1(victim);
        cfg.check_one_leader().await;
        // The victim stays down long enough for the silence check to see it run on.
        sleep(2 * ELECTION_TIMEOUT).await;
        cfg.check_one_leader().await;
        cfg.start1(victim);
        cfg.connect(victim);
    }
    cfg.check_one_leader().await;
    cfg.end();
}

/// A voter restarts right after its vote elected a leader, and a second candidate of the
/// same term then asks for its vote: a Raft that persisted its vote refuses, one that did
/// not elects a second leader of the term (the election safety check fails it).
///
/// Each round all peers restart together with one (`late`) cut off; the first of the
/// other two to time out wins the other's vote. At once the voter restarts and `late`,
/// whose timer started with theirs, comes back, often to stand in that same term before
/// the new leader's heartbeat reaches it.
pub async fn voter_restart<R: RaftPeer>() {
    let servers = 3;
    let cfg = Config::<R>::new(servers, false, false);
    cfg.begin("Test (extra): a voter restarts mid-election");

    cfg.check_one_leader().await;
    for round in 0..12 {
        let late = round % servers;
        agree_on_a_term(&cfg).await;
        for i in 0..servers {
            cfg.crash1(i);
        }
        for i in 0..servers {
            cfg.start1(i);
            if i != late {
                cfg.connect(i);
            }
        }
        let leader = leader_within_allowance(&cfg, "among peers that can elect one").await;
        let voter = (0..servers)
            .find(|&i| i != late && i != leader)
            .unwrap_or_else(|| unreachable!("3 peers"));
        cfg.crash1(voter);
        cfg.start1(voter);
        cfg.connect(voter);
        cfg.connect(late);
        // Look often while `late` may stand, so that a second leader is seen in real time too.
        look_for(&cfg, ELECTION_TIMEOUT / 2).await;
        cfg.check_one_leader().await;
    }
    cfg.end();
}

/// A peer far behind comes back right after the others restarted, before their services
/// snapshot again: they can bring it up to date only from the snapshot they saved, which a
/// restarted Raft must hold again (Go's checks fail the empty or stale snapshot it would
/// otherwise send).
pub async fn snapshot_restart<R: RaftPeer>() {
    let servers = 3;
    let cfg = Config::<R>::new(servers, false, true);
    cfg.begin("Test (extra): restarted peers catch up a peer far behind");

    cfg.one(&rand_int(), servers, true).await;
    for _ in 0..3 {
        let leader = cfg.check_one_leader().await;
        let behind = (leader + 1) % servers;
        cfg.disconnect(behind);
        // Enough for the others to snapshot past all that `behind` holds.
        for _ in 0..SNAPSHOT_INTERVAL + 1 {
            cfg.one(&rand_int(), servers - 1, true).await;
        }
        let others: Vec<usize> = (0..servers).filter(|&i| i != behind).collect();
        crash_and_restart(&cfg, &others);
        cfg.connect(behind);
        cfg.one(&rand_int(), servers, true).await;
    }
    cfg.end();
}

/// A stale leader whose requests still arrive but which hears nothing (no reply, no
/// request reaches it) goes on sending heartbeats of its old term. Followers must reject
/// them without restarting their election timers: when the newer leader goes, the three
/// peers left of five must elect one within Go's allowance. A Raft that restarts its timer
/// on any AppendEntries, even one of an older term, never times out. Go's labrpc has no
/// such one-way link (`Config::deafen`). The test asks what Figure 2 asks: a leader stays
/// leader until it sees a newer term. A leader that steps down by itself on hearing no
/// majority (check-quorum) and stands again without pre-vote would disrupt the others with
/// its rising terms here, as it would on a real one-way link.
pub async fn stale_leader<R: RaftPeer>() {
    let servers = 5;
    let cfg = Config::<R>::new(servers, false, false);
    cfg.begin("Test (extra): a stale leader that hears nothing keeps sending");

    for _ in 0..3 {
        let stale = cfg.check_one_leader().await;
        cfg.disconnect(stale);
        // The other four elect a leader of a newer term.
        let newer = cfg.check_one_leader().await;
        // The stale leader never learns of it: its heartbeats reach the others again.
        cfg.deafen(stale);
        sleep(ELECTION_TIMEOUT / 2).await;
        cfg.disconnect(newer);
        leader_within_allowance(
            &cfg,
            "among three peers of five while a stale leader, which hears nothing, sends them \
             heartbeats of an older term: a follower must reject an AppendEntries of an older \
             term without restarting its election timer",
        )
        .await;
        cfg.connect(stale);
        cfg.connect(newer);
    }
    cfg.check_one_leader().await;
    cfg.end();
}

/// Snapshot rounds (as Go's 2D tests, reliable) on a network that delivers some requests a
/// second time up to 2 s later: a copy of an InstallSnapshot reaches a follower that has
/// since committed past it. The follower must ignore it; one that installs it takes its
/// service back (the snapshot applier's check fails it). Go's labrpc never duplicates.
pub async fn duplicated_snapshots<R: RaftPeer>() {
    let servers = 3;
    let cfg = Config::<R>::new(servers, false, true);
    cfg.begin("Test (extra): snapshots with duplicated requests");
    cfg.set_duplicate_requests(true);

    cfg.one(&rand_int(), servers, true).await;
    for _ in 0..15 {
        let leader = cfg.check_one_leader().await;
        let behind = (leader + 1 + random::below(servers as u64 - 1) as usize) % servers;
        cfg.disconnect(behind);
        // Enough for the others to snapshot past all that `behind` holds, so that it
        // catches up from an InstallSnapshot.
        for _ in 0..SNAPSHOT_INTERVAL + 1 {
            cfg.one(&rand_int(), servers - 1, true).await;
        }
        cfg.connect(behind);
        // Commands past the snapshot, which a late copy of it must not undo.
        for _ in 0..3 {
            cfg.one(&rand_int(), servers, true).await;
        }
    }
    // The last copies arrive within 2 s.
    sleep(2 * ELECTION_TIMEOUT).await;
    cfg.one(&rand_int(), servers, true).await;
    cfg.end();
}

/// Waits until every running peer is in one term (a leader's heartbeats bring them there);
/// fails after Go's 5 s allowance for an election.
async fn agree_on_a_term<R: RaftPeer>(cfg: &Config<R>) {
    let deadline = Instant::now() + 5 * ELECTION_TIMEOUT;
    loop {
        let terms: Vec<u64> = (0..cfg.n())
            .filter_map(|i| Some(cfg.raft(i)?.get_state().0))
            .collect();
        if terms.windows(2).all(|pair| pair[0] == pair[1]) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the peers are in terms {terms:?} 5 s after they had a leader: a leader's \
             heartbeats bring every connected peer to its term"
        );
        sleep(POLL).await;
    }
}

/// The first connected peer seen leading; fails after Go's 5 s allowance, saying `when`.
async fn leader_within_allowance<R: RaftPeer>(cfg: &Config<R>, when: &str) -> usize {
    let deadline = Instant::now() + 5 * ELECTION_TIMEOUT;
    loop {
        let leader = (0..cfg.n())
            .filter(|&i| cfg.is_connected(i))
            .find(|&i| cfg.raft(i).is_some_and(|raft| raft.get_state().1));
        if let Some(leader) = leader {
            return leader;
        }
        assert!(
            Instant::now() < deadline,
            "no leader elected within 5 s {when}"
        );
        sleep(POLL).await;
    }
}

/// Shows the safety checks every peer each `POLL` for `span` (in simulation the tester's
/// monitor does so anyway; in real time these are the looks).
async fn look_for<R: RaftPeer>(cfg: &Config<R>, span: Duration) {
    let until = Instant::now() + span;
    while Instant::now() < until {
        // `n_committed` looks at every peer for the safety checks first.
        let _ = cfg.n_committed(0);
        sleep(POLL).await;
    }
}
