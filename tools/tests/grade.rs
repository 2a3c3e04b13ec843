//! `grade` end to end, in simulation: the lab's Raft scores full marks and its results.json
//! and JUnit XML agree with the table; misbehaving fixtures score zero, each with its reason.
//!
//! These tests run cargo themselves, into target/sim; under `--cfg madsim` the outer build
//! may hold that directory's lock, so they run only in the real-time build.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lab_tools::stress::build::DEBUG_BUILD_VARIABLE;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tools/ has a parent")
        .to_path_buf()
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs grade with `args`, its files in `dir`.
fn grade(args: &[&str], dir: &Path) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_grade"))
        .current_dir(root())
        // A debug build: the one `make test-sim` makes in target/sim, not one more release
        // build of every crate.
        .env(DEBUG_BUILD_VARIABLE, "1")
        .args(["--sim", "--seed", "1", "-j", "2"])
        .args(args)
        .arg("--results")
        .arg(dir.join("results.json"))
        .arg("--junit")
        .arg(dir.join("junit.xml"))
        .arg("--out")
        .arg(dir.join("failed"))
        .output()
        .expect("grade runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

/// One row of the printed table.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    part: String,
    result: String,
    seconds: f64,
    kept: Option<PathBuf>,
}

/// The table's rows by test (two spaces or more separate cells).
fn table(stdout: &str) -> BTreeMap<String, Row> {
    let mut lines = stdout.lines().skip_while(|l| !l.starts_with("part  "));
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("no table:\n{stdout}"));
    assert!(
        header.contains("RPCs") && header.contains("warnings"),
        "{header}"
    );
    lines
        .take_while(|l| !l.starts_with("mode:"))
        .filter(|l| !l.is_empty() && !l.starts_with('-') && !l.contains(" total "))
        .map(|line| {
            let cells: Vec<&str> = line
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            assert_eq!(cells.len(), 10, "a row of 10 cells: {line:?}");
            let kept = (cells[9] != "-").then(|| PathBuf::from(cells[9]));
            let seconds = cells[3]
                .parse()
                .unwrap_or_else(|_| panic!("seconds in {line:?}"));
            let row = Row {
                part: cells[0].to_owned(),
                result: cells[2].to_owned(),
                seconds,
                kept,
            };
            (cells[1].to_owned(), row)
        })
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// results.json's tests: name -> (score, max_score, status).
fn gradescope(dir: &Path) -> (f64, BTreeMap<String, (f64, f64, String)>) {
    let json: serde_json::Value =
        serde_json::from_str(&read(&dir.join("results.json"))).expect("results.json is JSON");
    let tests = json["tests"].as_array().expect("tests").iter().map(|t| {
        let name = t["name"].as_str().expect("name").to_owned();
        let score = t["score"].as_f64().expect("score");
        let max = t["max_score"].as_f64().expect("max_score");
        let status = t["status"].as_str().expect("status").to_owned();
        assert!(t["output"].is_string(), "{t}");
        (name, (score, max, status))
    });
    (json["score"].as_f64().expect("score"), tests.collect())
}

/// The JUnit XML's test cases: name -> (suite, failure message if any).
fn junit(dir: &Path) -> BTreeMap<String, (String, Option<String>)> {
    let text = read(&dir.join("junit.xml"));
    let doc = roxmltree::Document::parse(&text).expect("junit.xml is XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let mut cases = BTreeMap::new();
    for suite in root.children().filter(|n| n.has_tag_name("testsuite")) {
        let suite_name = suite.attribute("name").expect("suite name").to_owned();
        let listed: usize = suite
            .attribute("tests")
            .and_then(|t| t.parse().ok())
            .expect("tests");
        let mut count = 0;
        for case in suite.children().filter(|n| n.has_tag_name("testcase")) {
            count += 1;
            let failure = case
                .children()
                .find(|n| n.has_tag_name("failure"))
                .map(|f| f.attribute("message").expect("failure message").to_owned());
            let name = case.attribute("name").expect("case name").to_owned();
            cases.insert(name, (suite_name.clone(), failure));
        }
        assert_eq!(count, listed, "suite {suite_name}");
    }
    cases
}

/// results.json and the JUnit XML say what the table says, test by test.
fn check_reports_agree(dir: &Path, rows: &BTreeMap<String, Row>, strict: &str) {
    let (total, tests) = gradescope(dir);
    let cases = junit(dir);
    assert_eq!(tests.len(), rows.len());
    assert_eq!(cases.len(), rows.len());
    let mut expected_total = 0.0;
    for (test, row) in rows {
        let passed = row.result == "pass";
        let (score, max, status) = &tests[&format!("{} {test}", row.part)];
        assert_eq!(*max, 1.0);
        assert_eq!(*score, if passed { 1.0 } else { 0.0 }, "{test}");
        assert_eq!(status, if passed { "passed" } else { "failed" }, "{test}");
        expected_total += score;
        let (suite, failure) = &cases[test];
        assert_eq!(suite, &row.part);
        match failure {
            None => assert!(passed, "{test}"),
            Some(message) => assert_eq!(Some(message.as_str()), row.result.strip_prefix("FAIL: ")),
        }
    }
    assert_eq!(total, expected_total);
    // Every report states the mode.
    let json: serde_json::Value =
        serde_json::from_str(&read(&dir.join("results.json"))).expect("results.json is JSON");
    let mode = &json["extra_data"]["mode"];
    assert_eq!(
        (mode["isolation"].as_str(), mode["time"].as_str()),
        (Some("in-process"), Some("simulated"))
    );
    assert_eq!(
        (mode["checks"].as_str(), mode["strict"].as_str()),
        (Some("on"), Some(strict))
    );
    assert!(
        mode["seeds"].as_str().is_some_and(|s| s.starts_with("1-")),
        "{mode}"
    );
    let line = json["output"].as_str().expect("output");
    assert!(line.starts_with("mode: isolation in-process,"), "{line}");
    let junit = read(&dir.join("junit.xml"));
    assert!(
        junit.contains(r#"<property name="checks" value="on"/>"#),
        "{junit}"
    );
}

#[test]
#[cfg_attr(madsim, ignore = "runs cargo into target/sim")]
fn the_lab_raft_scores_full_marks_and_the_reports_agree() {
    let dir = fresh_dir("grade-lab");
    // Strict, as a course may ask: the tester's warnings would fail the runs.
    let (output, stdout) = grade(&["--parts", "2A", "--strict"], &dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let rows = table(&stdout);
    let names: Vec<&str> = rows.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["initial_election_2A", "many_elections_2A", "re_election_2A"]
    );
    assert!(
        rows.values()
            .all(|r| r.result == "pass" && r.part == "2A" && r.seconds > 0.0),
        "{stdout}"
    );
    assert!(stdout.contains("3/3 passed"), "{stdout}");
    assert!(stdout.contains("score: 3.00 / 3.00"), "{stdout}");
    assert!(
        stdout.contains("mode: isolation in-process, time simulated, checks on, strict on"),
        "{stdout}"
    );
    check_reports_agree(&dir, &rows, "on");
}

#[test]
#[cfg_attr(madsim, ignore = "runs cargo into target/sim")]
fn misbehaving_rafts_score_zero_with_their_reason() {
    let dir = fresh_dir("grade-fixtures");
    let outside = plant_links(&dir);
    let (output, stdout) = grade(
        &[
            "--package",
            "lab-tools",
            "--test",
            "grade_fixtures",
            "--features",
            "broken-fixture",
            "--parts",
            "2A",
            // The hang is killed 5 s past this; the other runs take a second or two.
            "--time-limit",
            "10",
            "--memory-limit",
            "256",
            "--output-limit",
            "8",
            "--keep",
            "64",
        ],
        &dir,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let rows = table(&stdout);
    // A prefix ending in `(` allows what follows: the hog is killed by the grader's polling,
    // or, on a starved machine, by the rlimit backstop.
    // Each result must start with its text here: some end with what varies (how much
    // memory, which leaders).
    let expected = [
        ("abort_2A", "FAIL: killed by signal 6 (SIGABRT)"),
        // Set off before main, and on all the same: the grader fixes the modes.
        (
            "checks_off_2A",
            "FAIL: election safety: term 1 has 2 (>1) leaders",
        ),
        // Printed raw, the message would redraw the row as a pass.
        (
            "control_chars_2A",
            "FAIL: boom\\rcontrol_chars_2A pass\\u{1b}[2K\\u{1b}[1A",
        ),
        ("correct_2A", "pass"),
        (
            "ctor_thread_2A",
            "FAIL: the tester refused a verdict: run_test not called by libtest",
        ),
        (
            "ctor_verdict_2A",
            "FAIL: the tester refused a verdict: run_test on a thread named",
        ),
        ("escape_2A", "FAIL: exited without a verdict (status 0)"),
        ("exit_2A", "FAIL: exited without a verdict (status 0)"),
        (
            "fake_passed_2A",
            "FAIL: the verdict channel carried 1 line(s) without this run's token",
        ),
        (
            "fork_many_2A",
            "FAIL: process limit (killed past 16 processes)",
        ),
        // The hog and the forks are killed by the grader's polling, or, on a starved
        // machine, the hog by the rlimit backstop.
        ("fork_memory_2A", "FAIL: memory limit ("),
        ("hang_2A", "FAIL: time limit (killed after 15 s)"),
        ("kill_self_2A", "FAIL: killed by signal 9 (SIGKILL)"),
        (
            "logging_2A",
            "FAIL: output limit (killed past 8 MiB of output)",
        ),
        ("memory_2A", "FAIL: memory limit ("),
        ("no_election_2A", "FAIL: passed with 0 RPCs"),
        ("stop_2A", "FAIL: time limit (killed after 15 s)"),
        (
            "swap_verdict_2A",
            "FAIL: the tester refused a verdict: a second run_test in one process",
        ),
    ];
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|(t, r)| (t.as_str(), r.result.as_str()))
        .collect();
    assert_eq!(got.len(), expected.len(), "{stdout}");
    for ((test, result), (want_test, want)) in got.iter().zip(expected) {
        assert_eq!(*test, want_test, "{stdout}");
        assert!(
            result.starts_with(want),
            "{test}: {result:?}, not {want:?}\n{stdout}"
        );
    }
    assert!(stdout.contains("score: 1.00 / 18.00"), "{stdout}");
    assert!(
        !stdout.contains(['\r', '\u{1b}']) && !stderr.contains(['\r', '\u{1b}']),
        "control characters reached the terminal"
    );
    check_reports_agree(&dir, &rows, "off");

    // Every failing run's output is kept where the table says, within the cap.
    for (test, row) in rows.iter().filter(|(_, r)| r.result != "pass") {
        let kept = row
            .kept
            .as_ref()
            .unwrap_or_else(|| panic!("{test} kept nothing"));
        let kept = root().join(kept);
        let size = std::fs::metadata(&kept)
            .map(|m| m.len())
            .unwrap_or_else(|e| panic!("{}: {e}", kept.display()));
        assert!(size < 64 * 1024 + 4096, "{test}: {size} bytes kept");
        // The table escapes control characters; the kept file has the message as it was.
        let kept = lab_tools::grade::table::printable(&read(&kept));
        assert!(
            kept.contains(row.result.trim_start_matches("FAIL: ")),
            "{test}"
        );
    }
    let chatter = read(&root().join(rows["logging_2A"].kept.as_ref().expect("kept")));
    assert!(
        chatter.contains("bytes of output elided by the grader"),
        "{chatter}"
    );
    // The process that left the group was killed once the run ended (the grader is its
    // subreaper), instead of holding the output open, and is gone now; the grader noted it
    // (in the escaping run's kept file, unless another run's sweep found it first).
    assert!(
        !escaped_sleep_alive(),
        "the escaped process outlived the grader"
    );
    let escape = read(&root().join(rows["escape_2A"].kept.as_ref().expect("kept")));
    assert!(!escape.contains("still held its output open"), "{escape}");
    // The fake Passed line is in the output, and counted for nothing.
    let fake = read(&root().join(rows["fake_passed_2A"].kept.as_ref().expect("kept")));
    assert!(fake.contains("... Passed --"), "{fake}");

    // Links planted at the report's and a kept file's paths were replaced, not followed.
    assert_eq!(read(&outside.join("precious")), "precious");
    assert_eq!(
        std::fs::read_dir(outside.join("elsewhere"))
            .map(Iterator::count)
            .ok(),
        Some(0),
        "a kept file was written through a link"
    );
    for planted in [
        dir.join("results.json"),
        dir.join("failed").join("abort_2A"),
    ] {
        let meta = std::fs::symlink_metadata(&planted).expect("there");
        assert!(!meta.file_type().is_symlink(), "{}", planted.display());
    }
}

/// Whether the escape fixture's `sleep 59.8125` still runs.
fn escaped_sleep_alive() -> bool {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .any(|cmdline| cmdline == b"sleep\x0059.8125\x00")
}

/// Links at the paths the grader writes, to files and folders outside its own.
fn plant_links(dir: &Path) -> PathBuf {
    let outside = fresh_dir("grade-outside");
    std::fs::create_dir_all(outside.join("elsewhere")).expect("made");
    std::fs::write(outside.join("precious"), "precious").expect("written");
    std::fs::create_dir_all(dir.join("failed")).expect("made");
    let link = std::os::unix::fs::symlink;
    link(outside.join("precious"), dir.join("results.json")).expect("linked");
    link(
        outside.join("elsewhere"),
        dir.join("failed").join("abort_2A"),
    )
    .expect("linked");
    outside
}

#[test]
#[cfg_attr(madsim, ignore = "runs cargo into target/sim")]
fn a_grade_that_fails_leaves_no_old_report() {
    let dir = fresh_dir("grade-stale");
    std::fs::create_dir_all(&dir).expect("made");
    for report in ["results.json", "junit.xml"] {
        std::fs::write(dir.join(report), "last time's").expect("written");
    }
    let (output, stdout) = grade(&["--parts", "2A,9Z"], &dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    // Refused before anything is built, naming the parts there are.
    assert!(
        stderr
            .contains("no part named \"9Z\"; the parts are 2A, 2B, 2C, 2D, extra, 3A, 3B, 4A, 4B"),
        "{stderr}"
    );
    assert!(!stderr.contains("building"), "{stderr}");
    for report in ["results.json", "junit.xml"] {
        assert!(!dir.join(report).exists(), "{report} left in place");
    }
}

/// `grade --list`'s lines: (part, package, test).
fn listed(args: &[&str]) -> Vec<(String, String, String)> {
    let dir = fresh_dir("grade-list");
    let (output, stdout) = grade(&[args, &["--list"]].concat(), &dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(!dir.join("results.json").exists(), "--list wrote a report");
    stdout
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split(' ').collect();
            assert_eq!(cells.len(), 3, "part, package, test: {line:?}");
            (
                cells[0].to_owned(),
                cells[1].to_owned(),
                cells[2].to_owned(),
            )
        })
        .collect()
}

#[test]
#[cfg_attr(madsim, ignore = "runs cargo into target/sim")]
fn each_part_is_graded_from_its_package_and_a_mixed_list_from_each() {
    // Lab 4's parts from shardctrler and shardkv, lab 3's from kvraft, lab 2's from raft, in
    // any case, in one list (built, not run: a kvraft test takes minutes).
    let lines = listed(&["--parts", "4b,4a,3b,2A,EXTRA"]);
    let count = |part: &str, package: &str| {
        lines
            .iter()
            .filter(|(p, k, t)| p == part && k == package && t.ends_with(&format!("_{part}")))
            .count()
    };
    assert_eq!(count("2A", "raft"), 3, "{lines:?}");
    assert!(count("extra", "raft") >= 1, "{lines:?}");
    assert_eq!(count("3B", "kvraft"), 9, "{lines:?}");
    assert_eq!(count("4A", "shardctrler"), 2, "{lines:?}");
    assert_eq!(count("4B", "shardkv"), 14, "{lines:?}");
    assert_eq!(
        lines.len(),
        count("2A", "raft")
            + count("extra", "raft")
            + count("3B", "kvraft")
            + count("4A", "shardctrler")
            + count("4B", "shardkv"),
        "a test of another part, or from the wrong package: {lines:?}"
    );
    // raft's binary first, then kvraft's, shardctrler's, shardkv's.
    let packages: Vec<&str> = lines.iter().map(|(_, k, _)| k.as_str()).collect();
    let mut in_order = packages.clone();
    in_order.sort_by_key(|k| {
        ["raft", "kvraft", "shardctrler", "shardkv"]
            .iter()
            .position(|p| p == k)
    });
    assert_eq!(packages, in_order, "{lines:?}");

    // The default is lab 2's four parts, all from raft.
    let default = listed(&[]);
    let parts: std::collections::BTreeSet<&str> =
        default.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        parts.into_iter().collect::<Vec<_>>(),
        ["2A", "2B", "2C", "2D"]
    );
    assert!(default.iter().all(|(_, k, _)| k == "raft"), "{default:?}");

    // An explicit --package grades every part from it: raft has no 3A.
    let dir = fresh_dir("grade-package");
    let (output, stdout) = grade(&["--package", "raft", "--parts", "3A", "--list"], &dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("no test of part 3A"), "{stderr}");
    assert!(
        stderr.contains("-p raft") && !stderr.contains("-p kvraft"),
        "{stderr}"
    );
}

#[test]
fn the_channel_variable_is_the_testers() {
    assert_eq!(lab_tools::grade::child::FDS_VAR, tester::grade::FDS_VAR);
}
