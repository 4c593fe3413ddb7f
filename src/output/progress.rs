//! Progress bars on stderr (migration steps, the seed loader's tables), hidden under `--quiet` and where
//! stderr cannot redraw a line (not a terminal, or `TERM=dumb`; see `terminal.rs`).

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::Output;
use crate::seed::load::progress::{LoadProgress, TableProgress};

/// A bar counting `len` steps, each labelled by its message.
pub fn steps(out: &Output, len: usize) -> ProgressBar {
    if !out.shows_progress() || len == 0 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
            .expect("valid progress template")
            .progress_chars("=> "),
    );
    bar
}

/// Moves a [`steps`] bar to step `i` of `total` (the plan may be shorter than the bar's first guess).
pub fn step(bar: &ProgressBar, i: usize, total: usize, message: String) {
    bar.set_length(total as u64);
    bar.set_position(i as u64);
    bar.set_message(message);
}

/// The seed loader's progress on stderr: one bar per table under a shared `MultiProgress` (rows loaded,
/// rows per second), status lines, and `--verbose` timing lines.
pub struct SeedProgress<'a> {
    out: &'a Output,
    multi: MultiProgress,
}

impl<'a> SeedProgress<'a> {
    pub fn new(out: &'a Output) -> Self {
        Self { out, multi: MultiProgress::new() }
    }
}

impl LoadProgress for SeedProgress<'_> {
    fn status(&self, message: &str) {
        self.out.status(message);
    }

    fn detail(&self, message: &str) {
        self.out.detail(message);
    }

    fn table(&self, table: &str, rows: Option<u64>) -> Box<dyn TableProgress + '_> {
        Box::new(TableBar(rows_bar(self.out, &self.multi, table, rows)))
    }
}

struct TableBar(ProgressBar);

impl TableProgress for TableBar {
    fn sent(&self, rows: u64) {
        self.0.set_position(rows);
    }

    fn finish(&self) {
        self.0.finish();
    }
}

/// A table's bar: rows loaded of `len` (a spinner when unknown), rows per second.
fn rows_bar(out: &Output, multi: &MultiProgress, table: &str, len: Option<u64>) -> ProgressBar {
    if !out.shows_progress() {
        return ProgressBar::hidden();
    }
    let len = len.filter(|&n| n > 0);
    let bar = multi.add(len.map_or_else(ProgressBar::no_length, ProgressBar::new));
    let template = if len.is_none() {
        "{prefix:32} {spinner} {human_pos} rows, {rate} ({elapsed})"
    } else {
        "{prefix:32} [{bar:30}] {human_pos}/{human_len} rows, {rate} ({elapsed})"
    };
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a rate is never negative; `as` saturates"
    )]
    let rate = |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(w, "{} rows/s", indicatif::HumanCount(s.per_sec() as u64));
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid progress template")
            .with_key("rate", rate)
            .progress_chars("=> "),
    );
    bar.set_prefix(table.to_string());
    bar
}
