//! Part 2C: persistence (Go's `TestPersist12C` ... `TestUnreliableChurn2C`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use lab_runtime::random;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, Duration};

use super::common::{decode_int, encode, join, rand_int, running};
use crate::{Config, RaftPeer, ELECTION_TIMEOUT};

pub async fn persist1<R: RaftPeer>() {
    let servers = 3;
    let cfg = Config::<R>::new(servers, false, false);
    cfg.begin("Test (2C): basic persistence");

    cfg.one(&11u64, servers, true).await;

    // Crash and restart every peer.
    for i in 0..servers {
        cfg.start1(i);
    }
    for i in 0..servers {
        cfg.disconnect(i);
        cfg.connect(i);
    }

    cfg.one(&12u64, servers, true).await;

    let leader1 = cfg.check_one_leader().await;
    cfg.disconnect(leader1);
    cfg.start1(leader1);
    cfg.connect(leader1);

    cfg.one(&13u64, servers, true).await;

    let leader2 = cfg.check_one_leader().await;
    cfg.disconnect(leader2);
    cfg.one(&14u64, servers - 1, true).await;
    cfg.start1(leader2);
    cfg.connect(leader2);

    // Let leader2 catch up before another peer goes.
    cfg.wait(4, servers, None).await;

    let i3 = (cfg.check_one_leader().await + 1) % servers;
    cfg.disconnect(i3);
    cfg.one(&15u64, servers - 1, true).await;
    cfg.start1(i3);
    cfg.connect(i3);

    cfg.one(&16u64, servers, true).await;

    cfg.end();
}

pub async fn persist2<R: RaftPeer>() {
    let servers = 5;
    let cfg = Config::<R>::new(servers, false, false);
    cfg.begin("Test (2C): more persistence");

    let mut index = 1u64;
    for _ in 0..5 {
        cfg.one(&(10 + index), servers, true).await;
        index += 1;

        let leader1 = cfg.check_one_leader().await;

        cfg.disconnect((leader1 + 1) % servers);
        cfg.disconnect((leader1 + 2) % servers);

        cfg.one(&(10 + index), servers - 2, true).await;
        index += 1;

        cfg.disconnect(leader1 % servers);
        cfg.disconnect((leader1 + 3) % servers);
        cfg.disconnect((leader1 + 4) % servers);

        cfg.start1((leader1 + 1) % servers);
        cfg.start1((leader1 + 2) % servers);
        cfg.connect((leader1 + 1) % servers);
        cfg.connect((leader1 + 2) % servers);

        sleep(ELECTION_TIMEOUT).await;

        cfg.start1((leader1 + 3) % servers);
        cfg.connect((leader1 + 3) % servers);

        cfg.one(&(10 + index), servers - 2, true).await;
        index += 1;

        cfg.connect((leader1 + 4) % servers);
        cfg.connect(leader1 % servers);
    }

    cfg.one(&1000u64, servers, true).await;

    cfg.end();
}

pub async fn persist3<R: RaftPeer>() {
    let servers = 3;
    let cfg = Config::<R>::new(servers, false, false);
    cfg.begin("Test (2C): partitioned leader and one follower crash, leader restarts");

    cfg.one(&101u64, 3, true).await;

    let leader = cfg.check_one_leader().await;
    cfg.disconnect((leader + 2) % servers);

    cfg.one(&102u64, 2, true).await;

    cfg.crash1(leader % servers);
    cfg.crash1((leader + 1) % servers);
    cfg.connect((leader + 2) % servers);
    cfg.start1(leader % servers);
    cfg.connect(leader % servers);

    cfg.one(&103u64, 2, true).await;

    cfg.start1((leader + 1) % servers);
    cfg.connect((leader + 1) % servers);

    cfg.one(&104u64, servers, true).await;

    cfg.end();
}

/// A pause before the next step of the Figure 8 tests: usually under 13 ms, one time in
/// ten up to half an election timeout.
async fn figure8_pause() {
    let ms = if random::below(1000) < 100 {
        random::below(ELECTION_TIMEOUT.as_millis() as u64 / 2)
    } else {
        random::below(13)
    };
    sleep(Duration::from_millis(ms)).await;
}

/// The scenarios of Figure 8 of the extended Raft paper. In each round any leader gets a
/// command and then, soon, crashes (maybe before committing it); when fewer than three
/// peers are up, a random crashed one may restart. A new leader may have to finish
/// replicating entries of earlier terms.
pub async fn figure8<R: RaftPeer>() {
    let servers = 5;
    let cfg = Config::<R>::new(servers, false, false);
    cfg.begin("Test (2C): Figure 8");

    cfg.one(&rand_int(), 1, true).await;

    let mut nup = servers;
    for _ in 0..1000 {
        let mut leader = None;
        for i in 0..servers {
            if let Some(raft) = cfg.raft(i) {
                if raft.start(encode(&rand_int())).is_some() {
                    leader = Some(i);
                }
            }
        }

        figure8_pause().await;

        if let Some(leader) = leader {
            cfg.crash1(leader);
            nup -= 1;
        }

        if nup < 3 {
            let s = random::below(servers as u64) as usize;
            if cfg.raft(s).is_none() {
                cfg.start1(s);
                cfg.connect(s);
                nup += 1;
            }
        }
    }

    for i in 0..servers {
        if cfg.raft(i).is_none() {
            cfg.start1(i);
            cfg.connect(i);
        }
    }

    cfg.one(&rand_int(), servers, true).await;

    cfg.end();
}

pub async fn unreliable_agree<R: RaftPeer>() {
    let servers = 5;
    let cfg = Arc::new(Config::<R>::new(servers, true, false));
    cfg.begin("Test (2C): unreliable agreement");

    let mut agreements = Vec::new();
    for iters in 1..50u64 {
        for j in 0..4 {
            let cfg = cfg.clone();
            agreements.push(spawn(async move {
                cfg.one(&(100 * iters + j), 1, true).await;
            }));
        }
        cfg.one(&iters, 1, true).await;
    }

    cfg.set_unreliable(false);

    for agreement in agreements {
        join(agreement).await;
    }

    cfg.one(&100u64, servers, true).await;

    cfg.end();
}

pub async fn figure8_unreliable<R: RaftPeer>() {
    let servers = 5;
    let cfg = Config::<R>::new(servers, true, false);
    cfg.begin("Test (2C): Figure 8 (unreliable)");

    cfg.one(&random::below(10000), 1, true).await;

    let mut nup = servers;
    for iters in 0..1000 {
        if iters == 200 {
            cfg.set_long_reordering(true);
        }
        let mut leader = None;
        for i in 0..servers {
            let ok = running(&cfg, i)
                .start(encode(&random::below(10000)))
                .is_some();
            if ok && cfg.is_connected(i) {
                leader = Some(i);
            }
        }

        figure8_pause().await;

        if let Some(leader) = leader {
            if random::below(1000) < ELECTION_TIMEOUT.as_millis() as u64 / 2 {
                cfg.disconnect(leader);
                nup -= 1;
            }
        }

        if nup < 3 {
            let s = random::below(servers as u64) as usize;
            if !cfg.is_connected(s) {
                cfg.connect(s);
                nup += 1;
            }
        }
    }

    for i in 0..servers {
        if !cfg.is_connected(i) {
            cfg.connect(i);
        }
    }

    cfg.one(&random::below(10000), servers, true).await;

    cfg.end();
}

/// One of the churn tests' clients: until `stop`, it offers random commands to every peer
/// and, when one accepts, waits a little for the command to commit. Returns the commands
/// it saw committed.
async fn churn_client<R: RaftPeer>(
    cfg: Arc<Config<R>>,
    me: u64,
    stop: Arc<AtomicBool>,
) -> Vec<u64> {
    let mut values = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let x = rand_int();
        let mut index = None;
        for i in 0..cfg.n() {
            // Any of them may be the leader.
            if let Some(raft) = cfg.raft(i) {
                if let Some((index1, _)) = raft.start(encode(&x)) {
                    index = Some(index1);
                }
            }
        }
        if let Some(index) = index {
            // The leader may or may not commit the command; do not wait for ever.
            for to in [10, 20, 50, 100, 200] {
                let (nd, cmd) = cfg.n_committed(index);
                if nd > 0 {
                    let Some(xx) = cmd.as_deref().and_then(decode_int) else {
                        panic!("wrong command type");
                    };
                    if xx == x {
                        values.push(x);
                    }
                    break;
                }
                sleep(Duration::from_millis(to)).await;
            }
        } else {
            sleep(Duration::from_millis(79 + me * 17)).await;
        }
    }
    values
}

/// Raises the flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

async fn churn<R: RaftPeer>(unreliable: bool) {
    let servers = 5;
    let cfg = Arc::new(Config::<R>::new(servers, unreliable, false));
    if unreliable {
        cfg.begin("Test (2C): unreliable churn");
    } else {
        cfg.begin("Test (2C): churn");
    }

    let stop = Arc::new(AtomicBool::new(false));
    // A failing test must stop its clients too, or they would run on after it.
    let _stop_on_exit = StopOnDrop(stop.clone());

    let ncli = 3;
    let clients: Vec<_> = (0..ncli)
        .map(|me| spawn(churn_client(cfg.clone(), me, stop.clone())))
        .collect();

    for _ in 0..20 {
        if random::below(1000) < 200 {
            let i = random::below(servers as u64) as usize;
            cfg.disconnect(i);
        }

        if random::below(1000) < 500 {
            let i = random::below(servers as u64) as usize;
            if cfg.raft(i).is_none() {
                cfg.start1(i);
            }
            cfg.connect(i);
        }

        if random::below(1000) < 200 {
            let i = random::below(servers as u64) as usize;
            if cfg.raft(i).is_some() {
                cfg.crash1(i);
            }
        }

        // Under an election timeout, so that changes come before everything has settled,
        // but not so far under that the peers can never keep up.
        sleep(ELECTION_TIMEOUT * 7 / 10).await;
    }

    sleep(ELECTION_TIMEOUT).await;
    cfg.set_unreliable(false);
    for i in 0..servers {
        if cfg.raft(i).is_none() {
            cfg.start1(i);
        }
        cfg.connect(i);
    }

    stop.store(true, Ordering::SeqCst);

    let mut values = Vec::new();
    for client in clients {
        match client.await {
            Ok(seen) => values.extend(seen),
            Err(_) => panic!("client failed"),
        }
    }

    sleep(ELECTION_TIMEOUT).await;

    let last_index = cfg.one(&rand_int(), servers, true).await;

    let mut really = Vec::new();
    for index in 1..=last_index {
        let v = cfg.wait(index, servers, None).await;
        match v.as_deref().and_then(decode_int) {
            Some(vi) => really.push(vi),
            None => panic!("not an int"),
        }
    }

    for v1 in values {
        if !really.contains(&v1) {
            panic!("didn't find a value");
        }
    }

    cfg.end();
}

pub async fn reliable_churn<R: RaftPeer>() {
    churn::<R>(false).await;
}

pub async fn unreliable_churn<R: RaftPeer>() {
    churn::<R>(true).await;
}
