//! A few cores whose messages are delivered at once, in order, between connected peers.

use lab_runtime::time::{Duration, Instant};
use rand::rngs::SmallRng;
use rand::SeedableRng;

use crate::core::{timing, Core, HardState, Outgoing, Ready};

pub(super) struct Cluster {
    pub cores: Vec<Core>,
    pub connected: Vec<bool>,
    pub now: Instant,
}

impl Cluster {
    pub fn new(n: usize) -> Self {
        let now = Instant::now();
        Cluster {
            cores: (0..n)
                .map(|me| {
                    let rng = SmallRng::seed_from_u64(me as u64);
                    Core::new(me, n, HardState::default(), Vec::new(), now, rng)
                })
                .collect(),
            connected: vec![true; n],
            now,
        }
    }

    /// Makes `peer` stand for election and delivers everything that follows.
    pub fn elect(&mut self, peer: usize) {
        self.now += Duration::from_millis(timing::ELECTION_TIMEOUT_MS.end);
        let votes = self.cores[peer].tick(self.now);
        self.deliver(peer, votes);
        assert!(self.cores[peer].is_leader(), "S{peer} was not elected");
    }

    /// Lets a heartbeat interval pass, ticking the leaders only: followers keep waiting.
    pub fn heartbeat(&mut self) {
        self.now += timing::HEARTBEAT_INTERVAL;
        for peer in 0..self.cores.len() {
            if self.cores[peer].is_leader() {
                let out = self.cores[peer].tick(self.now);
                self.deliver(peer, out);
            }
        }
    }

    /// Ticks `peer` at the current time and delivers what it sends.
    pub fn tick(&mut self, peer: usize) -> usize {
        let out = self.cores[peer].tick(self.now);
        let sent = out.len();
        self.deliver(peer, out);
        sent
    }

    /// Delivers `from`'s messages and the answers, and everything they cause, until quiet.
    /// Returns how many requests were delivered.
    pub fn deliver(&mut self, from: usize, messages: Vec<Outgoing>) -> usize {
        let mut queue: Vec<(usize, Outgoing)> = messages.into_iter().map(|m| (from, m)).collect();
        let mut delivered = 0;
        while !queue.is_empty() {
            let (from, message) = queue.remove(0);
            let to = message.to();
            if !(self.connected[from] && self.connected[to]) {
                continue;
            }
            delivered += 1;
            let now = self.now;
            let more = match message {
                Outgoing::RequestVote { args, .. } => {
                    let reply = self.cores[to].handle_request_vote(now, args.clone());
                    self.cores[from].handle_vote_reply(now, to, &args, reply)
                }
                Outgoing::AppendEntries { args, .. } => {
                    let reply = self.cores[to].handle_append_entries(now, args.clone());
                    self.cores[from].handle_append_reply(to, &args, reply)
                }
                Outgoing::InstallSnapshot { args, .. } => {
                    let reply = self.cores[to].handle_install_snapshot(now, args.clone());
                    self.cores[from].handle_install_snapshot_reply(to, &args, reply)
                }
            };
            queue.extend(more.into_iter().map(|m| (from, m)));
        }
        delivered
    }

    /// Proposes `command` at `leader` and delivers; returns the index.
    pub fn propose(&mut self, leader: usize, command: u8) -> u64 {
        let (index, _) = self.cores[leader]
            .propose(vec![command])
            .expect("the leader accepts");
        self.tick(leader);
        index
    }

    /// The commands `peer` has committed and not yet handed out, by index.
    pub fn take_commands(&mut self, peer: usize) -> Vec<(u64, u8)> {
        self.cores[peer]
            .take_ready(usize::MAX)
            .into_iter()
            .filter_map(|ready| match ready {
                Ready::Command { index, command } => Some((index, command[0])),
                Ready::Snapshot { .. } => None,
            })
            .collect()
    }
}
