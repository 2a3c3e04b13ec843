//! The timeline page: one self-contained HTML file (inline CSS, JS and SVG, nothing fetched)
//! with a lane per peer, and the log beneath it.

use std::fmt::Write;

use crate::columns::stable_hash;
use crate::logline::Log;
use crate::timeline::{Outage, Timeline};

const LEFT: f64 = 70.0;
/// The plot is at least this wide, and wider for long runs, to keep events apart.
const MIN_PLOT: f64 = 1200.0;
const PX_PER_SEC: f64 = 150.0;
const TOP: f64 = 78.0;
const LANE: f64 = 54.0;
const BAND: f64 = 24.0;

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Renders the page for `log`, titled `title` (the file's name).
pub fn render(log: &Log, title: &str) -> String {
    let timeline = Timeline::from_log(log);
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title} — Raft timeline</title><style>{STYLE}</style></head><body>\n\
         <h1>{title}</h1>\n",
        title = esc(title)
    );
    page.push_str(&summary(log, &timeline));
    page.push_str(
        "<p class=\"hint\">Hover a mark for its line; click it to find the line in the log \
         below.</p>\n<div id=\"plot\">",
    );
    page.push_str(&svg(&timeline));
    page.push_str("</div>\n");
    page.push_str(LEGEND);
    page.push_str(&log_table(log));
    let _ = write!(page, "<script>{SCRIPT}</script>\n</body></html>\n");
    page
}

fn summary(log: &Log, timeline: &Timeline) -> String {
    let mut out = String::new();
    if let Some(description) = &log.description {
        let _ = writeln!(out, "<p class=\"description\">{}</p>", esc(description));
    }
    out.push_str("<p class=\"summary\">");
    let _ = write!(
        out,
        "{} peers, {:.3} s, {} log lines, {} elections won",
        timeline.lanes.len(),
        timeline.end,
        log.lines.len(),
        timeline.elections.len()
    );
    if let Some(seed) = log.seed {
        let _ = write!(out, ", seed {seed}");
    }
    out.push_str("</p>\n");
    match &timeline.failure {
        Some(f) => {
            let _ = writeln!(
                out,
                "<p class=\"failed\">FAILED at {:.6} s: <b>{}</b> <span>({})</span></p>",
                f.at,
                esc(&f.message),
                esc(&f.location)
            );
        }
        None => out.push_str("<p class=\"passed\">no failure in this log</p>\n"),
    }
    out
}

fn svg(t: &Timeline) -> String {
    let end = if t.end > 0.0 { t.end } else { 1.0 };
    let plot = (end * PX_PER_SEC).max(MIN_PLOT);
    let x = |at: f64| LEFT + at / end * plot;
    let height = TOP + LANE * t.lanes.len() as f64 + 10.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" \
         height=\"{height}\">{DEFS}",
        w = LEFT + plot + 20.0
    );
    // Time axis.
    let step = tick_step(end);
    let mut tick = 0.0;
    while tick <= end + 1e-9 {
        let _ = write!(
            s,
            "<line class=\"tick\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"16\" y2=\"{height}\"/>\
             <text class=\"axis\" x=\"{0:.1}\" y=\"12\">{1}s</text>",
            x(tick),
            trim_float(tick)
        );
        tick += step;
    }
    let _ = write!(s, "<text class=\"rowname\" x=\"4\" y=\"36\">tester</text>");
    let _ = write!(s, "<text class=\"rowname\" x=\"4\" y=\"62\">leaders</text>");
    for check in &t.checks {
        let failed = check.text.starts_with("failed");
        let _ = write!(
            s,
            "<g class=\"check{class}\" data-line=\"{line}\"><title>{at:.6} {text}</title>\
             <line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"40\" y2=\"{height}\"/>\
             <path d=\"M{x:.1} 26 l5 6 l-5 6 l-5 -6 z\"/></g>",
            class = if failed { " failedcheck" } else { "" },
            line = check.line_no,
            at = check.at,
            x = x(check.at),
            text = esc(&check.text),
        );
    }
    for election in &t.elections {
        let _ = write!(
            s,
            "<g class=\"election\" data-line=\"{line}\"><title>{at:.6} {text}</title>\
             <path d=\"M{x:.1} 66 l-5 -10 l10 0 z\"/></g>",
            line = election.line_no,
            at = election.at,
            text = esc(&election.text),
            x = x(election.at)
        );
    }
    // Labels of elections close together share one, so that they do not overprint.
    let mut labels: Vec<(f64, String)> = Vec::new();
    for election in &t.elections {
        let at = x(election.at);
        let label = election.text.replace(" leader in ", " ");
        match labels.last_mut() {
            Some((first, text)) if at - *first < 12.0 * text.len() as f64 / 2.0 + 10.0 => {
                text.push_str(", ");
                text.push_str(&label);
            }
            _ => labels.push((at, label)),
        }
    }
    for (at, text) in labels {
        let _ = write!(
            s,
            "<text class=\"electionlabel\" x=\"{:.1}\" y=\"65\">{}</text>",
            at + 6.0,
            esc(&text)
        );
    }
    for (peer, lane) in t.lanes.iter().enumerate() {
        let top = TOP + LANE * peer as f64;
        let _ = write!(
            s,
            "<g class=\"lane\" data-lane=\"S{peer}\"><text class=\"lanename\" x=\"8\" y=\"{:.1}\">S{peer}</text>",
            top + BAND * 0.7
        );
        for span in &lane.spans {
            let (x0, x1) = (x(span.from), x(span.to));
            let _ = write!(
                s,
                "<rect class=\"span {role}\" data-term=\"{term}\" x=\"{x0:.2}\" y=\"{top:.1}\" \
                 width=\"{w:.2}\" height=\"{BAND}\"><title>S{peer} {role} in T{term}, \
                 {from:.3}–{to:.3} s</title></rect>",
                role = span.role.name(),
                term = span.term,
                w = (x1 - x0).max(0.5),
                from = span.from,
                to = span.to,
            );
            if x1 - x0 > 22.0 {
                let _ = write!(
                    s,
                    "<text class=\"term\" x=\"{:.1}\" y=\"{:.1}\">T{}</text>",
                    x0 + 3.0,
                    top + BAND * 0.7,
                    span.term
                );
            }
        }
        for shade in &lane.shades {
            let kind = match shade.kind {
                Outage::Disconnected => "disconnected",
                Outage::Crashed => "crashed",
            };
            let _ = write!(
                s,
                "<rect class=\"shade {kind}\" x=\"{:.2}\" y=\"{:.1}\" width=\"{:.2}\" \
                 height=\"{:.1}\"><title>S{peer} {kind}, {:.3}–{:.3} s</title></rect>",
                x(shade.from),
                top - 2.0,
                (x(shade.to) - x(shade.from)).max(0.5),
                LANE - 8.0,
                shade.from,
                shade.to
            );
        }
        for mark in &lane.marks {
            // One row of ticks per kind, under the role band.
            let row = match mark.kind.name() {
                "rpc" => 0.0,
                "apply" => 8.0,
                _ => 16.0,
            };
            let _ = write!(
                s,
                "<rect class=\"mark {}\" data-line=\"{}\" x=\"{:.2}\" y=\"{:.1}\" width=\"2\" \
                 height=\"7\"><title>{:.6} {}</title></rect>",
                mark.kind.name(),
                mark.line_no,
                x(mark.at) - 1.0,
                top + BAND + 3.0 + row,
                mark.at,
                esc(&mark.text)
            );
        }
        s.push_str("</g>");
    }
    if let Some(f) = &t.failure {
        let _ = write!(
            s,
            "<g class=\"failure\" data-line=\"{line}\"><title>FAILED: {text} ({place})</title>\
             <line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"16\" y2=\"{height}\"/>\
             <text x=\"{tx:.1}\" y=\"36\">✗ {text}</text></g>",
            line = f.line_no,
            text = esc(&f.message),
            place = esc(&f.location),
            x = x(f.at),
            tx = x(f.at) - 4.0,
        );
    }
    s.push_str("</svg>");
    s
}

const DEFS: &str = "<defs>\
<pattern id=\"hatch-disconnected\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\" fill-opacity=\"0.35\"/>\
<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#555\" stroke-width=\"2\"/></pattern>\
<pattern id=\"hatch-crashed\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
patternTransform=\"rotate(-45)\"><rect width=\"6\" height=\"6\" fill=\"#300\" fill-opacity=\"0.55\"/>\
<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#000\" stroke-width=\"3\"/></pattern></defs>";

const LEGEND: &str = "<div class=\"legend\">\
<span><i class=\"sw follower\"></i>follower</span>\
<span><i class=\"sw candidate\"></i>candidate</span>\
<span><i class=\"sw leader\"></i>leader</span>\
<span><i class=\"sw disconnected\"></i>disconnected</span>\
<span><i class=\"sw crashed\"></i>crashed</span>\
<span><i class=\"tk rpc\"></i>RPC</span>\
<span><i class=\"tk apply\"></i>apply / commit</span>\
<span><i class=\"tk other\"></i>other line</span>\
<span class=\"dia\">◆</span> tester check \
<span class=\"tri\">▼</span> leader elected \
<span class=\"red\">│</span> failure</div>\n";

fn log_table(log: &Log) -> String {
    let mut out = String::from(
        "<h2>Log</h2><input id=\"filter\" placeholder=\"filter lines (text or topic)\">\n\
         <table id=\"log\"><thead><tr><th>secs</th><th>topic</th><th>peer</th><th>message</th>\
         </tr></thead><tbody>\n",
    );
    let failure_row = |out: &mut String| {
        if let Some(f) = &log.failure {
            let _ = writeln!(
                out,
                "<tr id=\"l{}\" class=\"failrow\"><td>{:.6}</td><td>panic</td><td></td>\
                 <td>{} ({})</td></tr>",
                f.line_no,
                f.at,
                esc(&f.message),
                esc(&f.location)
            );
        }
    };
    let mut failure_shown = false;
    for line in &log.lines {
        if !failure_shown
            && log
                .failure
                .as_ref()
                .is_some_and(|f| f.line_no < line.line_no)
        {
            failure_row(&mut out);
            failure_shown = true;
        }
        let hue = stable_hash(&line.target) % 360;
        let _ = writeln!(
            out,
            "<tr id=\"l{}\" class=\"{}\"><td>{:.6}</td><td style=\"color:hsl({hue},65%,35%)\">{}</td>\
             <td>{}</td><td>{}</td></tr>",
            line.line_no,
            line.level.to_lowercase(),
            line.at,
            esc(&line.target),
            line.peer.map(|p| format!("S{p}")).unwrap_or_default(),
            esc(&line.message)
        );
    }
    if !failure_shown {
        failure_row(&mut out);
    }
    out.push_str("</tbody></table>\n");
    out
}

/// A tick spacing that gives at most about 20 ticks.
fn tick_step(end: f64) -> f64 {
    [
        0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0,
    ]
    .into_iter()
    .find(|step| end / step <= 20.0)
    .unwrap_or(120.0)
}

fn trim_float(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
    }

    #[test]
    fn ticks_stay_few() {
        assert_eq!(tick_step(4.0), 0.2);
        assert_eq!(tick_step(35.0), 2.0);
        assert_eq!(trim_float(1.5), "1.5");
        assert_eq!(trim_float(2.0), "2");
    }
}
