//! `rehab doctor`: one row per check, coloured by status, then the counts.

use std::io::{self, Write};

use comfy_table::Cell;

use crate::commands::doctor::DoctorReport;
use crate::output::{Report, table};

impl Report for DoctorReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut t = table::new(&["Group", "Check", "Status", "Detail", "Hint"]);
        for c in &self.checks {
            t.add_row(vec![
                Cell::new(c.group),
                Cell::new(c.name),
                crate::output::style::cell(c.status.label(), c.status.tone()),
                Cell::new(&c.detail),
                Cell::new(c.hint.as_deref().unwrap_or_default()),
            ]);
        }
        writeln!(out, "{t}")?;
        let s = &self.summary;
        writeln!(out, "{} ok, {} warn, {} fail, {} skip, {} error", s.ok, s.warn, s.fail, s.skip, s.error)
    }
}

#[cfg(test)]
mod tests {
    use super::DoctorReport;
    use crate::commands::doctor::Summary;
    use crate::doctor::{CheckRow, Status};
    use crate::output::reports::render;

    #[test]
    fn one_row_per_check_then_the_counts() {
        let row = |group, name, status, detail: &str, hint: Option<&str>| CheckRow {
            group,
            name,
            status,
            detail: detail.into(),
            hint: hint.map(str::to_string),
            objects: vec![],
            ms: 1.0,
        };
        let report = DoctorReport {
            checks: vec![
                row("connection", "reachable", Status::Ok, "PostgreSQL 15.20 in 3 ms", None),
                row("migrations", "pending", Status::Warn, "2 pending", Some("run `rehab migrate`")),
                row("schema", "leftover_enums", Status::Fail, "public.mood", Some("DROP TYPE public.mood;")),
            ],
            summary: Summary { ok: 1, warn: 1, fail: 1, skip: 0, error: 0 },
        };
        insta::assert_snapshot!(render(&report));
    }
}
