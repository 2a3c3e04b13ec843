//! A Raft's programming errors on the network fail the test loudly, as Go's labrpc does,
//! instead of looking like lost RPCs.

use std::sync::Arc;

use labrpc::{ClientEnd, Service};
use tester::harness::run_test;
use tester::{ApplySender, Config, Persister, RaftPeer};

/// A peer that leads when it is peer 0, and calls a misspelled method on its neighbour.
struct MisspellingRaft {
    me: usize,
}

impl RaftPeer for MisspellingRaft {
    fn make(peers: Vec<ClientEnd>, me: usize, _: Arc<Persister>, _: ApplySender) -> Self {
        let neighbour = peers[(me + 1) % peers.len()].clone();
        lab_runtime::task::spawn(async move {
            // Heartbeats, whose answers this Raft ignores, as a careless one would.
            for _ in 0..50 {
                let neighbour = neighbour.clone();
                lab_runtime::task::spawn(async move {
                    let _ = neighbour.call::<u64, u64>("Raft.AppendEntriez", &1).await;
                });
                lab_runtime::time::sleep(lab_runtime::time::Duration::from_millis(100)).await;
            }
        });
        MisspellingRaft { me }
    }

    fn service(&self) -> Service {
        Service::new("Raft").method("AppendEntries", |x: u64| x)
    }

    fn start(&self, _: Vec<u8>) -> Option<(u64, u64)> {
        None
    }

    fn get_state(&self) -> (u64, bool) {
        (1, self.me == 0)
    }

    fn snapshot(&self, _: u64, _: Vec<u8>) {}

    fn kill(&self) {}
}

#[test]
#[should_panic(expected = "AppendEntriez")]
fn a_call_to_a_misspelled_method_fails_the_test_naming_it() {
    run_test(|| async {
        let cfg = Config::<MisspellingRaft>::new(3, false, false);
        cfg.check_one_leader().await;
        // Heartbeats go on for a while: the first error fails the test.
        lab_runtime::time::sleep(tester::ELECTION_TIMEOUT).await;
        cfg.end();
    });
}
