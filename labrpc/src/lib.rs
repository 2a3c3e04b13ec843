//! labrpc: the lab's simulated network, a port of Go's `labrpc.go`.
//!
//! A [`Network`] holds named [`ClientEnd`]s and named [`Server`]s. An end is connected to
//! one server and is enabled or not; a server holds [`Service`]s whose methods are called
//! as `"Service.Method"`. Arguments and replies travel encoded with labgob, and the network
//! counts RPCs and bytes as Go's does. When unreliable, the network delays requests and
//! drops requests and replies; with long reordering it holds some replies back for a long
//! time; a call to a disabled end or a missing server gets no answer after a random wait.
//! Beyond Go, two options, off by default: a one-way end that delivers requests but loses
//! their replies ([`Network::set_replies_lost`]), and a network that delivers some requests
//! a second time, late ([`Network::set_duplicate_requests`]).
//! A call returns the reply, or [`CallError::NoReply`] once the network loses it or the
//! server is unreachable, deleted or cut off (at once, whenever that happens during the
//! call); only a handler that never returns, on a server that stays connected, keeps its
//! caller waiting, as in Go. Programming errors (unknown names, wrong types) are returned as
//! errors and reported to the hook set with [`Network::on_programming_error`].
//!
//! All timing and randomness come from `lab-runtime`, so the network runs in real time or
//! in deterministic simulated time. In simulation each request and each reply also takes
//! a small random time to travel (see [`LATENCY_MIN`]), as on a real machine.
//!
//! ```
//! use labrpc::{Network, Server, Service};
//!
//! lab_runtime::block_on(1, async {
//!     let net = Network::new();
//!     let server = Server::new();
//!     server.add_service(Service::new("Echo").method("Twice", |x: u64| x * 2));
//!     net.add_server("s", server);
//!     let end = net.make_end("e");
//!     net.connect("e", "s");
//!     net.enable("e", true);
//!     let reply: u64 = end.call("Echo.Twice", &21u64).await.unwrap();
//!     assert_eq!(reply, 42);
//! });
//! ```

mod client;
mod error;
mod latency;
mod network;
mod server;
mod service;

pub use client::ClientEnd;
pub use error::CallError;
pub use latency::{LATENCY_MAX, LATENCY_MIN};
pub use network::Network;
pub use server::Server;
pub use service::Service;
