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
    let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
    // The state follows the command name, which is in parentheses and may hold spaces.
    let state = stat.rsplit_once(')')?.1.split_whitespace().next()?;
    let syscall = std::fs::read_to_string(format!("{dir}/syscall")).ok()?;
    let number = syscall.split_whitespace().next()?.parse::<u64>().ok();
    let status = std::fs::read_to_string(format!("{dir}/status")).ok()?;
    let count = |key: &str| -> Option<u64> {
        let line = status.lines().find(|line| line.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some(ThreadLook {
        in_futex_wait: matches!(state, "S" | "D") && FUTEX.is_some() && number == FUTEX,
        switches: (
            count("voluntary_ctxt_switches:")?,
            count("nonvoluntary_ctxt_switches:")?,
        ),
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
}
