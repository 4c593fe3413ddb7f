//! One table style for every command, so output looks the same everywhere.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::{style, terminal};

/// A table with `headers`, as wide as `COLUMNS`, else the terminal, else 120 columns (see `terminal.rs`).
pub fn new(headers: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.iter().copied());
    // Before a width is set, comfy-table answers with the terminal's, when stdout is one (it may say 0).
    let terminal_width = table.width();
    table.set_width(terminal::table_width(terminal_width));
    // comfy-table would style only a terminal; rehab decided already (--color, NO_COLOR, CLICOLOR_FORCE).
    if style::stdout_coloured() {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table
}

/// Milliseconds for people: `12 ms`, `1.43 s`.
pub fn duration_ms(ms: f64) -> String {
    if ms < 1000.0 { format!("{ms:.0} ms") } else { format!("{:.2} s", ms / 1000.0) }
}

/// Where the database stands, for a summary line: `version 6`, or `no migration applied`.
pub fn version_reached(version: Option<i32>) -> String {
    version.map_or_else(|| "no migration applied".to_string(), |v| format!("version {v}"))
}

/// An RFC 3339 time from the history table, shortened for a table cell.
pub fn timestamp(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map_or_else(
        |_| rfc3339.to_string(),
        |t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}
