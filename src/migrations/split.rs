//! Splits a SQL script into statements, for the scripts that must run outside a transaction: PostgreSQL
//! wraps a multi-statement simple query in one implicit transaction, which `CREATE INDEX CONCURRENTLY`
//! refuses. Understands quotes, dollar quotes and comments; nothing more is needed to find `;`.

use super::catalog::Script;
use super::sql_error::{self, ScriptError};

/// One statement and the 1-based line of the script it starts on.
#[derive(Debug, PartialEq, Eq)]
pub struct Statement<'a> {
    pub sql: &'a str,
    pub line: usize,
}

/// Runs `script` one statement at a time; an error names the script, the line and the server's message.
/// Without a position from the server, the failing statement's first line is the best pointer.
pub fn execute_each(client: &mut postgres::Client, script: &Script) -> Result<(), ScriptError> {
    for statement in statements(&script.sql) {
        client.batch_execute(statement.sql).map_err(|e| {
            let mut err = sql_error::from_postgres(script, &e, statement.sql, statement.line);
            err.line = err.line.or(Some(statement.line));
            err
        })?;
    }
    Ok(())
}

pub fn statements(script: &str) -> Vec<Statement<'_>> {
    let bytes = script.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = script[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = skip_block_comment(bytes, i);
            }
            b'\'' | b'"' => {
                let quote = bytes[i];
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == quote {
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'$' => {
                if let Some(tag_len) = dollar_tag(&script[i..]) {
                    let tag = &script[i..i + tag_len];
                    i = script[i + tag_len..].find(tag).map_or(bytes.len(), |n| i + tag_len + n + tag_len - 1);
                }
            }
            b';' => {
                push(script, start, i, &mut out);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    push(script, start, bytes.len(), &mut out);
    out
}

fn push<'a>(script: &'a str, start: usize, end: usize, out: &mut Vec<Statement<'a>>) {
    let text = &script[start..end.min(script.len())];
    let offset = text.len() - text.trim_start().len();
    let sql = text.trim();
    if is_only_comments(sql) {
        return;
    }
    let line = script[..start + offset].matches('\n').count() + 1;
    out.push(Statement { sql, line });
}

fn is_only_comments(sql: &str) -> bool {
    sql.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("--")
    }) && !sql.contains("/*")
}

fn skip_block_comment(bytes: &[u8], mut i: usize) -> usize {
    // Block comments nest in PostgreSQL.
    let mut depth = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'/' && bytes[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i - 1;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// The length of a dollar-quote opening tag (`$$` or `$name$`) at the start of `s`.
fn dollar_tag(s: &str) -> Option<usize> {
    let rest = &s[1..];
    let end = rest.find('$')?;
    let tag = &rest[..end];
    let valid = tag.chars().enumerate().all(|(n, c)| c == '_' || c.is_alphabetic() || (n > 0 && c.is_ascii_digit()));
    valid.then_some(end + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(s: &str) -> Vec<&str> {
        statements(s).into_iter().map(|s| s.sql).collect()
    }

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        let script = "-- rehab:no-transaction\nCREATE INDEX CONCURRENTLY a ON t (x);\n\
                      SELECT ';' , \"we;ird\"; -- trailing; comment\n/* block; /* nested; */ */ SELECT 2;";
        assert_eq!(
            sqls(script),
            vec![
                "-- rehab:no-transaction\nCREATE INDEX CONCURRENTLY a ON t (x)",
                "SELECT ';' , \"we;ird\"",
                "-- trailing; comment\n/* block; /* nested; */ */ SELECT 2"
            ]
        );
    }

    #[test]
    fn keeps_dollar_quoted_bodies_whole() {
        let script =
            "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\nDO $$ BEGIN PERFORM 1; END $$;";
        let s = statements(script);
        assert_eq!(s.len(), 2);
        assert!(s[0].sql.ends_with("LANGUAGE sql"));
        assert_eq!(s[1].line, 2);
    }

    #[test]
    fn reports_the_starting_line_and_skips_empty_tails() {
        let s = statements("\n\nSELECT 1;\n\n  SELECT\n 2;\n-- done\n");
        assert_eq!(s.iter().map(|s| s.line).collect::<Vec<_>>(), vec![3, 5]);
    }

    #[test]
    fn positional_parameters_are_not_dollar_quotes() {
        assert_eq!(sqls("SELECT $1; SELECT 2"), vec!["SELECT $1", "SELECT 2"]);
    }
}
