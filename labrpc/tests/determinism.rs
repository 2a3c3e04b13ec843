//! In simulation, a seed fixes everything: two runs of the same unreliable, reordering
//! workload from one seed see the same outcome and time for every call, and the same
//! counters. (There is nothing to compare in real time, so the test exists only there.)
#![cfg(madsim)]

mod junk;

use junk::junk_network;
use lab_runtime::block_on;
use lab_runtime::task::spawn;
use lab_runtime::time::Instant;

/// Each call's outcome and virtual duration, then the total RPC and byte counts and the
/// server's count.
type Trace = (Vec<(bool, u128)>, usize, u64, usize);

fn run(seed: u64) -> Trace {
    block_on(seed, async {
        let (net, e, _js) = junk_network("e", "s", true);
        net.set_reliable(false);
        net.set_long_reordering(true);
        let calls: Vec<_> = (0..300i64)
            .map(|i| {
                let e = e.clone();
                spawn(async move {
                    let t0 = Instant::now();
                    let ok = e.call::<_, String>("JunkServer.Handler2", &i).await.is_ok();
                    (ok, t0.elapsed().as_micros())
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for call in calls {
            outcomes.push(call.await.expect("a call panicked"));
        }
        (
            outcomes,
            net.total_count(),
            net.total_bytes(),
            net.count("s"),
        )
    })
}

#[test]
fn the_same_seed_replays_every_call_and_counter() {
    let first = run(7);
    assert_eq!(first, run(7));
    assert!(first.0.iter().any(|(ok, _)| !ok) && first.0.iter().any(|(ok, _)| *ok));
}

#[test]
fn another_seed_gives_another_run() {
    assert_ne!(run(7).0, run(8).0);
}
