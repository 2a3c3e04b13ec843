//! Models shipped with the checker.

pub mod etcd;
pub mod kv;
