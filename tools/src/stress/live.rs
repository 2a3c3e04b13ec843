//! The live view: a progress bar under the table, whose rows are redrawn as runs end.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::stress::table::{self, Row};

/// The progress bar under a table whose rows are redrawn as runs end.
pub struct LiveTable {
    _multi: MultiProgress,
    header: ProgressBar,
    rows: Vec<ProgressBar>,
    progress: ProgressBar,
    width: usize,
}

impl LiveTable {
    pub fn new(rows: &[Row], total: usize) -> LiveTable {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let width = table::test_width(rows);
        let text =
            ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_bar());
        let header = multi.add(ProgressBar::new(0).with_style(text.clone()));
        header.set_message(table::header(width));
        let bars = rows
            .iter()
            .map(|row| {
                let bar = multi.add(ProgressBar::new(0).with_style(text.clone()));
                bar.set_message(table::line(row, width));
                bar
            })
            .collect();
        let style = ProgressStyle::with_template(
            "[{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} runs, {msg} (eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let progress = multi.add(ProgressBar::new(total as u64).with_style(style));
        progress.set_message("0 failed");
        LiveTable {
            _multi: multi,
            header,
            rows: bars,
            progress,
            width,
        }
    }

    pub fn update(&self, rows: &[Row], index: usize) {
        if let Some(bar) = self.rows.get(index) {
            bar.set_message(table::line(&rows[index], self.width));
        }
        let failed: usize = rows.iter().map(|r| r.failures).sum();
        self.progress.set_message(format!("{failed} failed"));
        self.progress.inc(1);
    }

    pub fn println(&self, line: &str) {
        self.progress.suspend(|| eprintln!("{line}"));
    }

    pub fn finish(&self) {
        self.header.finish_and_clear();
        for bar in &self.rows {
            bar.finish_and_clear();
        }
        self.progress.finish_and_clear();
    }
}
