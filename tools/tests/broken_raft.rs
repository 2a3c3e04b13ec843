//! A deliberately broken Raft, run by one of the lab's tests, for `stress`'s own tests: a
//! voter grants every candidate whose term is at least its own, even after voting for another
//! in that term. Two peers that stand at once can then both win: some seeds fail
//! `initial_election` with two leaders in a term, others pass.
//!
//! Built only with the `broken-fixture` feature, so that `cargo test` never runs it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lab_runtime::random;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, Duration, Instant};
use labrpc::{ClientEnd, Service};
use serde::{Deserialize, Serialize};
use tester::{ApplySender, Persister, RaftPeer};

#[test]
#[allow(non_snake_case)]
fn initial_election_2A() {
    tester::harness::run_test(tester::tests::part_2a::initial_election::<BrokenRaft>);
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Vote {
    term: u64,
    candidate: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Ballot {
    term: u64,
    granted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Beat {
    term: u64,
}

struct State {
    term: u64,
    leader: bool,
    heard: Instant,
    timeout: Duration,
}

struct Peer {
    me: usize,
    ends: Vec<ClientEnd>,
    state: Mutex<State>,
    killed: AtomicBool,
}

pub struct BrokenRaft(Arc<Peer>);

impl Peer {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adopts a newer term, as a follower.
    fn observe(&self, state: &mut State, term: u64) {
        if term > state.term {
            log::debug!(target: "raft::election", "S{} T{} -> T{term}: newer term seen, following", self.me, state.term);
            (state.term, state.leader) = (term, false);
        }
    }
}

/// Timeouts on a coarse grid, with the 10 ms ticks, make simultaneous candidates likelier
/// (about one run in twenty with the simulated machine's latency and timer jitter).
fn election_timeout() -> Duration {
    Duration::from_millis(300 + 10 * random::below(2))
}

async fn ticker(peer: Arc<Peer>) {
    let mut last_beat = Instant::now();
    while !peer.killed.load(Ordering::Relaxed) {
        sleep(Duration::from_millis(10)).await;
        let (leader, stand) = {
            let mut state = peer.state();
            let stand = !state.leader && state.heard.elapsed() >= state.timeout;
            if stand {
                state.term += 1;
                state.heard = Instant::now();
                state.timeout = election_timeout();
                log::debug!(target: "raft::election", "S{} T{}: election timeout, standing", peer.me, state.term);
            }
            (state.leader, stand.then_some(state.term))
        };
        if leader && last_beat.elapsed() >= Duration::from_millis(100) {
            last_beat = Instant::now();
            beat(&peer);
        }
        if let Some(term) = stand {
            stand_for(&peer, term);
        }
    }
}

fn beat(peer: &Arc<Peer>) {
    let term = peer.state().term;
    for to in (0..peer.ends.len()).filter(|&to| to != peer.me) {
        let peer = peer.clone();
        spawn(async move {
            if let Ok(reply) = peer.ends[to]
                .call::<Beat, Beat>("Raft.Beat", &Beat { term })
                .await
            {
                let mut state = peer.state();
                peer.observe(&mut state, reply.term);
            }
        });
    }
}

fn stand_for(peer: &Arc<Peer>, term: u64) {
    let votes = Arc::new(Mutex::new(1));
    let majority = peer.ends.len() / 2 + 1;
    for to in (0..peer.ends.len()).filter(|&to| to != peer.me) {
        let (peer, votes) = (peer.clone(), votes.clone());
        spawn(async move {
            let args = Vote {
                term,
                candidate: peer.me as u64,
            };
            let Ok(ballot) = peer.ends[to]
                .call::<Vote, Ballot>("Raft.RequestVote", &args)
                .await
            else {
                return;
            };
            let mut state = peer.state();
            peer.observe(&mut state, ballot.term);
            if !ballot.granted || state.term != term || state.leader {
                return;
            }
            let mut votes = votes.lock().unwrap_or_else(PoisonError::into_inner);
            *votes += 1;
            if *votes >= majority {
                state.leader = true;
                log::debug!(target: "raft::election", "S{} T{term}: elected leader", peer.me);
            }
        });
    }
}

impl RaftPeer for BrokenRaft {
    fn make(ends: Vec<ClientEnd>, me: usize, _: Arc<Persister>, _: ApplySender) -> Self {
        let peer = Arc::new(Peer {
            me,
            ends,
            state: Mutex::new(State {
                term: 0,
                leader: false,
                heard: Instant::now(),
                timeout: election_timeout(),
            }),
            killed: AtomicBool::new(false),
        });
        spawn(ticker(peer.clone()));
        BrokenRaft(peer)
    }

    fn service(&self) -> Service {
        let (voter, follower) = (self.0.clone(), self.0.clone());
        Service::new("Raft")
            .method("RequestVote", move |args: Vote| {
                let mut state = voter.state();
                voter.observe(&mut state, args.term);
                // The bug: no record of whom this peer voted for in the term.
                let granted = args.term >= state.term && !state.leader;
                if granted {
                    state.heard = Instant::now();
                }
                log::debug!(target: "raft::election", "S{} T{}: vote for S{} in T{}: {}", voter.me, state.term, args.candidate, args.term, if granted { "granted" } else { "refused" });
                Ballot {
                    term: state.term,
                    granted,
                }
            })
            .method("Beat", move |args: Beat| {
                let mut state = follower.state();
                follower.observe(&mut state, args.term);
                if args.term == state.term && !state.leader {
                    state.heard = Instant::now();
                }
                Beat { term: state.term }
            })
    }

    fn start(&self, _command: Vec<u8>) -> Option<(u64, u64)> {
        None
    }

    fn get_state(&self) -> (u64, bool) {
        let state = self.0.state();
        (state.term, state.leader)
    }

    fn snapshot(&self, _index: u64, _snapshot: Vec<u8>) {}

    fn kill(&self) {
        self.0.killed.store(true, Ordering::Relaxed);
    }
}
