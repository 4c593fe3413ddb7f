//! Progress bars on stderr, hidden under `--quiet` and where stderr cannot redraw a line (not a terminal, or
//! `TERM=dumb`; see `terminal.rs`).

use indicatif::{ProgressBar, ProgressStyle};

use super::Output;

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

/// One bar per table under a shared `MultiProgress`: rows loaded, rows per second.
pub fn rows(out: &Output, multi: &indicatif::MultiProgress, table: &str, len: u64) -> ProgressBar {
    if !out.shows_progress() {
        return ProgressBar::hidden();
    }
    let bar = multi.add(if len == 0 { ProgressBar::no_length() } else { ProgressBar::new(len) });
    let template = if len == 0 {
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
