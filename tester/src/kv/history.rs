//! What the clerks did, and when: the history the linearizability check reads (Go's
//! `OpLog`), and the tester's own events (partitions, crashes, checks) to show beside it.

use std::sync::{Mutex, MutexGuard, PoisonError};

use lab_runtime::time::Instant;

use super::digest::Observed;

/// Which operation a clerk called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Get,
    Put,
    Append,
}

/// One finished operation of a clerk. Times are [`Clock`] ticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub client_id: usize,
    pub kind: OpKind,
    pub key: String,
    /// What a `Put` or `Append` wrote; empty for a `Get`.
    pub value: String,
    /// What a `Get` returned (as a digest); the empty value's otherwise.
    pub output: Observed,
    pub call: i64,
    pub return_time: i64,
}

/// Something the tester did, over a span of time, for the failure page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub tag: String,
    pub description: String,
    pub start: i64,
    pub end: i64,
}

/// The test's clock for the history: ticks since the configuration was made, where each
/// nanosecond is two ticks, a call's instant taking the first and a return's the second.
/// In simulated time many things happen at one instant; an operation that returns at the
/// instant another is called then counts as overlapping it. That loses no true overlap, so
/// ties can never make a linearizable history look illegal.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    t0: Instant,
}

impl Clock {
    pub fn new() -> Self {
        Clock { t0: Instant::now() }
    }

    fn nanos(&self) -> i64 {
        i64::try_from(self.t0.elapsed().as_nanos()).unwrap_or(i64::MAX / 4)
    }

    /// The tick of a call (or an event's start) now.
    pub fn call(&self) -> i64 {
        2 * self.nanos()
    }

    /// The tick of a return (or an event's end) now.
    pub fn ret(&self) -> i64 {
        2 * self.nanos() + 1
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// The operations and events of one test.
#[derive(Default)]
pub struct History {
    clock: Clock,
    operations: Mutex<Vec<Operation>>,
    events: Mutex<Vec<Event>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl History {
    pub fn clock(&self) -> Clock {
        self.clock
    }

    pub fn record(&self, operation: Operation) {
        lock(&self.operations).push(operation);
    }

    pub fn operations(&self) -> Vec<Operation> {
        lock(&self.operations).clone()
    }

    /// Records an event that starts now; `end_event` closes the last open one of `tag`.
    pub fn begin_event(&self, tag: &str, description: String) {
        let now = self.clock.call();
        lock(&self.events).push(Event {
            tag: tag.to_owned(),
            description,
            start: now,
            end: now,
        });
    }

    /// An event that happened at one instant.
    pub fn instant_event(&self, tag: &str, description: String) {
        self.begin_event(tag, description);
        self.end_event(tag);
    }

    /// Ends the last event of `tag` now.
    pub fn end_event(&self, tag: &str) {
        let now = self.clock.ret();
        if let Some(event) = lock(&self.events).iter_mut().rev().find(|e| e.tag == tag) {
            event.end = now;
        }
    }

    /// The events, those still open ending now.
    pub fn events(&self) -> Vec<Event> {
        let now = self.clock.ret();
        let mut events = lock(&self.events).clone();
        for event in &mut events {
            if event.end == event.start {
                event.end = now.max(event.start + 1);
            }
        }
        events
    }
}
