//! What the tests of lab 3's tester share: a key/value server with one deliberate flaw, and
//! a search of seeds for the first run that fails.

#![allow(dead_code)] // each test file uses a part

pub mod broken;

use std::any::Any;
use std::future::Future;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `test` in simulation from each seed of `seeds` in turn, and returns the first
/// seed whose run fails, with the failure's message.
pub fn first_failure<F, Fut>(seeds: Range<u64>, test: F) -> Option<(u64, String)>
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    seeds.into_iter().find_map(|seed| {
        let run = catch_unwind(AssertUnwindSafe(|| lab_runtime::block_on(seed, test())));
        run.err().map(|panic| (seed, message(panic.as_ref())))
    })
}

fn message(panic: &(dyn Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(text), _) => (*text).to_owned(),
        (None, Some(text)) => text.clone(),
        (None, None) => String::from("a panic that is not text"),
    }
}

/// Asserts that some seed of `seeds` fails `test` with a message containing one of
/// `expected`.
#[track_caller]
pub fn assert_caught<F, Fut>(flaw: &str, seeds: Range<u64>, expected: &[&str], test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let range = format!("{seeds:?}");
    match first_failure(seeds, test) {
        Some((seed, message)) => assert!(
            expected.iter().any(|text| message.contains(text)),
            "a service that {flaw} failed with seed {seed}, but not with {expected:?}: {message}"
        ),
        None => panic!("a service that {flaw} passed every seed of {range}"),
    }
}
