//! `rehab --fleet`: one row per member (versions, status, duration, the error's first line), then the counts.

use std::io::{self, Write};

use crate::fleet::{FleetReport, Status};
use crate::output::{Report, table};

impl Report for FleetReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut t = table::new(&["Member", "Version", "Status", "Duration", "Error"]);
        let version = |v: Option<i32>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
        for m in &self.members {
            let versions = match m.status {
                Status::Skipped | Status::Unreachable => String::new(),
                _ if m.before == m.after => version(m.after),
                _ => format!("{} -> {}", version(m.before), version(m.after)),
            };
            #[allow(clippy::cast_precision_loss, reason = "milliseconds of one run fit an f64 exactly")]
            let ms = m.ms as f64;
            t.add_row(vec![
                m.member.clone(),
                versions,
                m.status.label().to_string(),
                if m.status == Status::Skipped { String::new() } else { table::duration_ms(ms) },
                m.error.as_deref().and_then(|e| e.lines().next()).unwrap_or_default().to_string(),
            ]);
        }
        writeln!(out, "{t}")?;
        let interrupted = if self.summary.interrupted { " (interrupted)" } else { "" };
        writeln!(out, "Fleet {}: {}{interrupted}.", self.fleet, self.counts_line())
    }
}

#[cfg(test)]
mod tests {
    use crate::fleet::{FleetReport, MemberOutcome, Status};
    use crate::output::reports::render;

    #[test]
    fn one_row_per_member_then_the_counts() {
        let member = |name: &str, status, before, after, error: Option<&str>| MemberOutcome {
            member: name.into(),
            status,
            before,
            after,
            ms: 1250,
            error: error.map(str::to_string),
            hint: None,
            exit_code: i32::from(status != Status::Ok),
            result: None,
        };
        let report = FleetReport::new(
            "tenants",
            vec![
                member("acme", Status::Ok, None, Some(6), None),
                member("globex", Status::Ok, Some(6), Some(6), None),
                member("initech", Status::Failed, Some(2), Some(2), Some("migration failed: V3\nmore")),
                member("postgresql://app:***@db9:5432/t9", Status::Unreachable, None, None, Some("could not connect")),
                MemberOutcome::skipped("umbrella"),
            ],
            4.2,
            false,
        );
        insta::assert_snapshot!(render(&report));
    }
}
