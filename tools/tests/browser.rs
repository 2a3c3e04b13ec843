//! The timeline page in a real browser: headless Chromium renders it, runs its script without
//! an error, and takes a screenshot. Skipped, saying so, when no Chromium is installed.

use std::path::Path;
use std::process::Command;

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

#[test]
fn the_page_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium on PATH (apt-get install chromium) to render the page");
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let page = dir.join("browser-two-leaders.html");
    let shot = dir.join("browser-two-leaders.png");
    let _ = std::fs::remove_file(&shot);
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/two_leaders.log");
    let made = Command::new(env!("CARGO_BIN_EXE_logs"))
        .arg("--html")
        .arg(&page)
        .arg(&log)
        .status()
        .expect("logs runs");
    assert!(made.success());
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--window-size=1400,900",
        ])
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
    // The IHDR chunk: width and height, big-endian, at bytes 16..24.
    let size = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    assert_eq!((size(16), size(20)), (1400, 900));
    // A blank page compresses to almost nothing.
    assert!(
        png.len() > 20_000,
        "the screenshot looks empty ({} bytes)",
        png.len()
    );
    eprintln!("screenshot: {}", shot.display());
}
