//! `rehab seed`: rows, size and time per table, then the totals and the rates.

use std::io::{self, Write};

use crate::commands::seed::SeedReport;
use crate::output::{Report, table};

impl Report for SeedReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut t = table::new(&["table", "rows", "MiB", "seconds"]);
        for s in &self.tables {
            t.add_row(vec![s.table.clone(), s.rows.to_string(), format!("{:.1}", s.mib), format!("{:.2}", s.seconds)]);
        }
        t.add_row(vec![
            "total".to_string(),
            self.total_rows.to_string(),
            format!("{:.1}", self.total_mib),
            format!("{:.2}", self.seconds),
        ]);
        writeln!(out, "{t}")?;
        writeln!(
            out,
            "Seeded {} with profile {} (seed {}, scale {}){}: {} rows in {:.1} s (load {:.1} s, indexes {:.1} s, analyze {:.1} s), {:.0} rows/s, {:.1} MiB/s.",
            self.database,
            self.profile,
            self.seed,
            self.scale,
            if self.replaced { ", replacing the previous seed" } else { "" },
            self.total_rows,
            self.seconds,
            self.load_seconds,
            self.index_seconds,
            self.analyze_seconds,
            self.total_rows as f64 / self.seconds.max(1e-9),
            self.total_mib / self.seconds.max(1e-9)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::SeedReport;
    use crate::output::reports::render;
    use crate::seed::TableStat;

    #[test]
    fn rows_per_table_then_the_totals() {
        let table = |name: &str, rows: u64| TableStat {
            table: name.into(),
            rows,
            copy_bytes: rows * 100,
            mib: rows as f64 / 10_000.0,
            heap_mib: rows as f64 / 20_000.0,
            seconds: rows as f64 / 1_000_000.0,
        };
        let report = SeedReport {
            database: "rehab_development".into(),
            profile: "demo".into(),
            seed: 1,
            scale: 0.5,
            replaced: true,
            tables: vec![table("event_store.events", 625_000), table("auth.users", 526)],
            total_rows: 625_526,
            total_mib: 62.6,
            heap_mib: 31.3,
            load_seconds: 3.1,
            index_seconds: 1.2,
            analyze_seconds: 0.4,
            seconds: 4.8,
        };
        insta::assert_snapshot!(render(&report));
    }
}
