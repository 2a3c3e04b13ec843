//! Classic student bugs, each a one-line deviation from this Raft, switched on at run time
//! by `RAFT_MUTANT=<name>` (feature `mutants`, off by default; without it the guards are
//! `false` at compile time). They show that the tester catches each bug
//! (`raft/tests/mutants.rs`).

use std::sync::OnceLock;

/// Environment variable: the name of the bug to switch on.
pub const VAR: &str = "RAFT_MUTANT";

/// Every bug, and what it does.
pub const MUTANTS: &[(&str, &str)] = &[
    (
        "fixed_election_timeout",
        "every election timeout is 300 ms, not drawn at random",
    ),
    (
        "append_keeps_term",
        "a follower accepts a newer leader's AppendEntries but keeps its own term",
    ),
    (
        "stale_vote_reply",
        "a candidate counts a vote granted in an earlier term",
    ),
    (
        "kill_ignored",
        "kill() sets the flag, but no task looks at it: a killed peer runs on",
    ),
    (
        "vote_not_persisted",
        "votedFor is not restored on restart (as if never persisted)",
    ),
    (
        "snapshot_ignored_on_restart",
        "a restarted peer ignores the snapshot it saved (its in-memory copy is empty)",
    ),
    (
        "stale_append_resets_timer",
        "a follower rejects an AppendEntries of an older term but restarts its election timer",
    ),
    (
        "older_snapshot_installed",
        "a follower installs an InstallSnapshot its committed state already covers",
    ),
];

/// Whether the bug `name` is switched on. Reads `RAFT_MUTANT` once; an unknown name fails
/// at once, listing the known ones.
pub fn active(name: &str) -> bool {
    static CHOSEN: OnceLock<Option<String>> = OnceLock::new();
    debug_assert!(MUTANTS.iter().any(|(known, _)| *known == name), "{name}");
    let chosen = CHOSEN.get_or_init(|| {
        let chosen = std::env::var(VAR).ok().filter(|name| !name.is_empty())?;
        let known: Vec<&str> = MUTANTS.iter().map(|(known, _)| *known).collect();
        assert!(
            known.contains(&chosen.as_str()),
            "{VAR}={chosen} is not a known mutant; known: {}",
            known.join(", ")
        );
        Some(chosen)
    });
    chosen.as_deref() == Some(name)
}
