//! Naming what a thread is inside, for the reports on a stuck test: labrpc names the RPC
//! handler a request runs (`server 3's Raft.RequestVote handler`), the tester names its
//! calls into a Raft (`server 1's snapshot(19)`), so that a deadlock names them rather
//! than the task around them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::watch::{self, Doing};

/// Runs `call` with this thread noted as inside `what` (outside a run, just runs it).
/// `what` is built only inside a run.
pub fn within<T>(what: impl FnOnce() -> String, call: impl FnOnce() -> T) -> T {
    let _inside = watch::enter_named(what);
    call()
}

/// `future`, with the thread that polls it noted as inside `what` during each poll.
pub fn named<F: Future>(what: String, future: F) -> Named<F> {
    Named {
        what: Arc::from(what),
        future: Box::pin(future),
    }
}

/// See [`named`].
pub struct Named<F> {
    what: Arc<str>,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for Named<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let _inside = watch::enter(Doing::Named(this.what.clone()));
        this.future.as_mut().poll(cx)
    }
}
