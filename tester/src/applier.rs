//! The tester's side of each peer's apply channel: it checks that every peer applies the
//! same command at each index, in order, as Go's `applier` and `applierSnap` do.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use lab_runtime::naming::within;
use lab_runtime::task::spawn_blocking;
use lab_runtime::time::{timeout, Duration, Instant};

use crate::apply_channel::ApplyReceiver;
use crate::config::{Shared, SNAPSHOT_INTERVAL};
use crate::peer::{ApplyMsg, RaftPeer};

/// What each peer has applied, as the tester saw it.
pub(crate) struct Applied {
    logs: Vec<HashMap<u64, Vec<u8>>>,
    last_applied: Vec<u64>,
    /// Each peer's current instance, and the last index it applied (`None` before its
    /// first).
    instance_last: Vec<(u64, Option<u64>)>,
    /// Whether the safety checks are on (`LAB_CHECKS`).
    checks: bool,
    errors: Vec<Option<String>>,
    max_index: u64,
    /// Each peer's `snapshot` call in progress: its index and when it began.
    snapshot_calls: Vec<Option<(u64, Instant)>>,
}

impl Applied {
    pub(crate) fn new(n: usize) -> Self {
        Applied {
            logs: vec![HashMap::new(); n],
            last_applied: vec![0; n],
            instance_last: vec![(0, None); n],
            checks: crate::checks::checks_enabled(),
            errors: vec![None; n],
            max_index: 0,
            snapshot_calls: vec![None; n],
        }
    }

    pub(crate) fn command(&self, peer: usize, index: u64) -> Option<&Vec<u8>> {
        self.logs[peer].get(&index)
    }

    /// The highest index any peer has applied.
    pub(crate) fn max_index(&self) -> u64 {
        self.max_index
    }

    pub(crate) fn first_error(&self) -> Option<String> {
        self.errors.iter().flatten().next().cloned()
    }

    /// Why agreement may have failed: a peer long inside `snapshot`.
    pub(crate) fn stuck_in_snapshot(&self) -> Option<String> {
        self.snapshot_calls
            .iter()
            .enumerate()
            .find_map(|(peer, call)| {
                let (index, since) = (*call)?;
                (since.elapsed() >= STUCK_AFTER)
                    .then(|| stuck_message(peer, index, since.elapsed()))
            })
    }

    /// A new instance of `peer` starts: it has applied nothing yet.
    pub(crate) fn started(&mut self, peer: usize, instance: u64) {
        self.instance_last[peer] = (instance, None);
    }

    /// Proves that an instance applies each index once, in order, as each message arrives:
    /// after index `i` comes `i + 1`, never a repeat or a gap (a restarted instance starts
    /// where Go's checks allow). A killed instance's late messages are Go's checks' alone.
    fn check_next(&mut self, peer: usize, instance: u64, index: u64) -> Option<String> {
        let (current, last) = &mut self.instance_last[peer];
        if *current != instance {
            return None;
        }
        let last = last.replace(index)?;
        if !self.checks {
            return None;
        }
        match index {
            _ if index == last + 1 => None,
            _ if index <= last => Some(format!(
                "server {peer} applied index {index} again (right after index {last}): an \
                 instance applies each index once, in order"
            )),
            _ => Some(format!(
                "server {peer} applied index {index} right after index {last}: a gap"
            )),
        }
    }

    /// Whether `instance` is `peer`'s running one (not killed since).
    pub(crate) fn is_current(&self, peer: usize, instance: u64) -> bool {
        self.instance_last[peer].0 == instance
    }

    /// Go's check that `command`, applied by `peer` at `index`, is what every other peer
    /// applied there: the last conflict, as Go reports it.
    fn conflict(&self, peer: usize, index: u64, command: &[u8]) -> Option<String> {
        let mut error = None;
        for (other, log) in self.logs.iter().enumerate() {
            if let Some(old) = log.get(&index) {
                if *old != command {
                    error = Some(format!(
                        "commit index={index} server={peer} {} != server={other} {}",
                        describe(command),
                        describe(old)
                    ));
                }
            }
        }
        error
    }

    /// A restarted peer has applied nothing yet.
    pub(crate) fn restart(&mut self, peer: usize) {
        self.last_applied[peer] = 0;
    }

    fn fail(&mut self, peer: usize, error: String) {
        eprintln!("apply error: {error}");
        log::error!("apply error: {error}");
        self.errors[peer].get_or_insert(error);
    }

    /// Records `command` as applied by `peer` at `index`. Returns an error if another peer
    /// applied something else there, and whether `peer` had applied `index - 1`.
    fn check_logs(&mut self, peer: usize, index: u64, command: Vec<u8>) -> (Option<String>, bool) {
        let error = self.conflict(peer, index, &command);
        log::debug!(target: "tester::apply", "S{peer} applied {index}");
        let previous_ok = index >= 1 && self.logs[peer].contains_key(&(index - 1));
        self.logs[peer].insert(index, command);
        self.max_index = self.max_index.max(index);
        (error, previous_ok)
    }

    /// What the tester's service puts in a snapshot through `index`: the index and every
    /// command up to it.
    fn snapshot(&self, peer: usize, index: u64) -> Vec<u8> {
        let log: Vec<Option<Vec<u8>>> = (0..=index)
            .map(|j| self.logs[peer].get(&j).cloned())
            .collect();
        let mut encoder = labgob::Encoder::new();
        let encoded = encoder.encode(&index).and_then(|()| encoder.encode(&log));
        if let Err(err) = encoded {
            panic!("cannot encode a snapshot: {err}");
        }
        encoder.into_bytes()
    }

    /// Restores `peer`'s applied commands from a snapshot, checking it covers `index` when
    /// the snapshot came with one.
    pub(crate) fn ingest_snapshot(
        &mut self,
        peer: usize,
        snapshot: &[u8],
        index: Option<u64>,
    ) -> Result<(), String> {
        let mut decoder = labgob::Decoder::new(snapshot);
        let (last_included, log) = decoder
            .decode::<u64>()
            .and_then(|last| Ok((last, decoder.decode::<Vec<Option<Vec<u8>>>>()?)))
            .map_err(|err| format!("server {peer} snapshot decode error: {err}"))?;
        if index.is_some_and(|index| index != last_included) {
            return Err(format!(
                "server {peer} snapshot doesn't match m.SnapshotIndex"
            ));
        }
        self.logs[peer] = log
            .into_iter()
            .enumerate()
            .filter_map(|(j, command)| Some((j as u64, command?)))
            .collect();
        self.last_applied[peer] = last_included;
        Ok(())
    }
}

/// A short, readable form of a command for messages.
pub(crate) fn describe(command: &[u8]) -> String {
    if let Ok(number) = labgob::decode::<u64>(command) {
        return number.to_string();
    }
    if let Ok(number) = labgob::decode::<i64>(command) {
        return number.to_string();
    }
    if let Ok(text) = labgob::decode::<String>(command) {
        return format!("{:?}", text.chars().take(40).collect::<String>());
    }
    format!("<{} bytes>", command.len())
}

fn lock<R>(shared: &Mutex<Shared<R>>) -> std::sync::MutexGuard<'_, Shared<R>> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Go's `applier`: checks each command applied by `peer`.
pub(crate) async fn apply<R>(
    shared: Arc<Mutex<Shared<R>>>,
    peer: usize,
    instance: u64,
    mut apply_rx: ApplyReceiver,
) {
    while let Some(message) = apply_rx.recv().await {
        let ApplyMsg::Command { index, command } = message else {
            continue;
        };
        let mut shared = lock(&shared);
        let next_error = shared.applied.check_next(peer, instance, index);
        let (mut error, previous_ok) = shared.applied.check_logs(peer, index, command);
        if index > 1 && !previous_ok {
            error = Some(format!("server {peer} apply out of order {index}"));
        }
        if let Some(error) = error.or(next_error) {
            shared.applied.fail(peer, error);
        }
    }
}

/// Go's `applierSnap`: checks each command, ingests snapshots, and snapshots every
/// `SNAPSHOT_INTERVAL` commands. It holds its peer weakly: the peer holds the sending side
/// of `apply_rx`, and the applier must end once the peer is gone.
///
/// Go's order check reads the peer's last applied index, which a restart resets; a killed
/// instance's message that arrives after the restart (its task had passed its `killed`
/// check and a loaded machine ran it late) would then fail a correct Raft. So a killed
/// instance's commands are only checked against what the others applied, and its
/// snapshots are left alone.
pub(crate) async fn apply_with_snapshots<R: RaftPeer>(
    shared: Arc<Mutex<Shared<R>>>,
    peer: usize,
    instance: u64,
    raft: Weak<R>,
    mut apply_rx: ApplyReceiver,
) {
    // This instance's own progress: each instance has its own channel and applier.
    let mut progress = ServiceProgress::default();
    while let Some(message) = apply_rx.recv().await {
        if !lock(&shared).applied.is_current(peer, instance) {
            if let ApplyMsg::Command { index, command } = message {
                let mut shared = lock(&shared);
                if let Some(error) = shared.applied.conflict(peer, index, &command) {
                    shared.applied.fail(peer, error);
                }
            }
            continue;
        }
        match message {
            ApplyMsg::Snapshot {
                snapshot, index, ..
            } => {
                let mut shared = lock(&shared);
                let went_back = progress.snapshot(peer, index);
                let outcome = shared.applied.ingest_snapshot(peer, &snapshot, Some(index));
                if let Some(error) = went_back.filter(|_| shared.applied.checks) {
                    shared.applied.fail(peer, error);
                }
                if let Err(error) = outcome {
                    shared.applied.fail(peer, error);
                }
            }
            ApplyMsg::Command { index, command } => {
                progress.command(index);
                let snapshot = {
                    let mut shared = lock(&shared);
                    let expected = shared.applied.last_applied[peer] + 1;
                    let mut error = (index != expected).then(|| {
                        format!(
                            "server {peer} apply out of order, expected index {expected}, got {index}"
                        )
                    });
                    if error.is_none() {
                        let (log_error, previous_ok) =
                            shared.applied.check_logs(peer, index, command);
                        error = log_error;
                        if index > 1 && !previous_ok {
                            error = Some(format!("server {peer} apply out of order {index}"));
                        }
                    }
                    shared.applied.last_applied[peer] = index;
                    if let Some(error) = error {
                        shared.applied.fail(peer, error);
                    }
                    ((index + 1) % SNAPSHOT_INTERVAL == 0)
                        .then(|| shared.applied.snapshot(peer, index))
                };
                // Outside the lock: the peer may be busy and must not wait on the tester.
                if let (Some(snapshot), Some(raft)) = (snapshot, raft.upgrade()) {
                    lock(&shared).applied.snapshot_calls[peer] = Some((index, Instant::now()));
                    let outcome = call_snapshot(raft, peer, index, snapshot).await;
                    let mut shared = lock(&shared);
                    shared.applied.snapshot_calls[peer] = None;
                    if let Err(error) = outcome {
                        shared.applied.fail(peer, error);
                        return;
                    }
                }
            }
        }
    }
}

/// Proves that a service never goes back: no snapshot an instance hands it is older than
/// what that instance handed it before (a command or a snapshot).
///
/// Sound: a Raft hands its service committed entries in index order, and a snapshot only
/// when it is newer than what the service holds (Figure 13, and the lab: a follower
/// ignores an InstallSnapshot its committed state already covers, since a service that
/// went back would undo what its clients saw). One snapshot at the index last applied is
/// allowed (it changes nothing). The progress is the instance's own, kept by the applier
/// task of its channel, so restarts and a killed instance's late messages do not mix.
#[derive(Default)]
struct ServiceProgress {
    last: Option<u64>,
}

impl ServiceProgress {
    fn command(&mut self, index: u64) {
        self.last = Some(index);
    }

    /// Records a snapshot through `index`; says so if it takes the service back.
    fn snapshot(&mut self, peer: usize, index: u64) -> Option<String> {
        let last = self.last.replace(index)?;
        (index < last).then(|| {
            format!(
                "server {peer} was handed a snapshot through index {index} after it had \
                 applied index {last}: the service went back. A Raft must ignore an \
                 InstallSnapshot older than what it has committed (a duplicated or delayed \
                 one)"
            )
        })
    }
}

/// How long the service waits for `snapshot` to return before it calls the peer stuck.
pub(crate) const SNAPSHOT_CALL_LIMIT: Duration = Duration::from_secs(5);
/// A `snapshot` call this long is named when agreement fails.
const STUCK_AFTER: Duration = Duration::from_secs(1);

fn stuck_message(peer: usize, index: u64, stuck_for: Duration) -> String {
    format!(
        "server {peer} has been inside snapshot({index}) for {:.1} s: a Raft that holds its \
         lock while it sends on the apply channel deadlocks here (the send waits for the \
         service, which waits in snapshot() for the lock)",
        stuck_for.as_secs_f64()
    )
}

/// Calls `raft.snapshot` as Go's applier does, from the applier, which takes no further
/// message until it returns; but on a thread where blocking stops no other task, so that
/// a peer stuck in `snapshot` fails the test with the likely cause instead of hanging it.
async fn call_snapshot<R: RaftPeer>(
    raft: Arc<R>,
    peer: usize,
    index: u64,
    snapshot: Vec<u8>,
) -> Result<(), String> {
    let call = spawn_blocking(move || {
        let call = || raft.snapshot(index, snapshot);
        within(|| format!("server {peer}'s snapshot({index})"), call)
    });
    match timeout(SNAPSHOT_CALL_LIMIT, call).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!("server {peer} snapshot({index}) panicked: {error}")),
        Err(_) => Err(stuck_message(peer, index, SNAPSHOT_CALL_LIMIT)),
    }
}
