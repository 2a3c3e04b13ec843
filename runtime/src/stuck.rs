//! Telling a stuck run, and reporting it: fast where the evidence is unambiguous (a thread
//! asleep on a lock inside one poll or named call, that has not run for 10 s), at the
//! watchdog's limit otherwise.
//!
//! Why the fast path cannot fire on a correct program, however loaded the machine: it
//! needs a thread that is inside one poll of a task (or one named call into a Raft),
//! asleep in a `futex` (a lock, a condition variable, a park), and not switched in even
//! once (its context-switch counts unchanged) across at least ten looks spanning 10 s. Load
//! delays a thread that *can* run; it does not keep a thread asleep on a lock for 10 s.
//! Only a wait for something that never comes does: a deadlock, or a task that blocks its
//! thread on another task (which, on a runtime, is a deadlock waiting to happen). In
//! simulation the run has one thread, so such a thread is the whole run, stopped; and a
//! poll cannot even wait on a timer there. A busy loop keeps running, so it never
//! qualifies: the watchdog's limit reports it. Nor does a lock whose holder waits on the
//! world: while any thread of the process sleeps in another system call (a write to a
//! pipe that a pager stopped reading, a sleep), the detector holds off.

use std::collections::HashMap;
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::logging;
use crate::proc_state::{self, ThreadLook};
use crate::watch::{Busy, Doing, Run};
use crate::{Mode, MODE, WATCHDOG_VAR};

/// How long a thread must sleep on a lock, inside one poll, before the run is reported.
pub(crate) const BLOCKED_FOR: Duration = Duration::from_secs(10);
/// How many looks must agree, at least: a suspended process (a debugger, Ctrl-Z) makes
/// few looks however much wall time passes.
const LOOKS: u32 = 10;
/// How often the test's thread looks at the run's threads.
pub(crate) const LOOK_EVERY: Duration = Duration::from_millis(500);

/// What the detector remembers of one thread.
struct Seen {
    /// The stretch of work it is in (a poll, a call).
    stretch: u64,
    switches: (u64, u64),
    /// When this thread was first seen still in this stretch, and how often since.
    first: Instant,
    looks: u32,
}

/// Looks at a run's threads, now and then, for one blocked for good.
#[derive(Default)]
pub(crate) struct Detector {
    seen: HashMap<u32, Seen>,
}

/// A thread found blocked for good, and what it was inside.
pub(crate) struct Blocked {
    thread: String,
    busy: Busy,
}

impl Detector {
    /// One look at every thread of `run`: a thread blocked for good, if there is one.
    pub(crate) fn look(&mut self, run: &Run) -> Option<Blocked> {
        let now = Instant::now();
        let mut found = None;
        let mut alive = Vec::new();
        for thread in run.threads() {
            let Some(tid) = thread.tid else { continue };
            let busy = thread.busy();
            let (Some(busy), Some(look)) = (busy, proc_state::look(tid)) else {
                continue;
            };
            alive.push(tid);
            let seen = self
                .seen
                .entry(tid)
                .or_insert_with(|| fresh(&busy, look, now));
            if seen.stretch != busy.stretch || seen.switches != look.switches || !look.in_futex_wait
            {
                *seen = fresh(&busy, look, now);
                continue;
            }
            seen.looks += 1;
            let still = seen.looks >= LOOKS && now - seen.first >= BLOCKED_FOR;
            // A thread inside a named handler or call names the deadlock best.
            let named = matches!(busy.doing.last(), Some(Doing::Named(_)));
            let better = found
                .as_ref()
                .is_none_or(|(was_named, _)| named && !was_named);
            if still && better {
                let thread = thread.name.clone();
                found = Some((named, Blocked { thread, busy }));
            }
        }
        self.seen.retain(|tid, _| alive.contains(tid));
        // The lock's holder may be waiting on the world: not now.
        found
            .map(|(_, blocked)| blocked)
            .filter(|_| !proc_state::some_thread_waits_on_the_world())
    }
}

fn fresh(busy: &Busy, look: ThreadLook, now: Instant) -> Seen {
    Seen {
        stretch: busy.stretch,
        switches: look.switches,
        first: now,
        looks: 0,
    }
}

/// Names the test and, in simulation, the seed: `test `x` (simulation, seed 5)`.
fn subject(test: Option<&str>, seed: u64) -> String {
    let test = test.map_or_else(|| "the run".to_owned(), |t| format!("test `{t}`"));
    match MODE {
        Mode::Simulated => format!("{test} (simulation, seed {seed})"),
        Mode::Real => test,
    }
}

/// Every thread inside a task or a call, and what it is inside, innermost first.
fn busy_threads(run: &Run) -> Vec<String> {
    run.threads()
        .iter()
        .filter_map(|thread| {
            let busy = thread.busy()?;
            Some(format!(
                "thread `{}` is inside {}",
                thread.name,
                describe(&busy)
            ))
        })
        .collect()
}

/// `server 3's Raft.RequestVote handler, in the task spawned at ...`, without the places
/// inside the lab's own plumbing (labrpc's request tasks, the tester's appliers), which say
/// nothing a student can act on; unless nothing else is left.
fn describe(busy: &Busy) -> String {
    let useful: Vec<String> = busy
        .doing
        .iter()
        .rev()
        .filter(|doing| !doing.is_plumbing())
        .map(|d| d.to_string())
        .collect();
    if useful.is_empty() {
        let all: Vec<String> = busy.doing.iter().rev().map(|d| d.to_string()).collect();
        return all.join(", in ");
    }
    useful.join(", in ")
}

fn last_lines(run: &Run) -> String {
    let lines = run.last_lines();
    if lines.is_empty() {
        format!(
            "Run it with {}=debug to see its last log lines here.",
            logging::LOG_VAR
        )
    } else {
        format!("Its last log lines:\n    {}", lines.join("\n    "))
    }
}

/// The fast report: a thread blocked for good.
pub(crate) fn blocked_report(
    run: &Run,
    blocked: &Blocked,
    test: Option<&str>,
    seed: u64,
) -> String {
    let innermost = blocked
        .busy
        .doing
        .last()
        .map(|d| d.to_string())
        .unwrap_or_default();
    let whole = match MODE {
        Mode::Simulated => " (and with it the whole simulation, which runs on that thread)",
        Mode::Real => "",
    };
    format!(
        "{} is deadlocked: {innermost} is blocked. Thread `{}` has waited on a lock (or \
         another thread) inside it for over {} s without running once{whole}, so whatever it \
         waits for never comes: a std Mutex taken twice or in opposite orders, or a blocking \
         wait (a send, a `block_on`) on a task that needs that lock.\n  {}\n{}",
        subject(test, seed),
        blocked.thread,
        BLOCKED_FOR.as_secs(),
        busy_threads(run).join("\n  "),
        last_lines(run)
    )
}

/// The watchdog's report on a run that did not finish in time.
pub(crate) fn watchdog_report(run: &Run, test: Option<&str>, seed: u64, limit: Duration) -> String {
    let mut busy = busy_threads(run);
    if busy.is_empty() {
        busy.push(
            "no thread is inside a task: every task waits, for a wake-up that never comes"
                .to_owned(),
        );
    }
    format!(
        "{} did not finish within {} s of wall-clock time: it is stuck, most likely on a \
         deadlock, or a loop that never awaits (a std Mutex taken twice or in opposite \
         orders, a blocking call or a busy loop in a task).\n  {}\n{}\n\
         The stuck threads are left behind; the other tests go on. To see where each thread \
         is, run this test alone with {WATCHDOG_VAR}=0 (no watchdog) and, while it hangs, \
         run `gdb -p PID -batch -ex 'thread apply all bt'` (PID was {} this time).",
        subject(test, seed),
        limit.as_secs(),
        busy.join("\n  "),
        last_lines(run),
        std::process::id()
    )
}

/// Where a failure that is not a panic of the test's own code is shown: the test's line.
pub(crate) fn show(test: Option<&str>, at: &Location<'_>, message: &str) {
    let thread = test.unwrap_or("<unnamed>");
    eprintln!("\nthread '{thread}' panicked at {at}:\n{message}");
}
