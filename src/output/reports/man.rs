//! `rehab man --dir`: the pages written.

use std::io::{self, Write};

use crate::commands::man::ManReport;
use crate::output::Report;

impl Report for ManReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "Wrote {} man pages into {}:", self.pages.len(), self.dir.display())?;
        for page in &self.pages {
            writeln!(
                out,
                "  {}",
                page.file_name().map_or_else(|| page.display().to_string(), |n| n.to_string_lossy().into_owned())
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ManReport;
    use crate::output::reports::render;

    #[test]
    fn the_pages_written() {
        let report = ManReport { dir: "man".into(), pages: vec!["man/rehab.1".into(), "man/rehab-setup.1".into()] };
        insta::assert_snapshot!(render(&report));
    }
}
