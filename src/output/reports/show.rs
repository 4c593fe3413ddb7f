//! `rehab show`: the migrations table and the last seed run.

use std::io::{self, Write};

use crate::commands::show::ShowReport;
use crate::output::{Report, table};

impl Report for ShowReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.migrations.is_empty() {
            return writeln!(out, "No migrations known or applied.");
        }
        let mut t = table::new(&["Version", "Name", "State", "Applied at", "Reversible"]);
        for m in &self.migrations {
            let mut state = m.state.label().to_string();
            if let Some(d) = &m.detail {
                state = format!("{state}: {d}");
            }
            t.add_row(vec![
                m.version.to_string(),
                m.name.clone(),
                state,
                m.applied_on.as_deref().map(table::timestamp).unwrap_or_default(),
                if m.reversible { "yes" } else { "no" }.to_string(),
            ]);
        }
        writeln!(out, "{t}")?;
        match &self.seed {
            Some(run) => writeln!(out, "Seed data: {run}."),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ShowReport;
    use crate::migrations::history::{MigrationState, MigrationStatus};
    use crate::output::reports::render;
    use crate::seed::ledger::LastRun;

    #[test]
    fn every_state_and_the_last_seed_run() {
        let row = |version: i32, state: MigrationState, applied: bool, detail: Option<&str>| MigrationStatus {
            version,
            name: format!("step_{version}"),
            state,
            applied_on: applied.then(|| "2026-12-01T10:00:00.123456789+00:00".to_string()),
            reversible: version != 3,
            detail: detail.map(str::to_string),
        };
        let report = ShowReport {
            migrations: vec![
                row(1, MigrationState::Applied, true, None),
                row(2, MigrationState::Divergent, true, Some("the file changed after it was applied")),
                row(3, MigrationState::Missing, true, None),
                row(4, MigrationState::OutOfOrder, false, None),
                row(5, MigrationState::Pending, false, None),
            ],
            seed: Some(LastRun {
                profile: "demo".into(),
                seed: 1,
                scale: 0.5,
                finished_at: "2026-12-01 10:05:00+00".into(),
            }),
        };
        let empty = ShowReport { migrations: vec![], seed: None };
        insta::assert_snapshot!(render(&report) + &render(&empty));
    }
}
