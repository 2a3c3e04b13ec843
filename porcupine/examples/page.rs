//! Writes the page for one of porcupine's kv histories, to look at a large one.
//!
//! cargo run --release -p porcupine --example page -- c50-bad /tmp/c50-bad.html

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::Duration;

use porcupine::models::kv::KvModel;
use porcupine::{check_events_verbose, visualize_path};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, out] = args.as_slice() else {
        eprintln!("usage: page <c01-ok|c01-bad|c10-ok|c10-bad|c50-ok|c50-bad> <out.html>");
        std::process::exit(2);
    };
    let events = common::parse_kv_log(&common::kv_path(name));
    // A budget: a verbose check of c50-bad would search one key for minutes.
    let (result, info) = check_events_verbose(&KvModel, &events, Some(Duration::from_secs(5)));
    visualize_path(&KvModel, &info, &[], Path::new(out))?;
    println!(
        "{name}: {result:?}, {} partitions, page in {out}",
        info.partitions().len()
    );
    Ok(())
}
