//! labrpc throughput, in real time: Go's TestBenchmark workload (one client, 100,000
//! sequential calls on a reliable network) and the same number of calls from several
//! clients at once. Each workload runs five times; the median is reported, with its ratio
//! to a baseline measured in the same run (a bare round trip to a spawned task, the least
//! any call that runs in a task of its own can cost) and to Go's labrpc.

use futures::channel::oneshot;
use lab_runtime::task::spawn;
use lab_runtime::time::Instant;
use lab_runtime::{Mode, MODE};
use labrpc::{ClientEnd, Network, Server, Service};

const CALLS: u64 = 100_000;
const RUNS: usize = 5;
/// Go's labrpc TestBenchmark on this kind of machine (shared/baseline/README.md).
const GO_CALLS_PER_SECOND: f64 = 47_000.0;

fn main() {
    if MODE == Mode::Simulated {
        eprintln!(
            "throughput: simulated time has no throughput to measure; build without --cfg madsim"
        );
        return;
    }
    println!("labrpc throughput: {CALLS} calls a run, median of {RUNS} runs");
    println!(
        "{:<34} {:>12} {:>12} {:>10}",
        "workload", "calls/s", "vs baseline", "vs Go"
    );
    let baseline = report("baseline: task round trip", None, || {
        lab_runtime::block_on(0, task_round_trips(CALLS))
    });
    report("sequential, 1 client (Go's)", Some(baseline), || {
        lab_runtime::block_on(0, calls(1))
    });
    report("concurrent, 4 clients", Some(baseline), || {
        lab_runtime::block_on(0, calls(4))
    });
    report("concurrent, 16 clients", Some(baseline), || {
        lab_runtime::block_on(0, calls(16))
    });
}

/// Runs `workload` (which returns the seconds its calls took) `RUNS` times; prints and
/// returns the median rate.
fn report(name: &str, baseline: Option<f64>, workload: impl Fn() -> f64) -> f64 {
    let mut rates: Vec<f64> = (0..RUNS).map(|_| CALLS as f64 / workload()).collect();
    rates.sort_by(f64::total_cmp);
    let median = rates[RUNS / 2];
    let versus_baseline = baseline.map_or("-".to_owned(), |b| format!("{:.2}", median / b));
    println!(
        "{name:<34} {median:>12.0} {versus_baseline:>12} {:>9.1}x   (runs: {})",
        median / GO_CALLS_PER_SECOND,
        rates
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    median
}

async fn task_round_trips(n: u64) -> f64 {
    let t0 = Instant::now();
    for i in 0..n {
        let (tx, rx) = oneshot::channel();
        spawn(async move {
            let _ = tx.send(i);
        });
        assert_eq!(rx.await, Ok(i));
    }
    t0.elapsed().as_secs_f64()
}

/// `CALLS` calls of Go's Handler2, split among `clients` ends calling at once.
async fn calls(clients: u64) -> f64 {
    let net = Network::new();
    let server = Server::new();
    server.add_service(
        Service::new("JunkServer").method("Handler2", |x: i64| format!("handler2-{x}")),
    );
    net.add_server("server99", server);
    let ends: Vec<ClientEnd> = (0..clients)
        .map(|c| {
            let end = net.make_end(c);
            net.connect(c, "server99");
            net.enable(c, true);
            end
        })
        .collect();
    let t0 = Instant::now();
    let tasks: Vec<_> = ends
        .into_iter()
        .map(|end| {
            spawn(async move {
                for _ in 0..CALLS / clients {
                    let reply: String = end
                        .call("JunkServer.Handler2", &111i64)
                        .await
                        .expect("reliable network");
                    assert_eq!(reply, "handler2-111");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a client panicked");
    }
    t0.elapsed().as_secs_f64()
}
