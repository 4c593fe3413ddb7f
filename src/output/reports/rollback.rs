//! `rehab rollback`: what was undone, in which transaction, and where the database stands.

use std::io::{self, Write};

use crate::commands::rollback::RollbackReport;
use crate::output::{Report, table};

impl Report for RollbackReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let at = table::version_reached(self.current_version);
        if self.undone.is_empty() {
            return writeln!(out, "Nothing to roll back in {} ({at}).", self.database);
        }
        let mut t = table::new(&["Version", "Name", "Down script", "Transaction", "Duration"]);
        for s in &self.undone {
            t.add_row(vec![
                s.version.to_string(),
                s.name.clone(),
                s.file.clone(),
                s.transaction.map_or_else(|| "none (no-transaction)".into(), |n| format!("#{n}")),
                match (s.ran, s.duration_ms) {
                    (true, Some(ms)) => table::duration_ms(ms),
                    _ => "not run (dry run)".into(),
                },
            ]);
        }
        writeln!(out, "{t}")?;
        let split =
            self.undone.iter().filter(|s| s.no_transaction).map(|s| format!("V{}", s.version)).collect::<Vec<_>>();
        if !split.is_empty() {
            writeln!(
                out,
                "The run was split at {} (down script marked `-- rehab:no-transaction`): it ran outside any transaction.",
                split.join(", ")
            )?;
        }
        let total: f64 = self.undone.iter().filter_map(|s| s.duration_ms).sum();
        if self.dry_run {
            writeln!(
                out,
                "Dry run: {} down script(s) ran in {} and were rolled back; nothing was changed in {} ({at}).",
                self.undone.iter().filter(|s| s.ran).count(),
                table::duration_ms(total),
                self.database
            )
        } else {
            writeln!(
                out,
                "{} {} migration(s) in {} in {}; now at {at}.",
                crate::output::style::stdout("Rolled back", crate::output::style::Tone::Good),
                self.undone.len(),
                self.database,
                table::duration_ms(total)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RollbackReport;
    use crate::migrations::rollback::UndoneStep;
    use crate::output::reports::render;

    fn report(dry_run: bool) -> RollbackReport {
        let step = |version: i32, no_transaction: bool, transaction: Option<usize>| UndoneStep {
            version,
            name: format!("step_{version}"),
            file: format!("V{version}__step_{version}.down.sql"),
            no_transaction,
            transaction,
            ran: true,
            duration_ms: Some(4.0),
        };
        RollbackReport {
            database: "rehab_development".into(),
            dry_run,
            undone: vec![step(3, false, Some(1)), step(2, true, None)],
            transactions: 2,
            current_version: Some(if dry_run { 3 } else { 1 }),
        }
    }

    #[test]
    fn undone_steps_the_split_and_where_it_stands() {
        let mut nothing = report(false);
        nothing.undone.clear();
        insta::assert_snapshot!(render(&report(false)) + &render(&report(true)) + &render(&nothing));
    }
}
