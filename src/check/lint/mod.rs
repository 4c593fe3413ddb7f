//! Lint: reads every up and down script as statements and applies the rules (see `rules`), knowing which
//! tables earlier migrations created and whether the file runs in a transaction. Findings, not output.

mod load;
pub mod rules;
mod statements;
mod suppress;

use std::collections::HashSet;

pub use load::load;

use self::rules::{APPLIED_FILE_EDITED, FileState, Hit, MISSING_DOWN_SCRIPT, Model, Scope};
use self::suppress::Allows;
use super::Finding;
use crate::migrations::MigrationCatalog;
use crate::migrations::catalog::{Script, Source};
use crate::migrations::history::AppliedMigration;

/// What lint found.
#[derive(Debug, Default)]
pub struct Lint {
    /// In the loader's order (misnamed files), then migration by migration (up, then down), by line and column.
    pub findings: Vec<Finding>,
    /// Statements sqlparser could not read: checked only by the word-level rules, not findings.
    pub unparsed: Vec<Unparsed>,
    /// Findings a `-- rehab:allow` comment suppressed.
    pub suppressed: usize,
}

/// A statement sqlparser cannot read (valid PostgreSQL it does not know, such as `COMMENT ON FUNCTION`).
#[derive(Debug)]
pub struct Unparsed {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub reason: String,
}

/// Every finding in the catalog's scripts. `applied` is the target's history when a server was reached, for
/// `applied-file-edited`; `file_findings` are the loader's (misnamed files), merged in file order.
#[must_use]
pub fn lint(catalog: &MigrationCatalog, applied: Option<&[AppliedMigration]>, file_findings: Vec<Finding>) -> Lint {
    let mut out = Lint { findings: file_findings, ..Lint::default() };
    let mut model = Model::default();
    for m in &catalog.migrations {
        let up_file = display(&catalog.source, &m.up.file_name);
        let mut file_level = Vec::new();
        if m.down.is_none() {
            let msg = format!("V{}__{} has no down script V{}__{}.down.sql", m.version, m.name, m.version, m.name);
            file_level.push(file_hit(MISSING_DOWN_SCRIPT, msg));
        }
        if let Some(a) = applied.and_then(|a| a.iter().find(|a| a.version == m.version))
            && a.checksum != m.checksum().to_string()
        {
            let msg = format!("{} was edited after the target database applied it on {}", m.up.file_name, a.applied_on);
            file_level.push(file_hit(APPLIED_FILE_EDITED, msg));
        }
        let up = FileState::default();
        let up = lint_script(&up_file, &m.up, up, &mut model, file_level, &mut out);
        if let Some(down) = &m.down {
            // A down script undoes this migration: what the up created is the migration's own.
            let state = FileState {
                is_down: true,
                new_tables: up.new_tables.clone(),
                new_types: up.new_types.clone(),
                ..FileState::default()
            };
            let file = display(&catalog.source, &down.file_name);
            lint_script(&file, down, state, &mut model, Vec::new(), &mut out);
        }
        for table in up.new_tables {
            model.tables.entry(table).or_insert(m.version);
        }
    }
    out
}

/// Lints one script; returns the file state after its last statement (what it created).
fn lint_script(
    file: &str,
    script: &Script,
    mut state: FileState,
    model: &mut Model,
    file_level: Vec<Hit>,
    out: &mut Lint,
) -> FileState {
    state.in_transaction = !script.no_transaction;
    let first = out.findings.len();
    let statements = statements::statements(&script.sql);
    let lines: Vec<u32> = statements.iter().map(|s| s.line).collect();
    let allows = Allows::read(&script.sql, &lines);
    let keep = |hit: Hit, statement_line: Option<u32>, out: &mut Lint| {
        if allows.covers(hit.rule.id, statement_line) {
            out.suppressed += 1;
        } else {
            out.findings.push(finding(file, hit));
        }
    };
    for hit in file_level {
        keep(hit, None, out);
    }
    let mut hits = Vec::new();
    for stmt in &statements {
        if let Some(Err(reason)) = stmt.parse() {
            out.unparsed.push(Unparsed {
                file: file.to_string(),
                line: stmt.line,
                column: stmt.column,
                reason: reason.to_string(),
            });
        }
        rules::check(stmt, &mut Scope { file: &mut state, model }, &mut hits);
        let mut seen = HashSet::new();
        for hit in hits.drain(..) {
            // One finding per rule, place and message: a rule may see the same thing twice.
            if seen.insert((hit.rule.id, hit.line, hit.column, hit.message.clone())) {
                keep(hit, Some(stmt.line), out);
            }
        }
    }
    out.findings.extend(allows.problems.into_iter().map(|h| finding(file, h)));
    // Files stay in version order (V2 before V10); within one, by place.
    out.findings[first..].sort_by_key(|f| (f.line, f.column));
    state
}

fn file_hit(rule: &'static rules::Rule, message: String) -> Hit {
    Hit { rule, line: 1, column: 1, message }
}

fn finding(file: &str, hit: Hit) -> Finding {
    Finding {
        file: file.to_string(),
        line: hit.line,
        column: hit.column,
        rule: hit.rule.id,
        severity: hit.rule.severity,
        message: hit.message,
        hint: hit.rule.fix.to_string(),
    }
}

/// The file as findings name it: its path when the migrations come from a folder, else its name.
pub(crate) fn display(source: &Source, file_name: &str) -> String {
    match source {
        Source::Dir(dir) => dir.join(file_name).display().to_string(),
        Source::Embedded => file_name.to_string(),
    }
}

#[cfg(test)]
mod tests;
