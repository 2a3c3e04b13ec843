//! `logs` on real logs: a passing `re_election_2A` of the lab's Raft (made with
//! `LAB_SEED=7 LAB_LOG=debug`, simulated) and a failing run of the broken fixture.

use std::path::{Path, PathBuf};
use std::process::Command;

use lab_tools::logline::Log;
use lab_tools::timeline::{Role, Timeline};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn logs(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_logs"))
        .args(args)
        .output()
        .expect("logs runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn columns_put_each_peer_in_its_own() {
    let file = data("re_election.log");
    let text = logs(&["--width", "132", file.to_str().expect("utf-8 path")]);
    let header = text.lines().next().expect("a header");
    let columns: Vec<usize> = ["S0", "S1", "S2"]
        .iter()
        .map(|peer| header.find(peer).expect("a column per peer"))
        .collect();
    assert!(columns.windows(2).all(|w| w[0] < w[1]), "{header}");
    // Output to a pipe has no colors.
    assert!(!text.contains('\u{1b}'));
    let elected = text
        .lines()
        .find(|line| line.contains("T1: elected leader"))
        .expect("S1's election");
    assert_eq!(elected.find("T1: elected"), Some(columns[1]), "{elected}");
    let check = text
        .lines()
        .find(|line| line.contains("check_one_leader"))
        .expect("a check");
    assert!(check.find("check_one_leader") < Some(columns[0]), "{check}");
}

#[test]
fn filters_narrow_the_lines() {
    let file = data("re_election.log");
    let file = file.to_str().expect("utf-8 path");
    let only_s2 = logs(&["--peer", "2", "--topic", "raft", file]);
    assert!(!only_s2.lines().next().unwrap_or("").contains("S0"));
    let bodies: Vec<&str> = only_s2
        .lines()
        .skip(1)
        .filter(|l| l.contains("T"))
        .collect();
    assert!(!bodies.is_empty());
    assert!(only_s2.contains("S2") && !only_s2.contains("check_one_leader"));
    let window = logs(&["--from", "1.0", "--to", "1.1", file]);
    let times: Vec<f64> = window
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(times.len(), 3, "{window}");
    assert!(times.iter().all(|t| (1.0..=1.1).contains(t)));
}

#[test]
fn the_timeline_follows_leaders_and_outages() {
    let log = Log::read(&data("re_election.log")).expect("readable");
    let timeline = Timeline::from_log(&log);
    assert_eq!(timeline.lanes.len(), 3);
    let leaders: Vec<(usize, u64)> = timeline
        .lanes
        .iter()
        .enumerate()
        .flat_map(|(peer, lane)| {
            lane.spans
                .iter()
                .filter(|s| s.role == Role::Leader)
                .map(move |s| (peer, s.term))
        })
        .collect();
    assert_eq!(leaders, [(1, 1), (1, 9), (2, 2)]);
    // S1 was cut off while it led T1; S0 and S2 together later.
    assert!(!timeline.lanes[1].shades.is_empty());
    assert!(timeline
        .checks
        .iter()
        .any(|c| c.text == "check_one_leader: S1 in T9"));
}

#[test]
fn the_page_has_lanes_leader_spans_and_the_failure() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let page_path = dir.join("re_election.html");
    let file = data("re_election.log");
    logs(&[
        "--html",
        page_path.to_str().expect("utf-8 path"),
        file.to_str().expect("utf-8 path"),
    ]);
    let page = std::fs::read_to_string(&page_path).expect("the page was written");
    for lane in ["S0", "S1", "S2"] {
        assert!(
            page.contains(&format!("data-lane=\"{lane}\"")),
            "lane {lane}"
        );
    }
    assert_eq!(page.matches("class=\"span leader\"").count(), 3);
    assert!(page.contains("class=\"shade disconnected\""));
    assert!(page.contains("class=\"election\""));
    assert!(page.contains("no failure in this log"));
    // Self-contained: nothing is fetched.
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"));

    let failing = dir.join("two_leaders.html");
    let file = data("two_leaders.log");
    logs(&[
        "--html",
        failing.to_str().expect("utf-8 path"),
        file.to_str().expect("utf-8 path"),
    ]);
    let page = std::fs::read_to_string(&failing).expect("the page was written");
    assert!(page.contains("class=\"failure\""));
    assert!(page.contains("term 1 has 2 (&gt;1) leaders"));
    assert_eq!(page.matches("class=\"span leader\"").count(), 2);
}
