//! The page: self-contained, safe with any text in it, and (when Chromium is installed)
//! rendered in headless Chromium without a script error, with the linearization and the
//! operation that cannot be linearized drawn.

use std::path::Path;
use std::process::Command;

use porcupine::models::kv::{KvInput, KvModel, KvOp, KvOutput};
use porcupine::{
    check_operations_verbose, visualize, visualize_path, Annotation, CheckResult, Operation,
};

const MS: i64 = 1_000_000;

fn kv(
    client_id: usize,
    op: KvOp,
    key: &str,
    value: &str,
    call: i64,
    output: &str,
    return_time: i64,
) -> Operation<KvInput, KvOutput> {
    Operation {
        client_id,
        input: KvInput {
            op,
            key: key.into(),
            value: value.into(),
        },
        call: call * MS,
        output: KvOutput {
            value: output.into(),
        },
        return_time: return_time * MS,
    }
}

/// Four clients on two keys; on key "x" a get misses an append that returned before it was
/// called (a stale read from a partitioned leader).
fn illegal_history() -> Vec<Operation<KvInput, KvOutput>> {
    use KvOp::{Append, Get, Put};
    vec![
        kv(0, Put, "x", "a", 0, "", 10),
        kv(1, Append, "x", "b", 12, "", 30),
        kv(2, Get, "x", "", 14, "a", 26),
        kv(3, Put, "y", "1", 5, "", 9),
        kv(3, Get, "y", "", 20, "1", 24),
        kv(0, Append, "x", "c", 32, "", 40),
        kv(2, Get, "x", "", 42, "abc", 50),
        kv(1, Get, "x", "", 44, "ac", 60),
        kv(3, Append, "y", "2", 30, "", 52),
        kv(0, Get, "y", "", 54, "12", 58),
    ]
}

fn annotations() -> Vec<Annotation> {
    vec![
        Annotation {
            client_id: None,
            tag: "tester".into(),
            start: 28 * MS,
            end: 48 * MS,
            description: "partition: leader 2 cut off".into(),
            details: "servers {2} | {0, 1, 3, 4}".into(),
            background_color: Some("#f5d0d0".into()),
            ..Annotation::default()
        },
        Annotation {
            client_id: None,
            tag: "server 2".into(),
            start: 10 * MS,
            end: 10 * MS,
            description: "leader, term 3".into(),
            ..Annotation::default()
        },
        Annotation {
            client_id: Some(1),
            start: 40 * MS,
            end: 41 * MS,
            description: "retry".into(),
            ..Annotation::default()
        },
    ]
}

fn page() -> String {
    let (result, info) = check_operations_verbose(&KvModel, &illegal_history(), None);
    assert_eq!(result, CheckResult::Illegal);
    let mut out = Vec::new();
    visualize(&KvModel, &info, &annotations(), &mut out).expect("writing to memory");
    String::from_utf8(out).expect("the page is UTF-8")
}

#[test]
fn the_page_is_one_self_contained_file() {
    let html = page();
    assert!(html.starts_with("<!doctype html>"));
    for outside in ["<script src", "<link", "@import", "url(http", "fetch("] {
        assert!(!html.contains(outside), "the page loads {outside}");
    }
    assert!(html.contains("function render("), "the script is inline");
    assert!(html.contains("#tooltip"), "the style is inline");
    assert!(
        html.contains("get('x') -> 'ac'"),
        "operations are described by the model"
    );
    assert!(
        html.contains("partition: leader 2 cut off"),
        "annotations are in"
    );
    assert!(!html.contains("/*DATA*/"), "the data replaced its marker");
}

#[test]
fn text_in_the_history_cannot_end_the_script() {
    let history = vec![kv(
        0,
        KvOp::Put,
        "</script><script>alert(1)</script>",
        "v",
        0,
        "",
        1,
    )];
    let (_, info) = check_operations_verbose(&KvModel, &history, None);
    let mut out = Vec::new();
    visualize(&KvModel, &info, &[], &mut out).expect("writing to memory");
    let html = String::from_utf8(out).expect("UTF-8");
    assert_eq!(
        html.matches("</script>").count(),
        2,
        "only the page's own two scripts end"
    );
    assert!(html.contains("\\u003c/script>"));
}

#[test]
fn the_page_carries_every_partition_and_its_longest_prefix() {
    let (_, info) = check_operations_verbose(&KvModel, &illegal_history(), None);
    let results: Vec<CheckResult> = info.partitions().iter().map(|p| p.result).collect();
    assert_eq!(results, vec![CheckResult::Illegal, CheckResult::Ok]);
    let x = &info.partitions()[0];
    // put a, then the get of "a": the append of b returned before the get of "abc"...
    assert!(x.partial_linearizations[0].len() < x.operations.len());
    let html = page();
    assert!(html.contains("\"result\":\"Illegal\""));
    assert!(
        html.contains("\"state\":\"'ab'\""),
        "states after each step are in the data"
    );
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

fn headless(browser: &str) -> Command {
    let mut command = Command::new(browser);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--window-size=1400,700",
    ]);
    command
}

#[test]
fn the_page_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium on PATH (apt-get install chromium) to render the page");
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let page = dir.join("porcupine-illegal.html");
    let shot = dir.join("porcupine-illegal.png");
    let _ = std::fs::remove_file(&shot);
    let (_, info) = check_operations_verbose(&KvModel, &illegal_history(), None);
    visualize_path(&KvModel, &info, &annotations(), &page).expect("writing the page");

    let dom = headless(browser)
        .args(["--virtual-time-budget=2000", "--dump-dom"])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&dom.stderr);
    assert!(dom.status.success(), "{stderr}");
    assert!(
        !stderr.contains("Uncaught"),
        "the page's script failed:\n{stderr}"
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("id=\"timeline\""), "the timeline was drawn");
    assert!(
        dom.contains("class=\"lp\""),
        "linearization points were drawn"
    );
    assert!(
        dom.contains("class=\"illegal-point\""),
        "the operation that cannot be linearized is marked"
    );
    assert!(dom.contains("op illegal-next"), "its bar is marked");
    assert!(dom.contains("Linearizability check: Illegal"));
    assert!(
        dom.contains(">server 2<") && dom.contains(">tester<"),
        "annotation lanes"
    );
    assert!(
        dom.contains("#0: Illegal, 6 operations"),
        "the partition chooser"
    );

    let output = headless(browser)
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        !stderr.contains("Uncaught"),
        "the page's script failed:\n{stderr}"
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let size = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    assert_eq!((size(16), size(20)), (1400, 700));
    assert!(
        png.len() > 20_000,
        "the screenshot looks empty ({} bytes)",
        png.len()
    );
    eprintln!("screenshot: {}", shot.display());
}

/// The jump button brings the timeline's first illegal operation into view (the legend
/// shows the same mark, which once drew the jump to itself), in a window too narrow to
/// show it at first.
#[test]
fn the_jump_button_shows_the_timelines_illegal_operation() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium on PATH (apt-get install chromium) to render the page");
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let page = dir.join("porcupine-jump.html");
    let (_, info) = check_operations_verbose(&KvModel, &illegal_history(), None);
    visualize_path(&KvModel, &info, &annotations(), &page).expect("writing the page");
    // After the page's own script: where the mark is before and after a click, in the
    // window's coordinates, written where --dump-dom shows it.
    let probe = "<script>window.addEventListener('load', () => {
        const mark = document.querySelector('#timeline .illegal-point')
        const place = () => { const r = mark.getBoundingClientRect(); return `${Math.round(r.left)}` }
        const before = place()
        document.querySelector('#jump').click()
        document.body.dataset.marks = `${before} ${place()} ${window.innerWidth}`
    })</script>";
    let html = std::fs::read_to_string(&page).expect("reading the page");
    std::fs::write(&page, format!("{html}{probe}")).expect("writing the probe");

    let dom = headless(browser)
        .args([
            "--window-size=320,400",
            "--virtual-time-budget=2000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&dom.stderr);
    assert!(dom.status.success(), "{stderr}");
    let dom = String::from_utf8_lossy(&dom.stdout);
    let marks: Vec<i64> = dom
        .split("data-marks=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the probe ran")
        .split(' ')
        .map(|n| n.parse().expect("a number"))
        .collect();
    let [before, after, width] = marks[..] else {
        panic!("three numbers: {marks:?}");
    };
    assert!(before > width, "the mark starts out of view: {marks:?}");
    assert!(
        (0..width).contains(&after),
        "the jump brings it into view: {marks:?}"
    );
}
