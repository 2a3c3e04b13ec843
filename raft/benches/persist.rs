//! What one save of the Raft state costs at the log sizes of the lab's tests: encoded afresh
//! (every entry), and as the Raft saves after an append (`StateWriter`: the new entry
//! encoded, the rest copied from the last save). The persister keeps one blob, as Go's
//! does, so every save writes the whole state. Each size is timed over many saves; the
//! median of five runs is reported, beside a baseline measured in the same run (copying the
//! same number of bytes, the least any save of them can cost).

use std::hint::black_box;
use std::time::Instant;

use raft::core::HardState;
use raft::messages::Entry;
use raft::persist::StateWriter;

/// Log lengths: 2D's snapshotted logs (~20), 2C's Figure 8 (a few hundred), churn (1,800 in
/// real time, 4,300 in simulation).
const SIZES: [usize; 4] = [20, 300, 1_800, 4_300];
const RUNS: usize = 5;

fn main() {
    if lab_runtime::MODE == lab_runtime::Mode::Simulated {
        eprintln!("persist: build without --cfg madsim to measure");
        return;
    }
    println!("one save of the Raft state (encode + checksum), median of {RUNS} runs");
    println!(
        "{:>8} {:>8} {:>14} {:>16} {:>11} {:>15} {:>13}",
        "entries",
        "bytes",
        "fresh save µs",
        "save after 1 µs",
        "restore µs",
        "copy µs (base)",
        "after 1 / copy"
    );
    for entries in SIZES {
        let state = state_of(entries);
        let bytes = raft::persist::encode(&state);
        let saves = (2_000_000 / entries).clamp(200, 100_000);
        let save = median_micros(saves, || {
            black_box(raft::persist::encode(black_box(&state)));
        });
        let restore = median_micros(saves, || {
            // Peer 0 of 5: the state votes for peer 3.
            black_box(raft::persist::decode(black_box(&bytes), 0, 5).expect("decodes"));
        });
        let copy = median_micros(saves, || {
            black_box(black_box(&bytes).clone());
        });
        // The Raft's steady state: each save follows an append. Alternate between the log
        // and the log with one more entry, so the size stays put.
        let mut longer = state.clone();
        longer.log.push(Entry {
            term: longer.log.last_term(),
            command: vec![7; 13],
        });
        let mut writer = StateWriter::new();
        writer.encode(&state);
        let mut flip = false;
        let after_append = median_micros(saves, || {
            flip = !flip;
            black_box(writer.encode(if flip { &longer } else { &state }));
        });
        println!(
            "{entries:>8} {:>8} {save:>14.2} {after_append:>16.2} {restore:>11.2} {copy:>15.3} {:>13.1}",
            bytes.len(),
            after_append / copy
        );
    }
}

/// A state whose commands are what the tester sends: labgob-encoded 63-bit integers.
fn state_of(entries: usize) -> HardState {
    let mut state = HardState {
        term: 17,
        voted_for: Some(3),
        ..HardState::default()
    };
    for i in 0..entries as u64 {
        let command =
            labgob::encode(&(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1)).expect("encodes");
        state.log.push(Entry {
            term: 1 + i / 100,
            command,
        });
    }
    // A possible state, which restarting accepts: no entry's term above the current term.
    state.term = state.term.max(state.log.last_term());
    state
}

/// The median over `RUNS` runs of the microseconds one call of `work` takes, each run
/// timing `calls` calls.
fn median_micros(calls: usize, mut work: impl FnMut()) -> f64 {
    let mut micros: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t0 = Instant::now();
            for _ in 0..calls {
                work();
            }
            t0.elapsed().as_secs_f64() * 1e6 / calls as f64
        })
        .collect();
    micros.sort_by(f64::total_cmp);
    micros[RUNS / 2]
}
