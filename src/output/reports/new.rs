//! `rehab new`: the files created.

use std::io::{self, Write};

use crate::commands::new::NewReport;
use crate::output::Report;

impl Report for NewReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.created_dir {
            writeln!(out, "Created folder {}.", self.dir.display())?;
        }
        writeln!(out, "Created V{} {}:", self.version, self.name)?;
        writeln!(out, "  {}", self.up.display())?;
        writeln!(out, "  {}{}", self.down.display(), if self.irreversible { " (marked irreversible)" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::NewReport;
    use crate::output::reports::render;

    #[test]
    fn the_files_created() {
        let report = NewReport {
            version: 7,
            name: "add_goals".into(),
            dir: "migrations".into(),
            created_dir: true,
            up: "migrations/V7__add_goals.sql".into(),
            down: "migrations/V7__add_goals.down.sql".into(),
            irreversible: true,
        };
        insta::assert_snapshot!(render(&report));
    }
}
