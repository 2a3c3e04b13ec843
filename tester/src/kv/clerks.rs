//! The test's clerk operations: each counted, and recorded in the history when asked (Go's
//! `Get`, `Put`, `Append` and `check` of `test_test.go`).

use super::config::{KvConfig, TestClerk};
use super::digest::Observed;
use super::history::{OpKind, Operation};
use super::service::{KvClerk, KvService};

/// Whether an operation goes into the history checked for linearizability, and as whose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    No,
    AsClient(usize),
}

impl<S: KvService, C: KvClerk> KvConfig<S, C> {
    pub async fn get(&self, ck: &mut TestClerk<C>, key: &str, record: Record) -> String {
        let call = self.history.clock().call();
        let value = ck.clerk.get(key).await;
        self.finish(record, OpKind::Get, key, "", &value, call);
        value
    }

    pub async fn put(&self, ck: &mut TestClerk<C>, key: &str, value: &str, record: Record) {
        let call = self.history.clock().call();
        ck.clerk.put(key, value).await;
        self.finish(record, OpKind::Put, key, value, "", call);
    }

    pub async fn append(&self, ck: &mut TestClerk<C>, key: &str, value: &str, record: Record) {
        let call = self.history.clock().call();
        ck.clerk.append(key, value).await;
        self.finish(record, OpKind::Append, key, value, "", call);
    }

    fn finish(
        &self,
        record: Record,
        kind: OpKind,
        key: &str,
        value: &str,
        output: &str,
        call: i64,
    ) {
        let return_time = self.history.clock().ret();
        self.op();
        if let Record::AsClient(client_id) = record {
            self.history.record(Operation {
                client_id,
                kind,
                key: key.to_owned(),
                value: value.to_owned(),
                output: Observed::of(output),
                call,
                return_time,
            });
        }
    }

    /// Go's `check`: a `Get` of `key` must return `value`.
    pub async fn check(&self, ck: &mut TestClerk<C>, key: &str, value: &str) {
        let got = self.get(ck, key, Record::No).await;
        self.history
            .instant_event("check", format!("Get({key:?}) must be {value:?}"));
        if got != value {
            panic!("Get({key}): expected:\n{value}\nreceived:\n{got}");
        }
    }
}
