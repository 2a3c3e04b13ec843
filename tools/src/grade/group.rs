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
/// skipped: its memory is gone with it).
pub fn usage(group: libc::pid_t) -> Usage {
    // SAFETY: a plain query without side effects.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    let mut total = Usage::default();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return total;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some((pgrp, pages)) = group_and_rss(&stat) {
            if pgrp == group {
                total.processes += 1;
                total.resident += pages * page;
            }
        }
    }
    total
}

/// A /proc/PID/stat line's process group and resident pages. The command name, in
/// parentheses, may hold spaces and parentheses: fields are counted after its last `)`.
fn group_and_rss(stat: &str) -> Option<(libc::pid_t, u64)> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state (3), ppid (4), pgrp (5), ..., rss (24); numbered from 1.
    let pgrp = fields.get(5 - 3)?.parse().ok()?;
    let rss = fields.get(24 - 3)?.parse().ok()?;
    Some((pgrp, rss))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_count_after_the_name() {
        let stat = "42 (a) b (c)) S 1 777 777 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                    500 1000000 321 18446744073709551615";
        assert_eq!(group_and_rss(stat), Some((777, 321)));
        assert_eq!(group_and_rss("garbage"), None);
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
