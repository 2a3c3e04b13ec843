//! What Linux says of one of this process's threads (`/proc/self/task/TID/...`): whether
//! it sleeps in a futex (a lock, a condition variable, a park) and how often it has been
//! switched out, for the stuck-test detector. Elsewhere, or when `/proc` cannot be read,
//! nothing is known and the detector stays silent.

/// The `futex` system call's number, where it is known.
const FUTEX: Option<u64> = if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
    Some(202)
} else if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
    Some(98)
} else {
    None
};

/// One look at a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ThreadLook {
    /// Asleep (`S` or `D`) inside a `futex` call: waiting for another thread.
    pub(crate) in_futex_wait: bool,
    /// Context switches so far, voluntary and not: unchanged between two looks, the
    /// thread has not run at all in between.
    pub(crate) switches: (u64, u64),
}

/// Looks at thread `tid` of this process.
pub(crate) fn look(tid: u32) -> Option<ThreadLook> {
    let dir = format!("/proc/self/task/{tid}");
    let (state, number) = state_and_call(&dir)?;
    let status = std::fs::read_to_string(format!("{dir}/status")).ok()?;
    let count = |key: &str| -> Option<u64> {
        let line = status.lines().find(|line| line.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some(ThreadLook {
        in_futex_wait: matches!(state.as_str(), "S" | "D") && FUTEX.is_some() && number == FUTEX,
        switches: (
            count("voluntary_ctxt_switches:")?,
            count("nonvoluntary_ctxt_switches:")?,
        ),
    })
}

/// A thread's state letter, and the system call it is in (`None` while it runs).
fn state_and_call(dir: &str) -> Option<(String, Option<u64>)> {
    let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
    // The state follows the command name, which is in parentheses and may hold spaces.
    let state = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .next()?
        .to_owned();
    let syscall = std::fs::read_to_string(format!("{dir}/syscall")).ok()?;
    let number = syscall.split_whitespace().next()?.parse::<u64>().ok();
    Some((state, number))
}

/// Whether some thread of this process sleeps in a system call other than `futex`: a
/// write to a pipe nobody reads (a pager, a paused terminal), a sleep, a read. A lock
/// wait may then be on that thread, which waits on the world rather than on a deadlock,
/// so the detector holds off. (Also true where nothing can be known: holding off is safe.)
pub(crate) fn some_thread_waits_on_the_world() -> bool {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return true;
    };
    tasks.flatten().any(|task| {
        let dir = task.path().to_string_lossy().into_owned();
        match state_and_call(&dir) {
            Some((state, Some(number))) => {
                matches!(state.as_str(), "S" | "D") && Some(number) != FUTEX
            }
            // Running, or gone since the listing.
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_waiting_on_a_lock_is_seen_in_a_futex_wait_and_still() {
        if FUTEX.is_none() {
            return;
        }
        let lock = std::sync::Arc::new(std::sync::Mutex::new(()));
        let held = lock.lock().expect("not poisoned");
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn({
            let lock = lock.clone();
            move || {
                let _ = tid_tx.send(crate::watch::this_tid());
                drop(lock.lock());
            }
        });
        let tid = tid_rx.recv().expect("the waiter sends its id");
        let tid = tid.expect("Linux names its threads");
        // The waiter reaches the lock on its own time: wait for it to sleep there.
        let first = loop {
            let look = look(tid).expect("the waiter's /proc entry");
            if look.in_futex_wait {
                break look;
            }
            std::thread::yield_now();
        };
        let second = look(tid).expect("the waiter's /proc entry");
        assert!(second.in_futex_wait);
        assert_eq!(first.switches, second.switches);
        drop(held);
        waiter.join().expect("the waiter ends");
        assert!(look(tid).is_none_or(|look| look.switches != first.switches));
    }

    #[test]
    fn a_thread_asleep_outside_a_lock_is_seen_waiting_on_the_world() {
        if FUTEX.is_none() {
            return;
        }
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let sleeper = std::thread::spawn(move || {
            let _ = ready_tx.send(());
            // nanosleep, not a futex: waits until the test has seen it.
            while stop_rx.try_recv().is_err() {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        });
        ready_rx.recv().expect("the sleeper starts");
        // It sleeps nearly all the time: a few looks find it asleep.
        let seen = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            some_thread_waits_on_the_world()
        });
        let _ = stop_tx.send(());
        sleeper.join().expect("the sleeper ends");
        assert!(seen, "the sleeping thread was never seen");
    }
}
