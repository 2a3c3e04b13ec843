//! What a run knows about itself while it runs: its first failure (a panicking task, or
//! [`fail_run`]), and which task each of its threads is polling, for the watchdog's report.

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError};
use std::task::{Context, Poll, Waker};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One run of `block_on`: shared by its threads.
#[derive(Default)]
pub(crate) struct Run {
    failure: Mutex<Option<String>>,
    /// Wakes `block_on`'s race when a failure is recorded.
    waker: Mutex<Option<Waker>>,
    threads: Mutex<Vec<Arc<ThreadState>>>,
    /// The run's last log lines (with `LAB_LOG` on), for the watchdog's report.
    last_lines: Mutex<std::collections::VecDeque<String>>,
}

/// How many of a run's last log lines the watchdog shows.
const LAST_LINES: usize = 20;

/// What one thread of a run is doing.
struct ThreadState {
    name: String,
    /// Where the task being polled was spawned (and whether it is the main future), while
    /// a poll runs.
    polling: Mutex<Option<(&'static Location<'static>, bool)>>,
}

thread_local! {
    static CURRENT: RefCell<Option<(Arc<Run>, Arc<ThreadState>)>> = const { RefCell::new(None) };
    /// Where and why this thread last panicked, as the panic hook saw it.
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

impl Run {
    /// Records the run's first failure and wakes `block_on`; later ones are only logged.
    pub(crate) fn fail(&self, message: String) {
        let mut failure = lock(&self.failure);
        if failure.is_some() {
            log::error!("after the run's first failure: {message}");
            return;
        }
        *failure = Some(message);
        drop(failure);
        if let Some(waker) = lock(&self.waker).take() {
            waker.wake();
        }
    }

    pub(crate) fn failure(&self) -> Option<String> {
        lock(&self.failure).clone()
    }

    /// Makes this thread one of the run's, so that `spawn` and `fail_run` find the run.
    pub(crate) fn enter(self: &Arc<Self>) {
        let name = std::thread::current()
            .name()
            .unwrap_or("<unnamed>")
            .to_owned();
        let state = Arc::new(ThreadState {
            name,
            polling: Mutex::new(None),
        });
        lock(&self.threads).push(state.clone());
        CURRENT.with(|current| *current.borrow_mut() = Some((self.clone(), state)));
    }

    /// Which threads are inside a poll, and of which task; for the watchdog's report.
    pub(crate) fn busy_threads(&self) -> Vec<String> {
        lock(&self.threads)
            .iter()
            .filter_map(|thread| {
                let (at, main) = (*lock(&thread.polling))?;
                let what = if main {
                    format!("the test's main future, started at {at}")
                } else {
                    format!("the task spawned at {at}")
                };
                Some(format!(
                    "thread `{}` is inside a poll of {what}",
                    thread.name
                ))
            })
            .collect()
    }
}

impl Run {
    /// The run's last log lines, oldest first.
    pub(crate) fn last_lines(&self) -> Vec<String> {
        lock(&self.last_lines).iter().cloned().collect()
    }
}

/// Keeps `line`, logged by this thread, among its run's last lines.
pub(crate) fn note_log_line(line: &str) {
    if let Some((run, _)) = current() {
        let mut lines = lock(&run.last_lines);
        if lines.len() == LAST_LINES {
            lines.pop_front();
        }
        lines.push_back(line.trim_end().to_owned());
    }
}

/// Leaves the run this thread entered.
pub(crate) fn leave() {
    CURRENT.with(|current| current.borrow_mut().take());
}

fn current() -> Option<(Arc<Run>, Arc<ThreadState>)> {
    CURRENT.with(|current| current.borrow().clone())
}

/// Fails the current run at once: the test that called `block_on` (or `run_test`) panics
/// with `message`, as if its body had, while the run's tasks are dropped. Meant for errors
/// that a task cannot return to the test, such as a programming error found by labrpc.
/// Only the run's first failure is reported. Outside a run, panics with `message` here.
pub fn fail_run(message: impl Into<String>) {
    let message = message.into();
    match current() {
        Some((run, _)) => run.fail(message),
        None => panic!("{message}"),
    }
}

/// Installs, once per process, a panic hook that notes where each thread panicked before
/// the previous hook prints it, so that a task's failure can name the place.
pub(crate) fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info
                .location()
                .map(|l| l.to_string())
                .unwrap_or_else(|| "<unknown place>".to_owned());
            let message = payload_text(info.payload());
            LAST_PANIC.with(|last| *last.borrow_mut() = Some((location, message)));
            previous(info);
        }));
    });
}

/// The text of a panic's payload.
pub(crate) fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "<a panic without a message>".to_owned()
    }
}

/// A future that notes, for the watchdog, where it was spawned while it is polled, and
/// turns its panic (when `fails_run`) into the run's failure before unwinding on.
pub(crate) struct Tracked<F> {
    future: Pin<Box<F>>,
    spawned_at: &'static Location<'static>,
    fails_run: bool,
}

impl<F> Tracked<F> {
    pub(crate) fn new(future: F, spawned_at: &'static Location<'static>, fails_run: bool) -> Self {
        Tracked {
            future: Box::pin(future),
            spawned_at,
            fails_run,
        }
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let current = current();
        if let Some((_, thread)) = &current {
            *lock(&thread.polling) = Some((this.spawned_at, !this.fails_run));
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| this.future.as_mut().poll(cx)));
        if let Some((run, thread)) = &current {
            *lock(&thread.polling) = None;
            if let (Err(payload), true) = (&outcome, this.fails_run) {
                run.fail(task_failure(payload.as_ref(), this.spawned_at));
            }
        }
        match outcome {
            Ok(poll) => poll,
            // tokio keeps the panic for the task's JoinHandle; madsim re-raises it.
            Err(payload) => resume_unwind(payload),
        }
    }
}

/// The failure of a run whose task panicked: the panic's message first, then where.
fn task_failure(payload: &(dyn Any + Send), spawned_at: &Location<'_>) -> String {
    let message = payload_text(payload);
    let place = LAST_PANIC
        .with(|last| last.borrow_mut().take())
        .filter(|(_, noted)| *noted == message)
        .map(|(location, _)| format!("panicked at {location}, "))
        .unwrap_or_default();
    format!("{message}\n  (a task {place}spawned at {spawned_at})")
}

/// `block_on`'s main future raced against the run's first failure.
pub(crate) struct Race<F> {
    pub(crate) run: Arc<Run>,
    pub(crate) main: Pin<Box<F>>,
}

impl<F: Future> Future for Race<F> {
    type Output = Result<F::Output, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // The waker first: a failure recorded after the check still wakes this.
        *lock(&this.run.waker) = Some(cx.waker().clone());
        if let Some(failure) = this.run.failure() {
            return Poll::Ready(Err(failure));
        }
        let poll = this.main.as_mut().poll(cx);
        // A failure during that poll wins over the main future's result.
        match (this.run.failure(), poll) {
            (Some(failure), _) => Poll::Ready(Err(failure)),
            (None, Poll::Ready(output)) => Poll::Ready(Ok(output)),
            (None, Poll::Pending) => Poll::Pending,
        }
    }
}
