//! `rehab reset`: every object dropped, one per line, then the migrate (and seed) reports.

use std::io::{self, Write};

use crate::commands::reset::ResetReport;
use crate::output::{Report, table};

impl Report for ResetReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.dropped.is_empty() {
            writeln!(out, "{} holds no objects.", self.database)?;
        } else {
            // Every object, one per line: the one a reset exists to find (a leftover enum) must not hide
            // behind "and 15 more".
            let mut t = table::new(&["Kind", "Count", "Objects"]);
            for g in &self.dropped {
                t.add_row(vec![g.kind.clone(), g.count.to_string(), g.objects.join("\n")]);
            }
            writeln!(out, "{t}")?;
        }
        let total: usize = self.dropped.iter().map(|g| g.count).sum();
        if let Some(m) = &self.marker {
            writeln!(
                out,
                "Environment marker {}: `{}`{}.",
                if self.dry_run { "that would be kept" } else { "kept" },
                m.environment,
                if m.protected { " (protected)" } else { "" }
            )?;
        }
        match &self.migrate {
            None => writeln!(
                out,
                "Dry run: {total} object(s) would be dropped from {}, then `public` recreated{} and every migration applied; nothing was changed.",
                self.database,
                if self.extensions.is_empty() {
                    String::new()
                } else {
                    format!(", extensions {} created", self.extensions.join(", "))
                }
            ),
            Some(m) => {
                writeln!(out, "Dropped {total} object(s) from {} and recreated `public`.", self.database)?;
                m.write_human(out)?;
                self.seed.as_ref().map_or(Ok(()), |seed| seed.write_human(out))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ResetReport;
    use crate::db::marker::EnvironmentMarker;
    use crate::db::wipe::ObjectGroup;
    use crate::output::reports::{migrate_report, render};

    fn report(dry_run: bool) -> ResetReport {
        ResetReport {
            database: "rehab_development".into(),
            dry_run,
            dropped: vec![
                ObjectGroup { kind: "table".into(), count: 2, objects: vec!["public.a".into(), "public.b".into()] },
                ObjectGroup { kind: "type".into(), count: 1, objects: vec!["public.mood".into()] },
            ],
            extensions: vec!["pgcrypto".into()],
            marker: Some(EnvironmentMarker { environment: "staging".into(), protected: false, updated_at: None }),
            migrate: (!dry_run).then(|| migrate_report(false)),
            seed: None,
        }
    }

    #[test]
    fn every_dropped_object_then_the_migrations() {
        let mut empty = report(true);
        empty.dropped.clear();
        empty.marker = None;
        insta::assert_snapshot!(render(&report(false)) + &render(&report(true)) + &render(&empty));
    }
}
