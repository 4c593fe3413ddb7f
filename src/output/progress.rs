//! Progress bars on stderr, hidden when stderr is not a terminal or under `--quiet`.

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
