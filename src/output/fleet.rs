//! The one progress bar of a fleet run, on stderr: members done of total, and failures so far. Hidden like
//! every bar (`--quiet`, or a stderr that cannot redraw a line; see `progress.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use super::Output;

/// The bar and the failure count it shows; shared by the worker threads.
pub struct FleetProgress {
    bar: ProgressBar,
    failures: AtomicUsize,
}

impl FleetProgress {
    pub fn new(out: &Output, fleet: &str, total: usize) -> Self {
        let bar = if out.shows_progress() && total > 0 {
            let bar = ProgressBar::new(total as u64).with_prefix(fleet.to_string()).with_message("0 failed");
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} fleet {prefix} [{bar:30}] {pos}/{len} members, {msg} ({elapsed})",
                )
                .expect("valid progress template")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        } else {
            ProgressBar::hidden()
        };
        Self { bar, failures: AtomicUsize::new(0) }
    }

    /// One member ended; `failed` when it did not end well.
    pub fn member_done(&self, failed: bool) {
        let failures = if failed {
            self.failures.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            self.failures.load(Ordering::SeqCst)
        };
        self.bar.set_message(format!("{failures} failed"));
        self.bar.inc(1);
    }

    /// Clears the bar before the summary prints.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
