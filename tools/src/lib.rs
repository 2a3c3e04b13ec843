//! The lab's tools: `stress` (many runs of chosen tests), `logs` (a run's log as columns per
//! peer, or as a timeline page) and `grade` (the autograder); `lab` says which package
//! holds each part's tests.

pub mod columns;
pub mod grade;
pub mod html;
pub mod lab;
pub mod logline;
pub mod stress;
pub mod timeline;
