//! What a run's processes use together: the grader limits the whole process group, since a
//! run that forks spreads its memory over processes that each stay under a limit.

/// The processes of one group, read from /proc.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// How many processes are in the group.
    pub processes: usize,
    /// Their resident memory together, in bytes.
    pub resident: u64,
}

/// The usage of process group `group`, walking /proc (a process that ends meanwhile is
/// skipped: its memory is gone with it). Memory is each process's proportional share
/// (`Pss`), so that pages a fork shares with its parent count once, not once per process;
/// resident pages where the kernel gives no share.
pub fn usage(group: libc::pid_t) -> Usage {
    // SAFETY: a plain query without side effects.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    let mut total = Usage::default();
    for process in processes().filter(|p| p.group == group) {
        total.processes += 1;
        let path = std::path::Path::new("/proc").join(process.pid.to_string());
        total.resident += proportional(&path).unwrap_or(process.pages * page);
    }
    total
}

/// What /proc/PID/stat says of one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Process {
    pub pid: libc::pid_t,
    pub parent: libc::pid_t,
    pub group: libc::pid_t,
    /// Resident pages.
    pub pages: u64,
}

/// The processes now running (those that end meanwhile are left out).
pub fn processes() -> impl Iterator<Item = Process> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid: libc::pid_t = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            parse_stat(pid, &stat)
        })
}

/// A process's proportional resident memory in bytes, from `smaps_rollup`.
fn proportional(process: &std::path::Path) -> Option<u64> {
    let rollup = std::fs::read_to_string(process.join("smaps_rollup")).ok()?;
    let line = rollup.lines().find(|l| l.starts_with("Pss:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A /proc/PID/stat line. The command name, in parentheses, may hold spaces and
/// parentheses: fields are counted after its last `)`.
fn parse_stat(pid: libc::pid_t, stat: &str) -> Option<Process> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state (3), ppid (4), pgrp (5), ..., rss (24); numbered from 1.
    let field = |n: usize| fields.get(n - 3);
    Some(Process {
        pid,
        parent: field(4)?.parse().ok()?,
        group: field(5)?.parse().ok()?,
        pages: field(24)?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_count_after_the_name() {
        let stat = "42 (a) b (c)) S 1 777 777 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                    500 1000000 321 18446744073709551615";
        let process = Process {
            pid: 42,
            parent: 1,
            group: 777,
            pages: 321,
        };
        assert_eq!(parse_stat(42, stat), Some(process));
        assert_eq!(parse_stat(42, "garbage"), None);
    }

    #[test]
    fn this_process_is_counted_in_its_group() {
        // SAFETY: a plain query.
        let group = unsafe { libc::getpgrp() };
        let usage = usage(group);
        assert!(usage.processes >= 1, "{usage:?}");
        assert!(usage.resident > 0, "{usage:?}");
    }
}
