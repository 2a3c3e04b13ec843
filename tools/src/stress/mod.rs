//! `stress`: build a test binary once, then run chosen tests of it many times, in parallel.

pub mod build;
pub mod live;
pub mod report;
pub mod runner;
pub mod select;
pub mod table;
