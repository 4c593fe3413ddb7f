//! `rehab migrate`: what was applied (or would be, in a dry run) and where the database stands.

use std::io::{self, Write};

use crate::commands::migrate::MigrateReport;
use crate::output::{Report, table};

impl Report for MigrateReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let at = table::version_reached(self.current_version);
        if self.applied.is_empty() {
            return writeln!(out, "Nothing to migrate: {} is up to date ({at}).", self.database);
        }
        let mut t =
            table::new(&["Version", "Name", "Transaction", if self.dry_run { "Would run" } else { "Duration" }]);
        for s in &self.applied {
            t.add_row(vec![
                s.version.to_string(),
                s.name.clone(),
                if s.no_transaction { "none (no-transaction)".into() } else { "own".into() },
                s.duration_ms.map_or_else(|| "yes".into(), table::duration_ms),
            ]);
        }
        writeln!(out, "{t}")?;
        if self.dry_run {
            writeln!(
                out,
                "Dry run: {} migration(s) would be applied to {}; nothing was changed ({at}).",
                self.applied.len(),
                self.database
            )
        } else {
            let total: f64 = self.applied.iter().filter_map(|s| s.duration_ms).sum();
            writeln!(
                out,
                "{} {} migration(s) to {} in {}; now at {at}.",
                crate::output::style::stdout("Applied", crate::output::style::Tone::Good),
                self.applied.len(),
                self.database,
                table::duration_ms(total)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::output::reports::{migrate_report, render};

    #[test]
    fn applied_dry_run_and_up_to_date() {
        let mut up_to_date = migrate_report(false);
        up_to_date.applied.clear();
        insta::assert_snapshot!(render(&migrate_report(false)) + &render(&migrate_report(true)) + &render(&up_to_date));
    }
}
