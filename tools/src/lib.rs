//! The lab's debugging tools: `stress` (many runs of chosen tests) and `logs` (a run's log
//! as columns per peer, or as a timeline page).

pub mod columns;
pub mod grade;
pub mod html;
pub mod logline;
pub mod stress;
pub mod timeline;
