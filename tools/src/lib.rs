//! The lab's tools: `stress` (many runs of chosen tests), `logs` (a run's log as columns per
//! peer, or as a timeline page) and `grade` (the autograder).

pub mod columns;
pub mod grade;
pub mod html;
pub mod logline;
pub mod stress;
pub mod timeline;
