//! The network: which end reaches which server, the unreliable switches, the counters, and
//! the journey of one request (Go's `processReq`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::channel::oneshot;
use futures::future::{select, Either};
use lab_runtime::naming::{named, within};
use lab_runtime::random::{below, chance};
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, Duration};

use crate::latency;
use tokio::sync::watch;

use crate::client::ClientEnd;
use crate::error::CallError;
use crate::server::Server;
use crate::service::HandlerResult;

/// Go's constants, named.
mod go {
    /// Unreliable: a request waits `0..27` ms before delivery.
    pub const SHORT_DELAY_MS: u64 = 27;
    /// Unreliable: requests, and separately replies, are dropped 100 times in 1000.
    pub const DROP_PER_MILLE: u64 = 100;
    /// Long reordering: 600 replies in 900 are held back...
    pub const REORDER_SHARE: (u64, u64) = (600, 900);
    /// ...for `200 + rand(1 + rand(2000))` ms.
    pub const REORDER_BASE_MS: u64 = 200;
    pub const REORDER_SPREAD_MS: u64 = 2000;
    /// No server or a disabled end: no answer after `0..7000` ms with long delays...
    pub const LONG_SILENCE_MS: u64 = 7000;
    /// ...or after `0..100` ms without.
    pub const SHORT_SILENCE_MS: u64 = 100;
}

/// The duplicating network's constants: not Go's (Go's labrpc never duplicates).
mod duplicates {
    /// A delivered request is delivered again 200 times in 1000. Often enough that the few
    /// InstallSnapshots of a test (one or two per catch-up) get copies in most runs; rare
    /// enough that the handlers' extra work stays small.
    pub const PER_MILLE: u64 = 200;
    /// The copy arrives `0..2000` ms after the original: as late as long reordering holds a
    /// reply, past many heartbeats and, with snapshots every ten commands, later snapshots.
    pub const DELAY_MS: u64 = 2000;
}

/// The simulated network. Cheap to clone; clones are the same network.
#[derive(Clone)]
pub struct Network {
    inner: Arc<NetworkInner>,
}

/// Called with each programming error a call on the network hits.
type ProgrammingErrorHook = Arc<dyn Fn(&CallError) + Send + Sync>;
/// Called with the name of the end of each request sent.
type SendHook = Arc<dyn Fn(&str) + Send + Sync>;

pub(crate) struct NetworkInner {
    topology: Mutex<Topology>,
    on_programming_error: Mutex<Option<ProgrammingErrorHook>>,
    on_send: Mutex<Option<SendHook>>,
    /// Bumped on every change of ends or servers, to wake requests whose handler runs.
    changes: watch::Sender<u64>,
    cleaned_up: AtomicBool,
    total_count: AtomicUsize,
    total_bytes: AtomicU64,
}

struct Topology {
    reliable: bool,
    long_delays: bool,
    long_reordering: bool,
    duplicate_requests: bool,
    ends: HashMap<Arc<str>, EndState>,
    servers: HashMap<Arc<str>, Server>,
}

#[derive(Default)]
struct EndState {
    enabled: bool,
    /// A one-way link: requests are delivered, replies lost.
    replies_lost: bool,
    server: Option<Arc<str>>,
}

/// What a request found when it set out.
struct Route {
    target: Option<(Arc<str>, Server)>,
    reliable: bool,
    long_delays: bool,
    long_reordering: bool,
    duplicate_requests: bool,
}

/// How a request's journey ended.
pub(crate) type Delivery = Result<Vec<u8>, CallError>;

impl Default for Network {
    fn default() -> Self {
        Self::new()
    }
}

impl Network {
    /// A reliable network with no ends and no servers.
    pub fn new() -> Self {
        Network {
            inner: Arc::new(NetworkInner {
                topology: Mutex::new(Topology {
                    reliable: true,
                    long_delays: false,
                    long_reordering: false,
                    duplicate_requests: false,
                    ends: HashMap::new(),
                    servers: HashMap::new(),
                }),
                on_programming_error: Mutex::new(None),
                on_send: Mutex::new(None),
                changes: watch::Sender::new(0),
                cleaned_up: AtomicBool::new(false),
                total_count: AtomicUsize::new(0),
                total_bytes: AtomicU64::new(0),
            }),
        }
    }

    /// Shuts the network: later calls get no reply at once. Its servers and ends are
    /// dropped, which frees services whose handlers hold ends of this network (a cycle).
    pub fn cleanup(&self) {
        self.inner.cleaned_up.store(true, Ordering::Relaxed);
        let mut topology = self.inner.topology();
        let servers = std::mem::take(&mut topology.servers);
        topology.ends.clear();
        drop(topology);
        self.inner.changed();
        // Services are dropped outside the lock: their handlers may own ends of this network.
        drop(servers);
    }

    /// Unreliable (`false`): requests are delayed a little, and requests and replies dropped.
    pub fn set_reliable(&self, reliable: bool) {
        self.inner.topology().reliable = reliable;
    }

    /// Hold some replies back for a long time.
    pub fn set_long_reordering(&self, long_reordering: bool) {
        self.inner.topology().long_reordering = long_reordering;
    }

    /// A call to a disabled end or a missing server waits up to 7 s instead of 100 ms.
    pub fn set_long_delays(&self, long_delays: bool) {
        self.inner.topology().long_delays = long_delays;
    }

    /// Not in Go's labrpc: some delivered requests are delivered a second time, up to 2 s
    /// later (a copy the network made), and that copy's reply is discarded. The copy takes
    /// the end's route as it is when it arrives: if the end is disabled or its server gone
    /// by then, the copy is lost. Copies count in no counter (neither RPCs nor bytes, nor
    /// the server's count) and do not reach the `on_send` hook: the counters count what
    /// the peers sent, and the network's copies are not theirs.
    pub fn set_duplicate_requests(&self, duplicate_requests: bool) {
        self.inner.topology().duplicate_requests = duplicate_requests;
    }

    /// Not in Go's labrpc: a one-way link. While `lost` is set, the end's requests are
    /// delivered (and their handlers run) but every reply is lost: the call fails with
    /// [`CallError::NoReply`] once the handler has returned. The setting outlasts disabling
    /// and enabling the end.
    pub fn set_replies_lost(&self, end: impl ToString, lost: bool) {
        let mut topology = self.inner.topology();
        topology
            .ends
            .entry(end.to_string().into())
            .or_default()
            .replies_lost = lost;
        drop(topology);
        self.inner.changed();
    }

    /// Makes a new end, disabled and unconnected.
    ///
    /// # Panics
    /// If an end of that name exists, as Go's `MakeEnd` fails.
    pub fn make_end(&self, name: impl ToString) -> ClientEnd {
        let name: Arc<str> = name.to_string().into();
        let mut topology = self.inner.topology();
        assert!(
            !topology.ends.contains_key(&name),
            "labrpc: make_end: an end named {name:?} already exists"
        );
        topology.ends.insert(name.clone(), EndState::default());
        ClientEnd::new(name, self.inner.clone())
    }

    /// Adds a server under `name`, replacing one of that name.
    pub fn add_server(&self, name: impl ToString, server: Server) {
        self.inner
            .topology()
            .servers
            .insert(name.to_string().into(), server);
        self.inner.changed();
    }

    /// Deletes a server: calls in progress to it fail, and new ones get no answer.
    pub fn delete_server(&self, name: impl ToString) {
        self.inner
            .topology()
            .servers
            .remove(name.to_string().as_str());
        self.inner.changed();
    }

    /// Connects an end to the server of that name (which may be added later).
    pub fn connect(&self, end: impl ToString, server: impl ToString) {
        let mut topology = self.inner.topology();
        let state = topology.ends.entry(end.to_string().into()).or_default();
        state.server = Some(server.to_string().into());
        drop(topology);
        self.inner.changed();
    }

    /// Enables or disables an end.
    pub fn enable(&self, end: impl ToString, enabled: bool) {
        let mut topology = self.inner.topology();
        topology
            .ends
            .entry(end.to_string().into())
            .or_default()
            .enabled = enabled;
        drop(topology);
        self.inner.changed();
    }

    /// Sets the hook called, in the task where it happens, with every programming error
    /// that a call on this network hits: an unknown service or method, arguments or a reply
    /// that cannot be encoded or decoded as the types asked for. The call still returns the
    /// error; the hook lets a tester make it loud (Go's labrpc calls `log.Fatal`) even when
    /// the caller only logs it, or when the reply carrying it is lost. Replaces an earlier
    /// hook. The hook must not block.
    pub fn on_programming_error(&self, hook: impl Fn(&CallError) + Send + Sync + 'static) {
        *self
            .inner
            .on_programming_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
    }

    /// Sets the hook called with the end's name each time a request is sent from an end,
    /// before it sets out: a tester can tell that a stopped peer still sends. Replaces an
    /// earlier hook. The hook must not block.
    pub fn on_send(&self, hook: impl Fn(&str) + Send + Sync + 'static) {
        *self
            .inner
            .on_send
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
    }

    /// How many RPCs reached the server of that name (0 if there is none).
    pub fn count(&self, server: impl ToString) -> usize {
        self.inner
            .topology()
            .servers
            .get(server.to_string().as_str())
            .map_or(0, Server::count)
    }

    /// How many RPCs were sent on this network.
    pub fn total_count(&self) -> usize {
        self.inner.total_count.load(Ordering::Relaxed)
    }

    /// How many bytes of arguments and delivered replies crossed this network.
    pub fn total_bytes(&self) -> u64 {
        self.inner.total_bytes.load(Ordering::Relaxed)
    }
}

impl NetworkInner {
    fn topology(&self) -> MutexGuard<'_, Topology> {
        self.topology.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reports `err` to the hook if it is a programming error.
    pub(crate) fn report(&self, err: &CallError) {
        if !err.is_programming_error() {
            return;
        }
        log::error!("{err}");
        let hook = self
            .on_programming_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(hook) = hook {
            hook(err);
        }
    }

    fn changed(&self) {
        self.changes.send_modify(|generation| *generation += 1);
    }

    /// Sends a request from `end`: counts it, and starts its journey in a task of its own
    /// (so that it runs to the end, as in Go, even if the caller stops waiting).
    pub(crate) fn send(
        self: &Arc<Self>,
        end: &Arc<str>,
        call: &str,
        args: Vec<u8>,
    ) -> Option<oneshot::Receiver<Delivery>> {
        if self.cleaned_up.load(Ordering::Relaxed) {
            return None;
        }
        let hook = self
            .on_send
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(hook) = hook {
            hook(end);
        }
        self.total_count.fetch_add(1, Ordering::Relaxed);
        self.total_bytes
            .fetch_add(args.len() as u64, Ordering::Relaxed);
        let (reply_tx, reply_rx) = oneshot::channel();
        // Watching starts here, so a change during the route lookup or the unreliable delay
        // is seen as soon as the handler runs.
        let changes = self.changes.subscribe();
        let journey = self
            .clone()
            .journey(end.clone(), call.to_owned(), args, changes);
        spawn(async move {
            let _ = reply_tx.send(journey.await);
        });
        Some(reply_rx)
    }

    async fn journey(
        self: Arc<Self>,
        end: Arc<str>,
        call: String,
        args: Vec<u8>,
        changes: watch::Receiver<u64>,
    ) -> Delivery {
        latency::travel().await;
        let route = self.route(&end);
        let Some((server_name, server)) = route.target else {
            let wait = if route.long_delays {
                go::LONG_SILENCE_MS
            } else {
                go::SHORT_SILENCE_MS
            };
            sleep(Duration::from_millis(below(wait))).await;
            return Err(CallError::NoReply);
        };
        if !route.reliable {
            sleep(Duration::from_millis(below(go::SHORT_DELAY_MS))).await;
            if chance(go::DROP_PER_MILLE, 1000) {
                log::trace!("{end} {call}: request dropped");
                return Err(CallError::NoReply);
            }
        }
        // Drawn only when on, so that runs without copies draw what they always drew.
        if route.duplicate_requests && chance(duplicates::PER_MILLE, 1000) {
            let delay = Duration::from_millis(below(duplicates::DELAY_MS));
            spawn(
                self.clone()
                    .deliver_copy(end.clone(), call.clone(), args.clone(), delay),
            );
        }
        let reply = self
            .run_handler(&end, &server_name, &server, &call, &args, changes)
            .await
            .inspect_err(|err| self.report(err))?;
        if let Err(err) = &reply {
            self.report(err);
        }
        if self.is_server_dead(&end, &server_name, &server) {
            return Err(CallError::NoReply);
        }
        if !route.reliable && chance(go::DROP_PER_MILLE, 1000) {
            log::trace!("{end} {call}: reply dropped");
            return Err(CallError::NoReply);
        }
        if self.replies_lost(&end) {
            log::trace!("{end} {call}: reply lost (one-way link)");
            return Err(CallError::NoReply);
        }
        if route.long_reordering && chance(go::REORDER_SHARE.0, go::REORDER_SHARE.1) {
            let ms = go::REORDER_BASE_MS + below(1 + below(go::REORDER_SPREAD_MS));
            sleep(Duration::from_millis(ms)).await;
        }
        if let Ok(bytes) = &reply {
            self.total_bytes
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
        latency::travel().await;
        reply
    }

    /// Delivers a copy of a request `delay` after the original, through the end's route as
    /// it is then; the handler runs to the end and its reply is discarded.
    async fn deliver_copy(
        self: Arc<Self>,
        end: Arc<str>,
        call: String,
        args: Vec<u8>,
        delay: Duration,
    ) {
        sleep(delay).await;
        let Some((server_name, server)) = self.route(&end).target else {
            log::trace!("{end} {call}: copy lost, the end no longer reaches a server");
            return;
        };
        log::trace!("{end} {call}: copy delivered to server {server_name}");
        let what = format!("server {server_name}'s {call} handler (a copy of a request)");
        // The original already reported any programming error this call makes.
        if let Ok(handler) = within(|| what.clone(), || server.dispatch_uncounted(&call, &args)) {
            let _ = named(what, handler).await;
        }
    }

    /// Runs the handler; if the server is deleted or cut off from the end at any time after
    /// the request set out (when `changes` began watching), the handler is left to finish on
    /// its own and the call gets no reply. (Go checks every 100 ms; here a change of ends or
    /// servers wakes the request at once.)
    async fn run_handler(
        &self,
        end: &str,
        server_name: &Arc<str>,
        server: &Server,
        call: &str,
        args: &[u8],
        mut changes: watch::Receiver<u64>,
    ) -> Result<HandlerResult, CallError> {
        // Named, so that a handler stuck on a lock is reported as itself, not as this task.
        let what = format!("server {server_name}'s {call} handler");
        let handler = within(|| what.clone(), || server.dispatch(call, args))?;
        let mut handler = named(what, handler);
        loop {
            let changed = std::pin::pin!(changes.changed());
            if let Either::Left((reply, _)) = select(&mut handler, changed).await {
                return Ok(reply);
            }
            if self.is_server_dead(end, server_name, server) {
                spawn(handler);
                return Err(CallError::NoReply);
            }
        }
    }

    fn route(&self, end: &str) -> Route {
        let topology = self.topology();
        let target = topology
            .ends
            .get(end)
            .filter(|state| state.enabled)
            .and_then(|state| state.server.as_ref())
            .and_then(|name| Some((name.clone(), topology.servers.get(name)?.clone())));
        Route {
            target,
            reliable: topology.reliable,
            long_delays: topology.long_delays,
            long_reordering: topology.long_reordering,
            duplicate_requests: topology.duplicate_requests,
        }
    }

    fn replies_lost(&self, end: &str) -> bool {
        self.topology()
            .ends
            .get(end)
            .is_some_and(|state| state.replies_lost)
    }

    fn is_server_dead(&self, end: &str, server_name: &str, server: &Server) -> bool {
        let topology = self.topology();
        let enabled = topology.ends.get(end).is_some_and(|state| state.enabled);
        let same_server = topology
            .servers
            .get(server_name)
            .is_some_and(|current| current.same_as(server));
        !enabled || !same_server
    }
}
