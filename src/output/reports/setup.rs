//! `rehab setup`: the database, its extensions, then the migrate (and seed) reports.

use std::io::{self, Write};

use crate::commands::setup::SetupReport;
use crate::output::Report;

impl Report for SetupReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "Database {}: {}.", self.database, if self.created { "created" } else { "already exists" })?;
        if !self.extensions.is_empty() {
            writeln!(out, "Extensions present: {}.", self.extensions.join(", "))?;
        }
        self.migrate.write_human(out)?;
        match &self.seed {
            Some(seed) => seed.write_human(out),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SetupReport;
    use crate::output::reports::{migrate_report, render};

    #[test]
    fn the_database_its_extensions_then_the_migrations() {
        let report = SetupReport {
            database: "rehab_development".into(),
            created: true,
            extensions: vec!["pgcrypto".into(), "citext".into()],
            migrate: migrate_report(false),
            seed: None,
        };
        insta::assert_snapshot!(render(&report));
    }
}
