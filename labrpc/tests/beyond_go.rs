//! The two options Go's labrpc lacks: a one-way end (`set_replies_lost`) and copies of
//! requests delivered late (`set_duplicate_requests`). Shares are checked within about five
//! standard deviations; times only in simulation, where load cannot move the clock (see
//! `junk::UPPER_BOUNDS_CHECKED`).

mod junk;

use std::sync::{Arc, Mutex, PoisonError};

use junk::{assert_took_at_most, UPPER_BOUNDS_CHECKED};
use lab_runtime::run_test;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, Duration, Instant};
use labrpc::{CallError, ClientEnd, Network, Server, Service};

/// Each argument a handler saw, and when.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(i64, Instant)>>>);

impl Seen {
    fn all(&self) -> Vec<(i64, Instant)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// A network with server `s` offering `Log.Record`, which notes its argument and returns
/// it, and an enabled end `e` connected to it.
fn recording_network() -> (Network, ClientEnd, Seen) {
    let net = Network::new();
    let seen = Seen::default();
    let notes = seen.clone();
    let server = Server::new();
    server.add_service(Service::new("Log").method("Record", move |x: i64| {
        notes
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((x, Instant::now()));
        x
    }));
    net.add_server("s", server);
    let end = net.make_end("e");
    net.connect("e", "s");
    net.enable("e", true);
    (net, end, seen)
}

/// Sends `n` concurrent calls; returns how many were answered.
async fn calls(end: &ClientEnd, n: i64) -> usize {
    let calls: Vec<_> = (0..n)
        .map(|i| {
            let end = end.clone();
            spawn(async move { end.call::<_, i64>("Log.Record", &i).await.is_ok() })
        })
        .collect();
    let mut answered = 0;
    for call in calls {
        answered += usize::from(call.await.expect("a call panicked"));
    }
    answered
}

#[test]
fn a_one_way_end_delivers_requests_and_loses_replies() {
    run_test(|| async {
        let (net, end, seen) = recording_network();
        net.set_replies_lost("e", true);
        let t0 = Instant::now();
        let reply = end.call::<_, i64>("Log.Record", &7i64).await;
        assert_eq!(reply, Err(CallError::NoReply));
        // Lost at once, not after a silence: the handler ran and its reply was dropped.
        assert_took_at_most(
            "a call on a one-way end",
            t0.elapsed(),
            Duration::from_millis(5),
        );
        assert_eq!(seen.all().iter().map(|(x, _)| *x).collect::<Vec<_>>(), [7]);
        assert_eq!(net.count("s"), 1, "the request reached the server");
        assert_eq!(net.total_count(), 1);

        // The setting outlasts disabling and enabling the end.
        net.enable("e", false);
        net.enable("e", true);
        assert_eq!(
            end.call::<_, i64>("Log.Record", &8i64).await,
            Err(CallError::NoReply)
        );
        assert_eq!(seen.len(), 2);

        net.set_replies_lost("e", false);
        assert_eq!(end.call::<_, i64>("Log.Record", &9i64).await, Ok(9));
    });
}

#[test]
fn a_one_way_end_leaves_other_ends_alone() {
    run_test(|| async {
        let (net, end, _seen) = recording_network();
        let other = net.make_end("f");
        net.connect("f", "s");
        net.enable("f", true);
        net.set_replies_lost("f", true);
        assert_eq!(calls(&end, 100).await, 100);
        assert_eq!(calls(&other, 100).await, 0);
        assert_eq!(net.count("s"), 200);
    });
}

#[test]
fn without_the_option_no_request_is_copied() {
    run_test(|| async {
        let (_net, end, seen) = recording_network();
        let n = 500;
        assert_eq!(calls(&end, n).await, n as usize);
        sleep(Duration::from_secs(3)).await;
        assert_eq!(seen.len(), n as usize);
    });
}

#[test]
fn copies_arrive_for_a_fifth_of_requests_within_two_seconds_and_count_nowhere() {
    run_test(|| async {
        let (net, end, seen) = recording_network();
        net.set_duplicate_requests(true);
        let n = 2000;
        assert_eq!(
            calls(&end, n).await,
            n as usize,
            "every original is answered"
        );
        let (low, high) = (0.155, 0.245);
        let least = n as usize + (low * n as f64) as usize;
        // Copies arrive within 2 s; a loaded real machine may take longer, so wait for the
        // least share rather than for a time (simulation reaches it well within 2 s).
        let t0 = Instant::now();
        while seen.len() < least && t0.elapsed() < Duration::from_secs(60) {
            sleep(Duration::from_millis(100)).await;
        }
        sleep(Duration::from_millis(2100).saturating_sub(t0.elapsed())).await;
        let all = seen.all();
        let copies = all.len() - n as usize;
        let share = copies as f64 / n as f64;
        assert!((low..=high).contains(&share), "copied share {share}");

        // Copies count in no counter: the peers did not send them.
        assert_eq!(net.count("s"), n as usize);
        assert_eq!(net.total_count(), n as usize);
        let (plain_net, plain_end, _) = recording_network();
        calls(&plain_end, n).await;
        assert_eq!(net.total_bytes(), plain_net.total_bytes());

        // Each argument arrives at most twice; each copy 0-2 s after its original (a copy
        // drawn with no delay may run first: the delay is then taken as zero).
        let mut arrivals: Vec<Vec<Instant>> = vec![Vec::new(); n as usize];
        for (x, at) in all {
            arrivals[x as usize].push(at);
        }
        let mut delays = Vec::new();
        for (x, times) in arrivals.iter().enumerate() {
            match times[..] {
                [_] => {}
                [original, copy] => delays.push(copy.saturating_duration_since(original)),
                _ => panic!("argument {x} arrived {} times", times.len()),
            }
        }
        if UPPER_BOUNDS_CHECKED {
            delays.sort();
            let median = delays[delays.len() / 2];
            let longest = delays[delays.len() - 1];
            assert!(
                (Duration::from_millis(750)..=Duration::from_millis(1250)).contains(&median),
                "median copy delay {median:?}"
            );
            assert!(
                longest <= Duration::from_millis(2005),
                "longest copy delay {longest:?}"
            );
        }
    });
}

/// A copy takes the end's route when it arrives: an end disabled since loses it.
/// Simulation only: in real time a copy may look up its route just before the end is
/// disabled and run its handler just after.
#[test]
#[cfg(madsim)]
fn a_copy_through_a_disabled_end_is_lost() {
    run_test(|| async {
        let (net, end, seen) = recording_network();
        net.set_duplicate_requests(true);
        let n = 500;
        calls(&end, n).await;
        net.enable("e", false);
        let cut = Instant::now();
        sleep(Duration::from_secs(3)).await;
        assert!(
            seen.all().iter().all(|(_, at)| *at <= cut),
            "a copy arrived through a disabled end"
        );
    });
}
