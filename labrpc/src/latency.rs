//! How long a message takes to travel in simulation. On a real machine nothing arrives in
//! zero time: Go's labrpc makes about 47,000 calls a second (21 µs a round trip, two
//! goroutine hand-offs each way), and a loaded machine adds wake-up delays of tens to
//! hundreds of microseconds. Without a travel time, simulated messages sent at one instant
//! arrive at one instant, and races that real runs have (a vote reply against a newer
//! candidate's request) never happen. Real time needs nothing: the machine supplies it.

use lab_runtime::time::Duration;

/// The least time a request or a reply takes to travel in simulation: half of Go's round
/// trip.
pub const LATENCY_MIN: Duration = Duration::from_micros(10);
/// The most: a wake-up delay on a busy core.
pub const LATENCY_MAX: Duration = Duration::from_micros(250);

/// Waits the travel time of one message: uniform in `LATENCY_MIN..=LATENCY_MAX`, from the
/// seed, in simulation; nothing in real time.
pub(crate) async fn travel() {
    if cfg!(madsim) {
        let micros = lab_runtime::random::in_range(
            LATENCY_MIN.as_micros() as u64..=LATENCY_MAX.as_micros() as u64,
        );
        lab_runtime::time::sleep_exact(Duration::from_micros(micros)).await;
    }
}
