//! The unreliable network's drop shares and delays, measured over many calls and checked
//! against Go's constants. Bounds are about five standard deviations wide: they do not
//! flake, yet a wrong constant (say 20% drops instead of 10%) fails them.
//!
//! Upper bounds on times are checked in simulated time only (`junk::UPPER_BOUNDS_CHECKED`):
//! in real time the machine's load lengthens every measured time without bound.

mod junk;

use junk::{junk_network, UPPER_BOUNDS_CHECKED};
use lab_runtime::task::spawn;
use lab_runtime::time::{Duration, Instant};
use lab_runtime::{run_test, MODE};
use labrpc::CallError;

/// `bound` plus how much later than the network's own delay a simulated call may end: each
/// message's travel time, and the lateness of the call's three timers (the two travels and
/// the delay, silence or hold), under 3.5 ms in all; `1/share_of_slack` of it for a median.
/// None in real time, where no upper bound holds.
fn upper_bound(bound: Duration, share_of_slack: u32) -> Option<Duration> {
    let slack = 2 * labrpc::LATENCY_MAX + 3 * lab_runtime::time::TIMER_JITTER;
    UPPER_BOUNDS_CHECKED.then(|| bound + slack / share_of_slack)
}

/// Sends `n` concurrent calls of Handler2 on one end; returns each call's outcome and time.
async fn calls(e: &labrpc::ClientEnd, n: i64) -> Vec<(bool, Duration)> {
    let calls: Vec<_> = (0..n)
        .map(|i| {
            let e = e.clone();
            spawn(async move {
                let t0 = Instant::now();
                let reply = e.call::<_, String>("JunkServer.Handler2", &i).await;
                if let Err(err) = &reply {
                    assert_eq!(err, &CallError::NoReply);
                }
                (reply.is_ok(), t0.elapsed())
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for call in calls {
        outcomes.push(call.await.expect("a call panicked"));
    }
    outcomes
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Fails unless `low <= value`, and `value <= high` where there is a `high`, naming what was
/// measured and the clock.
fn assert_between(what: &str, value: Duration, low: Duration, high: Option<Duration>) {
    assert!(
        low <= value && high.is_none_or(|high| value <= high),
        "{what} {value:?}, expected {low:?} to {high:?} ({MODE:?} time)"
    );
}

fn share(part: usize, whole: usize) -> f64 {
    part as f64 / whole as f64
}

#[test]
fn unreliable_drops_a_tenth_of_requests_and_a_tenth_of_replies() {
    run_test(|| async {
        let (net, e, js) = junk_network("e", "s", true);
        net.set_reliable(false);
        let n = 2000;
        let outcomes = calls(&e, n).await;
        let delivered = js.handler2_calls().len();
        let answered = outcomes.iter().filter(|(ok, _)| *ok).count();

        let requests_dropped = 1.0 - share(delivered, n as usize);
        assert!(
            (0.066..=0.134).contains(&requests_dropped),
            "requests dropped: {requests_dropped}"
        );
        let replies_dropped = 1.0 - share(answered, delivered);
        assert!(
            (0.064..=0.136).contains(&replies_dropped),
            "replies dropped: {replies_dropped}"
        );
        assert_eq!(net.total_count(), n as usize);
    });
}

#[test]
fn unreliable_delays_requests_up_to_27_ms() {
    run_test(|| async {
        let (net, e, _js) = junk_network("e", "s", true);
        net.set_reliable(false);
        let times: Vec<Duration> = calls(&e, 2000)
            .await
            .into_iter()
            .filter_map(|(ok, took)| ok.then_some(took))
            .collect();
        // The range is 0-26 ms: of 1,600 draws, one at 24 ms or more is all but certain.
        let longest = *times.iter().max().expect("some calls succeed");
        assert_between(
            "longest delay",
            longest,
            Duration::from_millis(24),
            upper_bound(Duration::from_millis(27), 1),
        );
        // Uniform on 0..27 ms: the median is 13 ms.
        let middle = median(times);
        assert_between(
            "median delay",
            middle,
            Duration::from_millis(11),
            upper_bound(Duration::from_millis(16), 4),
        );
    });
}

#[test]
fn long_reordering_holds_back_two_thirds_of_replies_for_200_to_2200_ms() {
    run_test(|| async {
        let (net, e, _js) = junk_network("e", "s", true);
        net.set_long_reordering(true);
        let n = 900;
        let times: Vec<Duration> = calls(&e, n)
            .await
            .into_iter()
            .map(|(ok, took)| {
                assert!(ok, "a reliable network answers every call");
                took
            })
            .collect();
        let held: Vec<Duration> = times
            .iter()
            .copied()
            .filter(|t| *t >= Duration::from_millis(200))
            .collect();
        let held_share = share(held.len(), n as usize);
        assert!(
            (0.588..=0.745).contains(&held_share),
            "share held back: {held_share}"
        );
        // One reply in 30 is held 1.7 s or more: of some 600 held, one such is all but certain.
        let longest = *held.iter().max().expect("some replies are held");
        assert_between(
            "longest hold",
            longest,
            Duration::from_millis(1700),
            upper_bound(Duration::from_millis(2200), 1),
        );
        // 200 + rand(1 + rand(2000)): the median of rand(1 + rand(2000)) is 2000 r where
        // r (1 - ln r) = 1/2, about 374 ms, so the median hold is about 574 ms (its sampling
        // deviation over ~600 held replies is about 24 ms).
        let middle = median(held);
        assert_between(
            "median hold",
            middle,
            Duration::from_millis(455),
            upper_bound(Duration::from_millis(695), 4),
        );
    });
}

#[test]
fn a_disabled_end_answers_nothing_after_up_to_100_ms() {
    run_test(|| async {
        let (_net, e, js) = junk_network("e", "s", false);
        let outcomes = calls(&e, 500).await;
        assert!(
            outcomes.iter().all(|(ok, _)| !ok),
            "a disabled end gets no reply"
        );
        assert!(js.handler2_calls().is_empty());
        let times: Vec<Duration> = outcomes.into_iter().map(|(_, took)| took).collect();
        // Uniform on 0..100 ms: of 500 draws, one at 90 ms or more is all but certain.
        let longest = *times.iter().max().expect("500 calls");
        assert_between(
            "longest silence",
            longest,
            Duration::from_millis(90),
            upper_bound(Duration::from_millis(100), 1),
        );
        let middle = median(times);
        assert_between(
            "median silence",
            middle,
            Duration::from_millis(40),
            upper_bound(Duration::from_millis(60), 4),
        );
    });
}

#[test]
fn with_long_delays_a_disabled_end_answers_nothing_after_up_to_7_s() {
    run_test(|| async {
        let (net, e, _js) = junk_network("e", "s", false);
        net.set_long_delays(true);
        let times: Vec<Duration> = calls(&e, 500)
            .await
            .into_iter()
            .map(|(_, took)| took)
            .collect();
        // The range is 0-7 s: of 500 draws, one at 6.5 s or more is all but certain.
        let longest = *times.iter().max().expect("500 calls");
        assert_between(
            "longest silence",
            longest,
            Duration::from_millis(6500),
            upper_bound(Duration::from_millis(7000), 1),
        );
        let middle = median(times);
        assert_between(
            "median silence",
            middle,
            Duration::from_millis(3000),
            upper_bound(Duration::from_millis(4000), 1),
        );
    });
}

/// In simulation a reliable call takes two travel times (request and reply), each drawn
/// from the seed in `LATENCY_MIN..=LATENCY_MAX`: never zero, never the same for all. Each
/// travel's timer may fire up to `TIMER_JITTER` late (seed 1233430681532657058 has a call
/// of 512.6 µs, over two travels' 500).
#[cfg(madsim)]
#[test]
fn in_simulation_a_call_takes_two_travel_times() {
    run_test(|| async {
        let (_net, e, _js) = junk_network("e", "s", true);
        let times: Vec<Duration> = calls(&e, 200).await.into_iter().map(|(_, t)| t).collect();
        let longest = 2 * (labrpc::LATENCY_MAX + lab_runtime::time::TIMER_JITTER);
        for took in &times {
            assert!(
                (2 * labrpc::LATENCY_MIN..=longest).contains(took),
                "a call took {took:?}"
            );
        }
        let distinct: std::collections::BTreeSet<Duration> = times.into_iter().collect();
        assert!(distinct.len() > 100, "{} distinct times", distinct.len());
    });
}
