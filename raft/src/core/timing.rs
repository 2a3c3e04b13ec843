//! The protocol's clocks.

use lab_runtime::time::Duration;

/// A leader sends AppendEntries to each follower this often: ten a second, the most the
/// lab allows.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_millis(100);

/// A follower that hears from no leader for a random time in this range (in ms) starts an
/// election. Two and a half heartbeats at least, so a lost heartbeat or two does not unseat
/// a leader; short enough that a new leader is usually in place within half a second.
pub const ELECTION_TIMEOUT_MS: std::ops::Range<u64> = 250..400;
