//! How the loader reports what it is doing: traits that `output/` implements (status lines, one progress
//! bar per table), so the loader never prints and never builds a bar itself.

/// Where the loader's progress goes.
pub trait LoadProgress {
    /// A line about a phase (shown unless `--quiet`).
    fn status(&self, message: &str);
    /// A timing line (shown with `--verbose`).
    fn detail(&self, message: &str);
    /// Starts following one table's COPY; `rows` is its row count when known in advance.
    fn table(&self, table: &str, rows: Option<u64>) -> Box<dyn TableProgress + '_>;
}

/// One table's COPY as it goes.
pub trait TableProgress {
    /// `rows` rows are sent so far.
    fn sent(&self, rows: u64);
    fn finish(&self);
}
