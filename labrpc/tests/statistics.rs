//! The unreliable network's drop shares and delays, measured over many calls and checked
//! against Go's constants. Bounds are about five standard deviations wide: they do not
//! flake, yet a wrong constant (say 20% drops instead of 10%) fails them.

mod junk;

use junk::junk_network;
use lab_runtime::task::spawn;
use lab_runtime::time::{Duration, Instant};
use lab_runtime::{run_test, Mode, MODE};
use labrpc::CallError;

/// Real time adds scheduling delays on top of the simulated ones; simulation adds each
/// message's travel time and its timers' lateness (under 2 ms in all).
fn slack() -> Duration {
    match MODE {
        Mode::Simulated => 2 * labrpc::LATENCY_MAX + lab_runtime::time::TIMER_JITTER,
        Mode::Real => Duration::from_millis(60),
    }
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

/// Fails unless `low <= value <= high`, naming what was measured.
fn assert_between(what: &str, value: Duration, low: Duration, high: Duration) {
    assert!(
        low <= value && value <= high,
        "{what} {value:?}, expected {low:?} to {high:?}"
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
        let longest = *times.iter().max().expect("some calls succeed");
        assert!(
            longest < Duration::from_millis(27) + slack(),
            "longest delay {longest:?}"
        );
        assert!(
            longest >= Duration::from_millis(24),
            "longest delay {longest:?}: the range is 0-26 ms"
        );
        // Uniform on 0..27 ms: the median is 13 ms.
        let middle = median(times);
        assert_between(
            "median delay",
            middle,
            Duration::from_millis(11),
            Duration::from_millis(16) + slack() / 4,
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
        let longest = *held.iter().max().expect("some replies are held");
        assert!(
            longest < Duration::from_millis(2200) + slack(),
            "longest hold {longest:?}"
        );
        // 200 + rand(1 + rand(2000)): the median of rand(1 + rand(2000)) is 2000 r where
        // r (1 - ln r) = 1/2, about 374 ms, so the median hold is about 574 ms (its sampling
        // deviation over ~600 held replies is about 24 ms).
        let middle = median(held);
        assert_between(
            "median hold",
            middle,
            Duration::from_millis(455),
            Duration::from_millis(695) + slack() / 4,
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
        let longest = *times.iter().max().expect("500 calls");
        assert!(
            longest < Duration::from_millis(100) + slack(),
            "longest silence {longest:?}"
        );
        let middle = median(times);
        assert_between(
            "median silence",
            middle,
            Duration::from_millis(40),
            Duration::from_millis(60) + slack() / 4,
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
        let longest = *times.iter().max().expect("500 calls");
        assert!(
            longest < Duration::from_millis(7000) + slack(),
            "longest silence {longest:?}"
        );
        assert!(
            longest >= Duration::from_millis(6500),
            "longest silence {longest:?}: the range is 0-7 s"
        );
        let middle = median(times);
        assert_between(
            "median silence",
            middle,
            Duration::from_millis(3000),
            Duration::from_millis(4000),
        );
    });
}

/// In simulation a reliable call takes two travel times (request and reply), each drawn
/// from the seed in `LATENCY_MIN..=LATENCY_MAX`: never zero, never the same for all.
#[cfg(madsim)]
#[test]
fn in_simulation_a_call_takes_two_travel_times() {
    run_test(|| async {
        let (_net, e, _js) = junk_network("e", "s", true);
        let times: Vec<Duration> = calls(&e, 200).await.into_iter().map(|(_, t)| t).collect();
        for took in &times {
            assert!(
                (2 * labrpc::LATENCY_MIN..=2 * labrpc::LATENCY_MAX).contains(took),
                "a call took {took:?}"
            );
        }
        let distinct: std::collections::BTreeSet<Duration> = times.into_iter().collect();
        assert!(distinct.len() > 100, "{} distinct times", distinct.len());
    });
}
