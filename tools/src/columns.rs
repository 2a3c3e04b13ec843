//! The terminal view: one column per peer, lines that name no peer in a first column, each
//! line colored by its topic.

use anstyle::{AnsiColor, Style};

use crate::logline::{without_peer, Log, LogLine};

/// Which lines to show.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Topics, by prefix (`raft` keeps `raft::election`); empty keeps all.
    pub topics: Vec<String>,
    /// Peers whose columns to show; empty shows all. Lines that name no peer (the tester's)
    /// are always shown.
    pub peers: Vec<usize>,
    pub from: Option<f64>,
    pub to: Option<f64>,
}

impl Filter {
    pub fn keeps(&self, line: &LogLine) -> bool {
        let topic = self.topics.is_empty()
            || self
                .topics
                .iter()
                .any(|topic| line.target.starts_with(topic.as_str()));
        let peer = match line.peer {
            Some(peer) => self.peers.is_empty() || self.peers.contains(&peer),
            None => true,
        };
        let time =
            self.from.is_none_or(|from| line.at >= from) && self.to.is_none_or(|to| line.at <= to);
        topic && peer && time
    }
}

/// Width of the time column and its gap.
const TIME_WIDTH: usize = 12;

/// Renders the lines `filter` keeps as columns in `width` characters, with ANSI colors
/// (anstream strips them when the output is not a terminal).
pub fn render(log: &Log, filter: &Filter, width: usize) -> String {
    let peers: Vec<usize> = (0..log.peers())
        .filter(|p| filter.peers.is_empty() || filter.peers.contains(p))
        .collect();
    let columns = peers.len() + 1;
    let column_width = (width.saturating_sub(TIME_WIDTH) / columns).max(12);
    let mut out = String::new();
    let mut header = format!("{:>w$}", "secs ", w = TIME_WIDTH);
    header.push_str(&pad("tester / other", column_width));
    for peer in &peers {
        header.push_str(&pad(&format!("S{peer}"), column_width));
    }
    let bold = Style::new().bold().underline();
    out.push_str(&format!("{bold}{}{bold:#}\n", header.trim_end()));
    for line in log.lines.iter().filter(|line| filter.keeps(line)) {
        let column = match line.peer {
            Some(peer) => peers.iter().position(|p| *p == peer).map_or(0, |i| i + 1),
            None => 0,
        };
        let text = match line.peer {
            Some(_) => without_peer(line),
            None => &line.message,
        };
        let style = topic_style(&line.target, &line.level);
        out.push_str(&format!(
            "{:>w$.6}  {}{style}{}{style:#}\n",
            line.at,
            " ".repeat(column * column_width),
            // One line per row: the text may run on over the columns to its right.
            clip(
                text,
                width
                    .saturating_sub(TIME_WIDTH + column * column_width)
                    .max(column_width)
            ),
            w = TIME_WIDTH - 2,
        ));
    }
    if let Some(failure) = &log.failure {
        let red = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
        out.push_str(&format!(
            "{red}{:>w$.6}  FAILED: {} ({}){red:#}\n",
            failure.at,
            failure.message,
            failure.location,
            w = TIME_WIDTH - 2
        ));
    }
    out
}

/// The topics, in the order they first appear, with their style: a legend.
pub fn legend(log: &Log) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for line in &log.lines {
        if !seen.contains(&line.target.as_str()) {
            seen.push(&line.target);
        }
    }
    seen.iter()
        .map(|topic| {
            let style = topic_style(topic, "INFO");
            format!("{style}{topic}{style:#}")
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// A fixed color per topic (the same in every run), bold for errors and warnings.
pub fn topic_style(topic: &str, level: &str) -> Style {
    const PALETTE: [AnsiColor; 6] = [
        AnsiColor::Cyan,
        AnsiColor::Green,
        AnsiColor::Yellow,
        AnsiColor::Magenta,
        AnsiColor::Blue,
        AnsiColor::BrightBlack,
    ];
    let color = match topic {
        "tester" => AnsiColor::BrightWhite,
        _ if topic.ends_with("apply") => AnsiColor::BrightBlue,
        _ => PALETTE[stable_hash(topic) % PALETTE.len()],
    };
    let style = Style::new().fg_color(Some(color.into()));
    match level {
        "ERROR" | "WARN" => style.bold().fg_color(Some(AnsiColor::Red.into())),
        _ => style,
    }
}

/// FNV-1a: std's hasher is seeded per process, and colors should not change between runs.
pub fn stable_hash(text: &str) -> usize {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    }) as usize
}

fn pad(text: &str, width: usize) -> String {
    format!("{:<width$}", clip(text, width.saturating_sub(1)))
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(width.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_the_width() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }

    #[test]
    fn filters_keep_topics_by_prefix_peers_and_times() {
        let log = Log::parse(
            "   0.100000 DEBUG raft::election   S0 T1: election timeout, standing\n\
             \x20  0.200000 INFO  tester           check_one_leader: S0 in T1\n\
             \x20  0.300000 DEBUG labrpc           abc Raft.Vote: reply dropped\n",
        );
        let kept = |filter: &Filter| log.lines.iter().filter(|l| filter.keeps(l)).count();
        let topics = Filter {
            topics: vec!["raft".into()],
            ..Filter::default()
        };
        assert_eq!(kept(&topics), 1);
        let peers = Filter {
            peers: vec![1],
            ..Filter::default()
        };
        assert_eq!(kept(&peers), 2);
        let times = Filter {
            from: Some(0.15),
            to: Some(0.25),
            ..Filter::default()
        };
        assert_eq!(kept(&times), 1);
    }
}
