//! Reads the migrations for linting. A folder is listed here rather than by `MigrationCatalog::from_dir`,
//! which refuses a file refinery would skip: lint reports such a file as a finding and checks the others.

use std::path::Path;

use anyhow::Result;

use super::rules::{MISNAMED_FILE, Rule};
use crate::check::Finding;
use crate::error::CliError;
use crate::migrations::MigrationCatalog;
use crate::migrations::catalog::{Listing, Source, file_name_problem};

/// The catalog of the correctly named files, and a finding for each file refinery would skip.
pub struct Loaded {
    pub catalog: MigrationCatalog,
    pub findings: Vec<Finding>,
}

/// The folder's migrations, or the embedded set when there is no folder.
pub fn load(dir: Option<&Path>) -> Result<Loaded> {
    let Some(dir) = dir else {
        return Ok(Loaded { catalog: MigrationCatalog::embedded()?, findings: Vec::new() });
    };
    let listing = Listing::of(dir)?;
    let mut files = Vec::new();
    let mut findings = Vec::new();
    for path in &listing.sql_subfolders {
        let why = "a sub-folder with .sql files: refinery would run them as forward migrations".to_string();
        findings.push(file_finding(&path.display().to_string(), MISNAMED_FILE, why));
    }
    for (name, path) in listing.sql_files {
        if let Some(why) = file_name_problem(&name) {
            findings.push(file_finding(&path.display().to_string(), MISNAMED_FILE, why));
            continue;
        }
        let sql = std::fs::read_to_string(&path)
            .map_err(|e| CliError::usage(format!("{}: cannot be read as UTF-8 text: {e}", path.display())))?;
        files.push((name, sql));
    }
    // A down script whose up script is misnamed (or missing) would make the catalog refuse the folder.
    let ups: Vec<String> = files
        .iter()
        .filter(|(n, _)| !n.ends_with(".down.sql"))
        .map(|(n, _)| n.trim_end_matches(".sql").to_string())
        .collect();
    files.retain(|(name, _)| {
        let orphan = name.strip_suffix(".down.sql").is_some_and(|stem| !ups.iter().any(|u| u == stem));
        if orphan {
            let why = format!("a down script with no up script {}.sql beside it", name.trim_end_matches(".down.sql"));
            findings.push(file_finding(&dir.join(name).display().to_string(), MISNAMED_FILE, why));
        }
        !orphan
    });
    findings.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(Loaded { catalog: MigrationCatalog::from_files(Source::Dir(dir.to_path_buf()), files)?, findings })
}

/// A finding about a whole file, pointed at its first line.
pub fn file_finding(file: &str, rule: &'static Rule, message: String) -> Finding {
    Finding {
        file: file.to_string(),
        line: 1,
        column: 1,
        rule: rule.id,
        severity: rule.severity,
        message,
        hint: rule.fix.to_string(),
    }
}
