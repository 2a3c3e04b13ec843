//! Times the checks porcupine's Go tests make on its own data, for the side-by-side in
//! BENCHMARKS.md: the 102 Jepsen etcd logs and the 10 kv tests (6 partitioned by key, 4
//! with the whole store as one state).
//!
//! cargo run --release -p porcupine --example bench -- [etcd|kv|all] [--each]
//!
//! Prints the wall time of each group (parsing excluded, as Go's tests parse too but it is
//! small) and, with --each, of every history. Exits non-zero if any verdict differs from
//! porcupine's.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{
    jepsen_path, kv_path, parse_jepsen_log, parse_kv_log, KvNoPartitionModel, JEPSEN_VERDICTS,
    KV_VERDICTS,
};
use porcupine::models::etcd::EtcdModel;
use porcupine::models::kv::KvModel;
use porcupine::{check_events, CheckResult};

fn verdict(linearizable: bool) -> CheckResult {
    if linearizable {
        CheckResult::Ok
    } else {
        CheckResult::Illegal
    }
}

struct Timing {
    total: Duration,
    wrong: Vec<String>,
}

fn timed(
    name: &str,
    each: bool,
    timing: &mut Timing,
    check: impl FnOnce() -> (CheckResult, CheckResult),
) {
    let started = Instant::now();
    let (got, want) = check();
    let took = started.elapsed();
    timing.total += took;
    if got != want {
        timing
            .wrong
            .push(format!("{name}: got {got:?}, porcupine says {want:?}"));
    }
    if each {
        println!("  {name:<28} {got:?} {:>10.3} ms", took.as_secs_f64() * 1e3);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let each = args.iter().any(|arg| arg == "--each");
    let group = args
        .iter()
        .find(|arg| !arg.starts_with("--"))
        .map_or("all", String::as_str);
    let mut wrong = Vec::new();
    let started = Instant::now();

    if matches!(group, "etcd" | "all") {
        let logs: Vec<_> = JEPSEN_VERDICTS
            .iter()
            .map(|&(number, ok)| (number, ok, parse_jepsen_log(&jepsen_path(number))))
            .collect();
        let mut timing = Timing {
            total: Duration::ZERO,
            wrong: Vec::new(),
        };
        for (number, ok, events) in &logs {
            timed(&format!("etcd_{number:03}"), each, &mut timing, || {
                (check_events(&EtcdModel, events, None), verdict(*ok))
            });
        }
        println!(
            "etcd: {} logs checked in {:.3} s",
            logs.len(),
            timing.total.as_secs_f64()
        );
        wrong.extend(timing.wrong);
    }

    if matches!(group, "kv" | "all") {
        let mut timing = Timing {
            total: Duration::ZERO,
            wrong: Vec::new(),
        };
        for (name, ok) in KV_VERDICTS {
            let events = parse_kv_log(&kv_path(name));
            timed(&format!("kv {name}"), each, &mut timing, || {
                (check_events(&KvModel, &events, None), verdict(ok))
            });
        }
        for (name, ok) in KV_VERDICTS.iter().take(4) {
            let events = parse_kv_log(&kv_path(name));
            timed(
                &format!("kv-no-partition {name}"),
                each,
                &mut timing,
                || {
                    (
                        check_events(&KvNoPartitionModel, &events, None),
                        verdict(*ok),
                    )
                },
            );
        }
        println!("kv: 10 checks in {:.3} s", timing.total.as_secs_f64());
        wrong.extend(timing.wrong);
    }

    println!("wall {:.3} s", started.elapsed().as_secs_f64());
    if !wrong.is_empty() {
        for line in &wrong {
            eprintln!("WRONG VERDICT {line}");
        }
        std::process::exit(1);
    }
}
