//! The vocabulary of the checker: histories (as operations or as events), the sequential
//! specification a history is checked against, and the verdict.

use std::fmt::Debug;
use std::hash::Hash;

/// One completed operation of a history: a client called it with `input` at `call` and it
/// returned `output` at `return_time`.
///
/// Times are in nanoseconds from any origin. The interval is closed: an operation
/// `[10, 20]` is concurrent with one `[20, 30]`, because a clock that can return the same
/// instant twice cannot tell them apart.
///
/// An operation whose outcome the client never learned (a timed-out request) is written
/// with an output the model accepts whatever the state (see [`crate::models::etcd`]) and a
/// `return_time` after every other event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    /// The client (lane on the page) that issued the operation; zero-based.
    pub client_id: usize,
    pub input: I,
    /// When the call was made.
    pub call: i64,
    pub output: O,
    /// When the call returned.
    pub return_time: i64,
}

/// Whether an [`Event`] is a call or a return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    Call,
    Return,
}

/// The payload of an [`Event`]: a call carries the input, a return the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventValue<I, O> {
    Input(I),
    Output(O),
}

/// One call or return of a history written as a sequence of events, where only the order
/// matters. A call and its return share an `id`.
///
/// `kind` must agree with `value` (`Call` with [`EventValue::Input`], `Return` with
/// [`EventValue::Output`]); [`Event::call`] and [`Event::ret`] build events that do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<T> {
    pub client_id: usize,
    pub kind: EventKind,
    pub value: T,
    pub id: usize,
}

impl<I, O> Event<EventValue<I, O>> {
    /// A call event of operation `id`.
    pub fn call(client_id: usize, id: usize, input: I) -> Self {
        Event {
            client_id,
            kind: EventKind::Call,
            value: EventValue::Input(input),
            id,
        }
    }

    /// The return event of operation `id`.
    pub fn ret(client_id: usize, id: usize, output: O) -> Self {
        Event {
            client_id,
            kind: EventKind::Return,
            value: EventValue::Output(output),
            id,
        }
    }
}

/// A history of events for model `M`.
pub type EventHistory<M> = [Event<EventValue<<M as Model>::Input, <M as Model>::Output>>];

/// A sequential specification: the states a system can be in and the steps it can take.
///
/// `step` must be a pure function of its arguments. Partitioning (splitting a history into
/// parts that are linearizable exactly when each part is, such as by key) makes checking
/// far cheaper; with a partition the state can describe one part only.
pub trait Model {
    type State: Clone + Eq + Hash + Send + Sync + Debug;
    type Input: Clone + Send + Sync + Debug;
    type Output: Clone + Send + Sync + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after applying `input` in `state` and observing `output`, or `None` when
    /// the system could not have returned `output` there.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: &Self::Output,
    ) -> Option<Self::State>;

    /// Splits a history into independent parts, as lists of indices into `history`.
    /// The default keeps the history whole.
    fn partition(&self, history: &[Operation<Self::Input, Self::Output>]) -> Vec<Vec<usize>> {
        vec![(0..history.len()).collect()]
    }

    /// Splits an event history into independent parts, as lists of indices into `history`
    /// (a call and its return in the same part, in history order). The default keeps the
    /// history whole.
    fn partition_events(
        &self,
        history: &[Event<EventValue<Self::Input, Self::Output>>],
    ) -> Vec<Vec<usize>> {
        vec![(0..history.len()).collect()]
    }

    /// How the page names an operation, such as `get('x') -> 'y'`.
    fn describe_operation(&self, input: &Self::Input, output: &Self::Output) -> String {
        format!("{input:?} -> {output:?}")
    }

    /// How the page shows a state.
    fn describe_state(&self, state: &Self::State) -> String {
        format!("{state:?}")
    }
}

/// The verdict of a check.
///
/// Linearizability checking is NP-complete, so a check with a time budget (or a cache
/// limit) may end before it decides: that is `Unknown`, never a guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckResult {
    /// Some order of the operations, consistent with real time, explains every output.
    Ok,
    /// No such order exists.
    Illegal,
    /// The check stopped (time budget or cache limit) before it could tell.
    Unknown,
}

impl CheckResult {
    /// The name the page and reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckResult::Ok => "Ok",
            CheckResult::Illegal => "Illegal",
            CheckResult::Unknown => "Unknown",
        }
    }
}
