//! Bad input fails loudly: a server refuses to restart from a corrupted snapshot, naming
//! itself, and a clerk's call to a method the service lacks fails the test with labrpc's
//! error.

mod kv_support;

use kv_support::first_failure;
use kvraft::common::GetArgs;
use kvraft::common::RequestId;
use lab_runtime::time::{sleep, Duration};
use labrpc::ClientEnd;
use tester::kv::tests::part_3a;
use tester::kv::{KvClerk, KvConfig, Record};

#[test]
fn a_corrupted_snapshot_stops_the_restart_naming_the_server() {
    let failure = first_failure(0..1, || async {
        let cfg = KvConfig::<kvraft::KvServer, kvraft::Clerk>::new(3, false, Some(1000));
        let mut ck = cfg.make_client(&cfg.all());
        for i in 0..100 {
            cfg.put(&mut ck, "k", &format!("value {i}"), Record::No)
                .await;
        }
        assert!(cfg.persister(0).snapshot_size() > 0, "S0 never snapshotted");
        cfg.shutdown_server(0);
        let persister = cfg.persister(0);
        persister.save(persister.raft_state(), vec![0xde, 0xad, 0xbe, 0xef]);
        cfg.start_server(0);
    });
    let (_, message) = failure.expect("a server restarted from a corrupted snapshot");
    assert!(
        message.contains("kvraft S0 cannot restart"),
        "the failure does not name the server: {message}"
    );
}

/// A clerk whose Get calls a method the service does not have.
struct MisspelledClerk {
    servers: Vec<ClientEnd>,
}

impl KvClerk for MisspelledClerk {
    fn new(servers: Vec<ClientEnd>) -> Self {
        MisspelledClerk { servers }
    }

    async fn get(&mut self, key: &str) -> String {
        let args = GetArgs {
            key: key.to_owned(),
            id: RequestId { client: 1, seq: 1 },
        };
        loop {
            for server in &self.servers {
                let _ = server.call::<GetArgs, String>("KVServer.Gett", &args).await;
            }
            sleep(Duration::from_millis(100)).await;
        }
    }

    async fn put(&mut self, _key: &str, _value: &str) {}

    async fn append(&mut self, _key: &str, _value: &str) {}
}

#[test]
fn a_call_to_an_unknown_method_fails_the_test_with_labrpc_s_error() {
    let failure = first_failure(0..1, part_3a::speed_3a::<kvraft::KvServer, MisspelledClerk>);
    let (_, message) = failure.expect("a call to an unknown method went unnoticed");
    assert!(
        message.contains("unknown method `Gett`"),
        "the failure does not name the method: {message}"
    );
}
