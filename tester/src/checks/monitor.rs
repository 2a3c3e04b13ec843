//! Looking at every peer: at each of the tester's own checks, and in simulation every
//! millisecond of virtual time.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use lab_runtime::naming::within;
use lab_runtime::time::{sleep_exact, Duration, Instant};

use super::Checks;
use crate::config::Shared;
use crate::peer::RaftPeer;

/// How often the simulated monitor looks: a role or term that lasts this long is seen.
pub(crate) const POLL: Duration = Duration::from_millis(1);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Shows the checks every running peer's inspection; with `states`, the state of a peer
/// that offers no inspection. No lock the Raft may wait on is held while a peer is asked.
///
/// In real time several of the test's clients look at once. A peer's inspections must
/// reach the checks in the order they were taken, or two crossing looks would show a commit
/// index going back on a correct Raft: each peer's look holds that peer's turn from before
/// it asks until its inspection is recorded. Only lookers take turns, and a looker holds
/// no other lock while it waits for one, so turns add no deadlock.
pub(crate) fn look<R: RaftPeer>(shared: &Mutex<Shared<R>>, checks: &Mutex<Checks>, states: bool) {
    let turns = {
        let checks = lock(checks);
        if !checks.enabled() {
            return;
        }
        checks.turns()
    };
    let rafts: Vec<(usize, u64, Arc<R>)> = {
        let shared = lock(shared);
        (0..shared.rafts.len())
            .filter_map(|i| Some((i, shared.instances[i], shared.rafts[i].clone()?)))
            .collect()
    };
    for (peer, instance, raft) in rafts {
        // Named, so that a Raft stuck in `inspect` (and a look waiting for its turn behind
        // it) is reported as the peer's call, not as the checks' look.
        within(
            || format!("server {peer}'s inspect()"),
            || {
                let _turn = lock(&turns[peer]);
                match raft.inspect() {
                    Some(inspection) => lock(checks).inspection(peer, instance, inspection),
                    None if states => {
                        let state = within(
                            || format!("server {peer}'s get_state()"),
                            || raft.get_state(),
                        );
                        lock(checks).state(peer, state.0, state.1);
                    }
                    None => {}
                }
            },
        );
    }
}

/// Looks at every peer each `POLL` until the configuration is gone (simulation only:
/// virtual time makes it cheap, and real time has no "every step" to offer).
pub(crate) async fn watch<R: RaftPeer>(
    shared: Weak<Mutex<Shared<R>>>,
    checks: Weak<Mutex<Checks>>,
) {
    loop {
        sleep_exact(POLL).await;
        let (Some(shared), Some(checks)) = (shared.upgrade(), checks.upgrade()) else {
            return;
        };
        look(&shared, &checks, true);
    }
}

/// Hands each request sent on the network to the silence check.
pub(crate) fn on_send(checks: Weak<Mutex<Checks>>) -> impl Fn(&str) + Send + Sync + 'static {
    move |end| {
        if let Some(checks) = checks.upgrade() {
            lock(&checks).sent(end, Instant::now());
        }
    }
}
