//! Splits a SQL script into statements, for the scripts that must run outside a transaction: PostgreSQL
//! wraps a multi-statement simple query in one implicit transaction, which `CREATE INDEX CONCURRENTLY`
//! refuses. Down scripts are split too, so a failing statement's line is known without a server position.
//! Finding the `;` that end statements takes PostgreSQL's lexical rules (see `lex`), nothing more.

mod lex;
#[cfg(test)]
mod tests;

use super::catalog::Script;
use super::sql_error::{self, ScriptError};
use lex::Kind;

/// One statement and the 1-based line of the script it starts on.
#[derive(Debug, PartialEq, Eq)]
pub struct Statement<'a> {
    pub sql: &'a str,
    pub line: usize,
}

/// Runs `script` one statement at a time; an error names the script, the line and the server's message.
/// Without a position from the server, the failing statement's first line is the best pointer.
pub fn execute_each(client: &mut impl postgres::GenericClient, script: &Script) -> Result<(), ScriptError> {
    for statement in statements(&script.sql) {
        client.batch_execute(statement.sql).map_err(|e| {
            let mut err = sql_error::from_postgres(script, &e, statement.sql, statement.line);
            err.line = err.line.or(Some(statement.line));
            err
        })?;
    }
    Ok(())
}

/// The statements of `script`, each an exact slice of it from its first to its last token that is not a
/// comment, so its line is where its code starts. Comments and whitespace around statements, and stretches
/// between `;`s holding nothing else, are left out: the server would ignore them.
pub fn statements(script: &str) -> Vec<Statement<'_>> {
    let mut out = Vec::new();
    let mut lines = Lines::default();
    let mut code: Option<(usize, usize)> = None;
    for token in lex::tokens(script) {
        match token.kind {
            Kind::Code => code = Some((code.map_or(token.start, |(start, _)| start), token.end)),
            Kind::Semicolon => {
                if let Some((start, end)) = code.take() {
                    out.push(Statement { sql: &script[start..end], line: lines.at(script, start) });
                }
            }
            Kind::Blank => {}
        }
    }
    if let Some((start, end)) = code {
        out.push(Statement { sql: &script[start..end], line: lines.at(script, start) });
    }
    out
}

/// Counts newlines once over the whole script, however many statements it holds.
#[derive(Default)]
struct Lines {
    counted_to: usize,
    line: usize,
}

impl Lines {
    /// The 1-based line of byte `offset`; offsets must not decrease between calls.
    fn at(&mut self, script: &str, offset: usize) -> usize {
        self.line += script[self.counted_to..offset].matches('\n').count();
        self.counted_to = offset;
        self.line + 1
    }
}
