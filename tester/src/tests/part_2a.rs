//! Part 2A: leader election (Go's `TestInitialElection2A`, `TestReElection2A`,
//! `TestManyElections2A`).

use lab_runtime::random;
use lab_runtime::time::{sleep, Duration};

use crate::{Config, RaftPeer, ELECTION_TIMEOUT};

pub async fn initial_election<R: RaftPeer>() {
    let servers = 3;
    let cfg = Config::<R>::new(servers, false, false);
    cfg.begin("Test (2A): initial election");

    // Is a leader elected?
    cfg.check_one_leader().await;

    // Let followers learn of the election before comparing terms.
    sleep(Duration::from_millis(50)).await;
    let term1 = cfg.check_terms();
    assert!(term1 >= 1, "term is {term1}, but should be at least 1");

    // Without failures, the leader and the term stay.
    sleep(2 * ELECTION_TIMEOUT).await;
    let term2 = cfg.check_terms();
    if term1 != term2 {
        cfg.warning("term changed even though there were no failures");
    }

    // There is still a leader.
    cfg.check_one_leader().await;
    cfg.end();
}

pub async fn re_election<R: RaftPeer>() {
    let servers = 3;
    let cfg = Config::<R>::new(servers, false, false);
    cfg.begin("Test (2A): election after network failure");

    let leader1 = cfg.check_one_leader().await;

    // A new leader replaces a disconnected one.
    cfg.disconnect(leader1);
    cfg.check_one_leader().await;

    // The old leader's return does not disturb the new one.
    cfg.connect(leader1);
    let leader2 = cfg.check_one_leader().await;

    // Without a quorum, no leader is elected.
    cfg.disconnect(leader2);
    cfg.disconnect((leader2 + 1) % servers);
    sleep(2 * ELECTION_TIMEOUT).await;
    cfg.check_no_leader();

    // A quorum elects a leader.
    cfg.connect((leader2 + 1) % servers);
    cfg.check_one_leader().await;

    // The last peer's return does not prevent a leader.
    cfg.connect(leader2);
    cfg.check_one_leader().await;
    cfg.end();
}

pub async fn many_elections<R: RaftPeer>() {
    let servers = 7;
    let cfg = Config::<R>::new(servers, false, false);
    cfg.begin("Test (2A): multiple elections");

    cfg.check_one_leader().await;

    let iters = 10;
    for _ in 1..iters {
        // Disconnect three peers (perhaps fewer distinct ones).
        let picked: Vec<usize> = (0..3)
            .map(|_| random::below(servers as u64) as usize)
            .collect();
        for &i in &picked {
            cfg.disconnect(i);
        }

        // Either the leader is still alive, or the remaining four elect a new one.
        cfg.check_one_leader().await;

        for &i in &picked {
            cfg.connect(i);
        }
    }

    cfg.check_one_leader().await;
    cfg.end();
}
