//! What a run knows about itself while it runs: its first failure (a panicking task, or
//! [`fail_run`]), and what each of its threads is inside (a task's poll, a named call), for
//! the reports on a stuck run.

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError};
use std::task::{Context, Poll, Waker};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One run of `block_on`: shared by its threads.
#[derive(Default)]
pub(crate) struct Run {
    failure: Mutex<Option<Failure>>,
    /// Wakes `block_on`'s race when a failure is recorded.
    waker: Mutex<Option<Waker>>,
    threads: Mutex<Vec<Arc<ThreadState>>>,
    /// The run's last log lines (with `LAB_LOG` on), for the watchdog's report.
    last_lines: Mutex<std::collections::VecDeque<String>>,
}

/// A run's first failure.
#[derive(Clone)]
pub(crate) struct Failure {
    pub(crate) message: String,
    /// Whether the panic hook has shown it already, with its place (a task's panic).
    pub(crate) shown: bool,
}

/// How many of a run's last log lines the watchdog shows.
const LAST_LINES: usize = 20;

/// What one thread of a run is doing.
pub(crate) struct ThreadState {
    pub(crate) name: String,
    /// The thread's Linux id, for a look at it in `/proc` (`None` elsewhere).
    pub(crate) tid: Option<u32>,
    /// What the thread is inside, while it polls a task or runs a named call (nothing,
    /// between).
    busy: Mutex<Busy>,
}

/// One stretch of a thread's work: a poll, or a named call outside any poll.
#[derive(Clone, Default)]
pub(crate) struct Busy {
    /// What the thread is inside, outermost first: the task (where it was spawned), then
    /// what it named inside (an RPC handler, a call into a Raft).
    pub(crate) doing: Vec<Doing>,
    /// Which stretch this is: a number of its own for as long as it lasts. (Not a time:
    /// madsim's threads read virtual time.)
    pub(crate) stretch: u64,
}

#[derive(Clone)]
pub(crate) enum Doing {
    /// A poll of a task spawned at that place, or of the test's main future.
    Task {
        at: &'static Location<'static>,
        main: bool,
    },
    /// A call or a handler, as its caller named it (`server 3's Raft.RequestVote handler`).
    Named(Arc<str>),
}

impl Doing {
    /// A task spawned inside the lab's plumbing: labrpc, this runtime, or the tester outside
    /// its tests (`tester/src/tests/`, `tester/src/kv/tests/`, ...), whose places are test code.
    pub(crate) fn is_plumbing(&self) -> bool {
        let Doing::Task { at, main: false } = self else {
            return false;
        };
        let file = at.file().replace('\\', "/");
        let inside = |crate_src: &str| {
            file.starts_with(crate_src) || file.contains(&format!("/{crate_src}"))
        };
        inside("labrpc/src/")
            || inside("runtime/src/")
            || (inside("tester/src/") && !file.contains("/tests/"))
    }
}

impl std::fmt::Display for Doing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Doing::Task { at, main: true } => write!(f, "the test's main future, started at {at}"),
            Doing::Task { at, main: false } => write!(f, "the task spawned at {at}"),
            Doing::Named(what) => f.write_str(what),
        }
    }
}

impl ThreadState {
    /// The thread starts `doing` (inside what it already does, if anything). The list
    /// keeps its allocation from poll to poll.
    fn push(&self, doing: Doing) {
        static STRETCHES: AtomicU64 = AtomicU64::new(0);
        let mut busy = lock(&self.busy);
        if busy.doing.is_empty() {
            busy.stretch = STRETCHES.fetch_add(1, Ordering::Relaxed);
        }
        busy.doing.push(doing);
    }

    /// The thread is done with what it started last.
    fn pop(&self) {
        lock(&self.busy).doing.pop();
    }

    /// What the thread is inside, if anything.
    pub(crate) fn busy(&self) -> Option<Busy> {
        let busy = lock(&self.busy);
        (!busy.doing.is_empty()).then(|| busy.clone())
    }
}

/// While it lives, this thread is noted as inside what it entered.
pub(crate) struct Inside(Option<Arc<ThreadState>>);

impl Drop for Inside {
    fn drop(&mut self) {
        if let Some(thread) = &self.0 {
            thread.pop();
        }
    }
}

/// Notes this thread (if it is one of a run's) as inside `doing` until the guard drops.
pub(crate) fn enter(doing: Doing) -> Inside {
    let thread = current().map(|(_, thread)| thread);
    if let Some(thread) = &thread {
        thread.push(doing);
    }
    Inside(thread)
}

/// [`enter`] a named call, naming it only inside a run.
pub(crate) fn enter_named(what: impl FnOnce() -> String) -> Inside {
    let thread = current().map(|(_, thread)| thread);
    if let Some(thread) = &thread {
        thread.push(Doing::Named(Arc::from(what())));
    }
    Inside(thread)
}

/// This thread's Linux id, from `/proc/thread-self` (`PID/task/TID`).
pub(crate) fn this_tid() -> Option<u32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

thread_local! {
    static CURRENT: RefCell<Option<(Arc<Run>, Arc<ThreadState>)>> = const { RefCell::new(None) };
    /// Where and why this thread last panicked, as the panic hook saw it.
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

impl Run {
    /// Records the run's first failure and wakes `block_on`; later ones are only logged.
    pub(crate) fn fail(&self, message: String, shown: bool) {
        let mut failure = lock(&self.failure);
        if failure.is_some() {
            log::error!("after the run's first failure: {message}");
            return;
        }
        *failure = Some(Failure { message, shown });
        drop(failure);
        if let Some(waker) = lock(&self.waker).take() {
            waker.wake();
        }
    }

    pub(crate) fn failure(&self) -> Option<Failure> {
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
            tid: this_tid(),
            busy: Mutex::default(),
        });
        lock(&self.threads).push(state.clone());
        CURRENT.with(|current| *current.borrow_mut() = Some((self.clone(), state)));
    }

    /// The run's threads, for the watchdog.
    pub(crate) fn threads(&self) -> Vec<Arc<ThreadState>> {
        lock(&self.threads).clone()
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
        Some((run, _)) => run.fail(message, false),
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
                .map(|l| short_path(&l.to_string()))
                .unwrap_or_else(|| "<unknown place>".to_owned());
            let message = payload_text(info.payload());
            LAST_PANIC.with(|last| *last.borrow_mut() = Some((location.clone(), message.clone())));
            if current().is_none() {
                return previous(info);
            }
            // A run's own threads: the place without machine paths, once.
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("<unnamed>");
            eprintln!("\nthread '{name}' panicked at {location}:\n{message}");
            let backtrace = std::backtrace::Backtrace::capture();
            if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
                eprintln!("stack backtrace:\n{backtrace}");
            }
        }));
    });
}

/// `path` without the machine's own prefixes: a crate from the cargo registry as
/// `madsim-0.2.34/src/...`, the standard library as `library/...`.
pub(crate) fn short_path(path: &str) -> String {
    let after = |marker: &str, skip: usize| {
        let (_, rest) = path.split_once(marker)?;
        rest.splitn(skip + 1, '/').nth(skip).map(str::to_owned)
    };
    after("/registry/src/", 1)
        .or_else(|| after("/git/checkouts/", 2))
        .or_else(|| {
            path.strip_prefix("/rustc/")
                .and_then(|_| after("/rustc/", 1))
        })
        .unwrap_or_else(|| path.to_owned())
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
            thread.push(Doing::Task {
                at: this.spawned_at,
                main: !this.fails_run,
            });
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| this.future.as_mut().poll(cx)));
        if let Some((run, thread)) = &current {
            thread.pop();
            if let (Err(payload), true) = (&outcome, this.fails_run) {
                run.fail(task_failure(payload.as_ref(), this.spawned_at), true);
                // madsim would print its own context (with a machine path) and unwind
                // through the run; the failure just recorded ends the run instead.
                if cfg!(madsim) {
                    return Poll::Pending;
                }
            }
        }
        match outcome {
            Ok(poll) => poll,
            // tokio keeps the panic for the task's JoinHandle.
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

/// A panic, as `catch_unwind` returns it.
pub(crate) type Panic = Box<dyn Any + Send>;

/// The main future, its panic caught: it never unwinds into the runtime (madsim would
/// print its own context line).
pub(crate) struct Caught<F>(pub(crate) F);

impl<F: Future + Unpin> Future for Caught<F> {
    type Output = Result<F::Output, Panic>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut this.0).poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// `block_on`'s main future raced against the run's first failure.
pub(crate) struct Race<F> {
    pub(crate) run: Arc<Run>,
    pub(crate) main: Pin<Box<F>>,
}

impl<F: Future> Future for Race<F> {
    type Output = Result<F::Output, Failure>;

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
