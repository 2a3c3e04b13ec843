//! The test's clerk operations: each counted, and recorded in the history when asked (Go's
//! `Get`, `Put`, `Append` and `check` of `test_test.go`).

use std::future::Future;

use super::config::{KvConfig, TestClerk};
use super::digest::Observed;
use super::history::{History, OpKind, Operation};
use super::service::{KvClerk, KvService};

/// Whether an operation goes into the history checked for linearizability, and as whose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    No,
    AsClient(usize),
}

/// One clerk operation as the history sees it: what was called, on which key, with which
/// value (empty for a `Get`).
pub(crate) struct Call<'a> {
    pub(crate) record: Record,
    pub(crate) kind: OpKind,
    pub(crate) key: &'a str,
    pub(crate) value: &'a str,
}

impl History {
    /// Runs `op`, a clerk's operation returning what it read (`""` for a write), and
    /// records it with its call and return times when asked. Shared by lab 3's and lab
    /// 4B's testers.
    pub(crate) async fn run(&self, call: Call<'_>, op: impl Future<Output = String>) -> String {
        let called = self.clock().call();
        let output = op.await;
        let return_time = self.clock().ret();
        if let Record::AsClient(client_id) = call.record {
            self.record(Operation {
                client_id,
                kind: call.kind,
                key: call.key.to_owned(),
                value: call.value.to_owned(),
                output: Observed::of(&output),
                call: called,
                return_time,
            });
        }
        output
    }
}

/// Go's `check`'s verdict: a `Get` of `key` returned `got` where `value` was due.
pub(crate) fn check_value(key: &str, value: &str, got: &str) {
    if got != value {
        panic!("Get({key}): expected:\n{value}\nreceived:\n{got}");
    }
}

impl<S: KvService, C: KvClerk> KvConfig<S, C> {
    pub async fn get(&self, ck: &mut TestClerk<C>, key: &str, record: Record) -> String {
        let call = Call {
            record,
            kind: OpKind::Get,
            key,
            value: "",
        };
        let value = self.history.run(call, ck.clerk.get(key)).await;
        self.op();
        value
    }

    pub async fn put(&self, ck: &mut TestClerk<C>, key: &str, value: &str, record: Record) {
        let call = Call {
            record,
            kind: OpKind::Put,
            key,
            value,
        };
        let put = async {
            ck.clerk.put(key, value).await;
            String::new()
        };
        self.history.run(call, put).await;
        self.op();
    }

    pub async fn append(&self, ck: &mut TestClerk<C>, key: &str, value: &str, record: Record) {
        let call = Call {
            record,
            kind: OpKind::Append,
            key,
            value,
        };
        let append = async {
            ck.clerk.append(key, value).await;
            String::new()
        };
        self.history.run(call, append).await;
        self.op();
    }

    /// Go's `check`: a `Get` of `key` must return `value`.
    pub async fn check(&self, ck: &mut TestClerk<C>, key: &str, value: &str) {
        let got = self.get(ck, key, Record::No).await;
        self.history
            .instant_event("check", format!("Get({key:?}) must be {value:?}"));
        check_value(key, value, &got);
    }
}
