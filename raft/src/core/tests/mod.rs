//! The protocol's rules, without a network: single cores driven by hand, and small
//! clusters whose messages a test delivers.

mod cluster;
mod election;
mod replication;
mod snapshot;
