//! `rehab current`: the newest applied migration on one line.

use std::io::{self, Write};

use crate::commands::current::CurrentReport;
use crate::output::Report;

impl Report for CurrentReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        match (&self.version, &self.name) {
            (Some(v), Some(n)) => writeln!(out, "{v} {n}"),
            _ => writeln!(out, "none (no migration applied)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CurrentReport;
    use crate::output::reports::render;

    #[test]
    fn one_line_for_scripts() {
        let applied = CurrentReport {
            version: Some(6),
            name: Some("auth_compliance".into()),
            applied_on: Some("2026-12-01T10:00:00Z".into()),
        };
        let none = CurrentReport { version: None, name: None, applied_on: None };
        insta::assert_snapshot!(render(&applied) + &render(&none));
    }
}
