//! `grade`: the autograder. Each run of a test is a child process, scored from a private
//! channel and from how the process ended, never from what it printed.

pub mod capture;
pub mod child;
pub mod files;
pub mod gradescope;
pub mod group;
pub mod junit;
pub mod mode;
pub mod outcome;
pub mod runner;
pub mod sweep;
pub mod table;
pub mod verdict;
