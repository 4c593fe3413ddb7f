//! Splits a SQL script into statements, for the scripts that must run outside a transaction: PostgreSQL
//! wraps a multi-statement simple query in one implicit transaction, which `CREATE INDEX CONCURRENTLY`
//! refuses. Down scripts are split too, so a failing statement's line is known without a server position.
//! Finding the `;` that end statements takes PostgreSQL's lexical rules (see `lex`), and psql's rule for
//! a SQL-standard routine body (`BEGIN ATOMIC ... END`), whose `;`s are the routine's.

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
    let mut body = Body::default();
    for token in lex::tokens(script) {
        match token.kind {
            Kind::Code => {
                code = Some((code.map_or(token.start, |(start, _)| start), token.end));
                body.word(&script[token.start..token.end]);
            }
            // A `;` inside a routine's `BEGIN ATOMIC ... END` body belongs to the body.
            Kind::Semicolon if body.open() => {}
            Kind::Semicolon => {
                body = Body::default();
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

/// Where a statement stands in a SQL-standard routine body, as psql tracks it: in `CREATE [OR REPLACE]
/// FUNCTION|PROCEDURE`, each `BEGIN` or `CASE` after the first word opens a block that an `END` closes, and
/// a `;` inside one does not end the statement (`BEGIN ATOMIC SELECT 1; END`).
#[derive(Default)]
struct Body {
    /// The statement's first words, up to four, upper-cased.
    words: Vec<String>,
    depth: usize,
}

impl Body {
    fn word(&mut self, token: &str) {
        if !token.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return;
        }
        let word = token.to_ascii_uppercase();
        if self.routine() {
            match word.as_str() {
                "BEGIN" | "CASE" => self.depth += 1,
                "END" => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        if self.words.len() < 4 {
            self.words.push(word);
        }
    }

    fn routine(&self) -> bool {
        let w: Vec<&str> = self.words.iter().map(String::as_str).collect();
        matches!(
            w.as_slice(),
            ["CREATE", "FUNCTION" | "PROCEDURE", ..] | ["CREATE", "OR", "REPLACE", "FUNCTION" | "PROCEDURE", ..]
        )
    }

    fn open(&self) -> bool {
        self.depth > 0
    }
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
