//! Go's `JunkServer`, its handlers, and a network with one end connected to it.

#![allow(dead_code)] // each test binary uses a part

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lab_runtime::time::{sleep, Duration};
use lab_runtime::{Mode, MODE};
use labrpc::{ClientEnd, Network, Server, Service};
use serde::{Deserialize, Serialize};

/// Whether an upper bound on a measured time can be checked: in simulated time only. In real
/// time the machine's load adds its own delay to every wake-up, without bound (on two cores at
/// load 6-11, calls the network delays by at most 27 ms took up to 199 ms), so a wall-clock
/// upper bound fails on a busy machine rather than on a wrong network. The simulated build
/// runs the same network code on a clock that load cannot move, and checks the bounds there;
/// real time checks lower bounds (load only adds) and outcomes.
pub const UPPER_BOUNDS_CHECKED: bool = matches!(MODE, Mode::Simulated);

/// How long to wait for what Go's test expects within `go_limit`: that long in simulation;
/// in real time 5 s, which the load of a busy machine does not reach, and which still
/// tells a call unstuck at once from one that waited out Handler3's 20 s.
pub fn within(go_limit: Duration) -> Duration {
    if UPPER_BOUNDS_CHECKED {
        go_limit
    } else {
        Duration::from_secs(5)
    }
}

/// Fails if `took` is over `limit`, in simulated time (see [`UPPER_BOUNDS_CHECKED`]).
pub fn assert_took_at_most(what: &str, took: Duration, limit: Duration) {
    if UPPER_BOUNDS_CHECKED {
        assert!(took <= limit, "{what} took {took:?}, over {limit:?}");
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct JunkArgs {
    pub x: i64,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct JunkReply {
    pub x: String,
}

/// What the handlers saw: Handler1's and Handler2's arguments, in order.
#[derive(Default)]
pub struct JunkServer {
    log: Mutex<(Vec<String>, Vec<i64>)>,
}

impl JunkServer {
    fn log(&self) -> MutexGuard<'_, (Vec<String>, Vec<i64>)> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn handler2_calls(&self) -> Vec<i64> {
        self.log().1.clone()
    }

    /// The service `JunkServer` with Go's seven handlers.
    pub fn service(self: &Arc<Self>) -> Service {
        let (js1, js2) = (self.clone(), self.clone());
        Service::new("JunkServer")
            .method("Handler1", move |args: String| {
                let reply = args.parse::<i64>().unwrap_or(0);
                js1.log().0.push(args);
                reply
            })
            .method("Handler2", move |args: i64| {
                js2.log().1.push(args);
                format!("handler2-{args}")
            })
            .async_method("Handler3", |args: i64| async move {
                sleep(Duration::from_secs(20)).await;
                -args
            })
            .method("Handler4", |_: JunkArgs| JunkReply {
                x: "pointer".into(),
            })
            .method("Handler5", |_: JunkArgs| JunkReply {
                x: "no pointer".into(),
            })
            .method("Handler6", |args: String| args.len() as i64)
            .method("Handler7", |args: i64| "y".repeat(args.max(0) as usize))
    }
}

/// A network with a JunkServer named `server` and an end named `end`, connected and
/// enabled when `enabled`.
pub fn junk_network(
    end: &str,
    server: &str,
    enabled: bool,
) -> (Network, ClientEnd, Arc<JunkServer>) {
    let net = Network::new();
    let js = Arc::new(JunkServer::default());
    let rs = Server::new();
    rs.add_service(js.service());
    net.add_server(server, rs);
    let e = net.make_end(end);
    net.connect(end, server);
    net.enable(end, enabled);
    (net, e, js)
}
