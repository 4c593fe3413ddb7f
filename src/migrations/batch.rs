//! A transactional script sent in one round trip: `BEGIN`, its statements, its history row and `COMMIT` as
//! one simple query. The proof runs three scripts per migration in a scratch database, and statement by
//! statement each would wait on about seven round trips; this waits on one. A script that fails this way is
//! rolled back whole, and the caller runs it again as `migrate` and `rollback` do, statement by statement, so
//! the error it reports names the statement and line just as theirs does.

use postgres::Client;

use super::catalog::{Migration, Script};
use super::history::HISTORY_TABLE;
use super::{apply, split};

/// Applies `m` and records it, in one round trip; false when it did not (nothing of it stays), or when its
/// script is not one to send whole (see [`whole`]).
pub fn applied(client: &mut Client, m: &Migration) -> bool {
    let record = format!(
        "INSERT INTO {HISTORY_TABLE} (version, name, applied_on, checksum) VALUES ({}, {}, {}, {})",
        m.version,
        literal(&m.name),
        literal(&apply::applied_now()),
        literal(&m.checksum().to_string())
    );
    run(client, &m.up, &record)
}

/// Runs the down script of `m` and deletes its history row, in one round trip; false as for [`applied`].
pub fn undone(client: &mut Client, m: &Migration) -> bool {
    m.down
        .as_ref()
        .is_some_and(|down| run(client, down, &format!("DELETE FROM {HISTORY_TABLE} WHERE version = {}", m.version)))
}

fn run(client: &mut Client, script: &Script, last: &str) -> bool {
    let Some(statements) = whole(script) else { return false };
    let mut sql = String::with_capacity(script.sql.len() + last.len() + 32);
    sql.push_str("BEGIN;\n");
    for statement in statements {
        sql.push_str(statement);
        sql.push_str(";\n");
    }
    sql.push_str(last);
    sql.push_str(";\nCOMMIT");
    if client.batch_execute(&sql).is_ok() {
        return true;
    }
    // The failed statement aborted the transaction (or COMMIT ended it): nothing of the script stays.
    let _ = client.batch_execute("ROLLBACK");
    false
}

/// The statements of a script that can go to the server as one query: one that runs in a transaction,
/// controls no transaction itself (a `COMMIT` of its own would keep half of it when a later statement
/// fails), and sets nothing that changes how the server reads the rest of the text (the server reads a whole
/// query before it runs any of it, so a `SET standard_conforming_strings` would apply too late).
fn whole(script: &Script) -> Option<Vec<&str>> {
    const CONTROL: &[&str] = &["BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"];
    const LEXING: &[&str] = &["STANDARD_CONFORMING_STRINGS", "BACKSLASH_QUOTE"];
    if script.no_transaction {
        return None;
    }
    let upper = script.sql.to_ascii_uppercase();
    if LEXING.iter().any(|s| upper.contains(s)) {
        return None;
    }
    let statements: Vec<&str> = split::statements(&script.sql).into_iter().map(|s| s.sql).collect();
    let controls = |sql: &str| {
        let mut words = sql.split_whitespace().map(str::to_ascii_uppercase);
        let first = words.next().unwrap_or_default();
        CONTROL.contains(&first.as_str()) || (first == "PREPARE" && words.next().as_deref() == Some("TRANSACTION"))
    };
    if statements.iter().any(|s| controls(s)) {
        return None;
    }
    Some(statements)
}

/// A string literal that reads the same whatever `standard_conforming_strings` is.
fn literal(text: &str) -> String {
    format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::{Script, literal, whole};

    fn script(sql: &str) -> Script {
        Script { file_name: "V1__t.sql".into(), sql: sql.into(), no_transaction: false }
    }

    #[test]
    fn scripts_that_control_transactions_or_lexing_are_not_sent_whole() {
        let plain = script("CREATE TABLE t (id int);\n-- a note\nCOMMENT ON TABLE t IS 'x; y';");
        assert_eq!(whole(&plain), Some(vec!["CREATE TABLE t (id int)", "COMMENT ON TABLE t IS 'x; y'"]));
        assert_eq!(whole(&script("CREATE TABLE t (id int);\ncommit;")), None);
        assert_eq!(whole(&script("prepare transaction 'x';")), None);
        assert!(whole(&script("PREPARE q AS SELECT 1;")).is_some());
        assert_eq!(whole(&script("SET standard_conforming_strings = off;\nSELECT 'a\\';")), None);
        let mut outside = script("CREATE INDEX CONCURRENTLY i ON t (id);");
        outside.no_transaction = true;
        assert_eq!(whole(&outside), None);
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(literal(r"it's a\b"), r"E'it''s a\\b'");
    }
}
