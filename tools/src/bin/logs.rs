//! `logs`: a run's log as columns, one per peer, or as a timeline page.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use lab_tools::columns::{self, Filter};
use lab_tools::html;
use lab_tools::logline::Log;

/// Shows a run's log (what LAB_LOG=... writes to stderr) as a timeline: one column per peer
/// (S0, S1, ...), lines that name no peer in the first, colored by topic. With --html, writes
/// one self-contained page instead: a lane per peer with its role and term over time.
#[derive(Parser, Debug)]
#[command(name = "logs", version)]
struct Args {
    /// The log file (a run's stderr, or a file `stress` kept).
    file: PathBuf,

    /// Write the timeline page to this file instead of printing columns.
    #[arg(long, value_name = "OUT.html")]
    html: Option<PathBuf>,

    /// Only these topics, by prefix (`raft` keeps `raft::election`); repeatable.
    #[arg(long)]
    topic: Vec<String>,

    /// Only these peers' columns (0 for S0); repeatable. The tester's lines stay.
    #[arg(long)]
    peer: Vec<usize>,

    /// Only lines at or after this time, in seconds.
    #[arg(long, value_name = "SECS")]
    from: Option<f64>,

    /// Only lines at or before this time, in seconds.
    #[arg(long, value_name = "SECS")]
    to: Option<f64>,

    /// Width of the output in characters. Default: the terminal's, else 160.
    #[arg(long)]
    width: Option<usize>,
}

fn main() {
    if let Err(error) = run(Args::parse()) {
        eprintln!("logs: {error:#}");
        std::process::exit(2);
    }
}

fn run(args: Args) -> Result<()> {
    let log = Log::read(&args.file)?;
    if let Some(out) = &args.html {
        let title = args.file.file_name().map_or_else(
            || args.file.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        std::fs::write(out, html::render(&log, &title))
            .with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!("logs: wrote {}", out.display());
        return Ok(());
    }
    if log.lines.is_empty() {
        eprintln!(
            "logs: no log lines in {} (was LAB_LOG set for that run?)",
            args.file.display()
        );
    }
    let filter = Filter {
        topics: args.topic,
        peers: args.peer,
        from: args.from,
        to: args.to,
    };
    let width = args.width.unwrap_or_else(|| {
        let (_, columns) = console::Term::stdout().size_checked().unwrap_or((0, 160));
        usize::from(columns)
    });
    let mut out = anstream::stdout().lock();
    let text = columns::render(&log, &filter, width);
    // A closed pipe (`logs ... | head`) is not an error worth reporting.
    if out.write_all(text.as_bytes()).is_err() {
        return Ok(());
    }
    let _ = writeln!(out, "topics: {}", columns::legend(&log));
    Ok(())
}
