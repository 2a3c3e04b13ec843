//! Processes that left a run's group (`setsid`, or a group of their own) are not killed
//! with it. The grader is the child subreaper of everything it starts, so that such a
//! process, once the run's processes are gone, becomes the grader's child: a sweep after
//! each run kills and reaps every child of the grader that is not a run still going.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::grade::group;

/// The runs going on: the grader's children that a sweep leaves alone. Held across a
/// child's start and its registration, so that a sweep never takes a new run for an
/// escaped process.
static RUNS: Mutex<Runs> = Mutex::new(Runs {
    going: None,
    groups: None,
});

struct Runs {
    going: Option<HashSet<libc::pid_t>>,
    /// Every run's process group (its first process's pid), to tell a run's remains from
    /// processes that left its group.
    groups: Option<HashSet<libc::pid_t>>,
}

/// How many rounds a sweep makes at most: each round's kills orphan the next round's.
const ROUNDS: usize = 64;

fn runs() -> MutexGuard<'static, Runs> {
    RUNS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Makes the grader the subreaper of its descendants; once, before any run.
pub fn become_subreaper() -> std::io::Result<()> {
    // SAFETY: a plain syscall.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Starts a run with `start` and registers its pid, as one step for the sweeps.
pub fn start<T>(start: impl FnOnce() -> std::io::Result<(T, libc::pid_t)>) -> std::io::Result<T> {
    let mut runs = runs();
    let (value, pid) = start()?;
    runs.going.get_or_insert_with(HashSet::new).insert(pid);
    runs.groups.get_or_insert_with(HashSet::new).insert(pid);
    Ok(value)
}

/// Forgets run `pid`, once reaped.
pub fn ended(pid: libc::pid_t) {
    if let Some(going) = runs().going.as_mut() {
        going.remove(&pid);
    }
}

/// Kills and reaps every child of the grader that is not a run going on, round after
/// round, as their own children become the grader's; returns how many of them had left
/// their run's group (the others are what remained of a run's group once it was killed).
/// Runs going on at once may sweep each other's: the count is the grader's, not one run's.
pub fn sweep() -> usize {
    let runs = runs();
    // SAFETY: a plain query.
    let grader = unsafe { libc::getpid() };
    let mut swept = 0;
    for _ in 0..ROUNDS {
        let strays: Vec<group::Process> = group::processes()
            .filter(|p| p.parent == grader)
            .filter(|p| {
                !runs
                    .going
                    .as_ref()
                    .is_some_and(|going| going.contains(&p.pid))
            })
            .collect();
        if strays.is_empty() {
            break;
        }
        for group::Process { pid, group, .. } in strays {
            let mut status = 0;
            // SAFETY: plain syscalls on a child of the grader's, not yet reaped.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            let left = !runs.groups.as_ref().is_some_and(|g| g.contains(&group));
            swept += usize::from(left);
        }
    }
    swept
}
