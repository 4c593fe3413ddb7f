//! A transactional script sent in one round trip: `BEGIN`, the script's text, its history row and `COMMIT` as
//! one simple query. The proof runs three scripts per migration in a scratch database, and statement by
//! statement each would wait on about seven round trips; this waits on one. A script that fails so is settled
//! by running it again as `migrate` runs it (see [`Failed::settle`]).

use postgres::Client;

use super::catalog::{Migration, Script};
use super::history::HISTORY_TABLE;
use super::sql_error::{self, ScriptError};
use super::{apply, split};

/// How a script sent whole fared.
pub enum Outcome {
    Done,
    /// Not a script to send whole (see [`whole`]): run it statement by statement.
    Unsuited,
    /// It failed, and nothing of it stays (short of what no rollback undoes: a sequence's `nextval`, a
    /// `PREPARE`, an advisory lock).
    Failed(Failed),
}

pub struct Failed {
    error: postgres::Error,
    /// What was sent: the script's text from its first line on (see [`run`]).
    sql: String,
}

/// Applies `m` and records it, in one round trip. The values are typed as `migrate`'s parameters are, and by
/// their schema: a migration's `CREATE TEMP TABLE text` would take the name `text`.
pub fn apply(client: &mut Client, m: &Migration) -> Outcome {
    let record = format!(
        "INSERT INTO {HISTORY_TABLE} (version, name, applied_on, checksum) VALUES ({}::pg_catalog.int4, {}::pg_catalog.text, {}::pg_catalog.text, {}::pg_catalog.text)",
        m.version,
        literal(&m.name),
        literal(&apply::applied_now()),
        literal(&m.checksum().to_string())
    );
    run(client, &m.up, &record)
}

/// Runs the down script of `m` and deletes its history row, in one round trip.
pub fn undo(client: &mut Client, m: &Migration) -> Outcome {
    match &m.down {
        Some(down) => {
            run(client, down, &format!("DELETE FROM {HISTORY_TABLE} WHERE version = {}::pg_catalog.int4", m.version))
        }
        None => Outcome::Unsuited,
    }
}

/// `BEGIN;` sits on the script's first line, so a position the server gives counts lines as the file does.
fn run(client: &mut Client, script: &Script, last: &str) -> Outcome {
    if !whole(script) {
        return Outcome::Unsuited;
    }
    let sql = format!("BEGIN;{}\n;{last};\nCOMMIT", script.sql);
    match client.batch_execute(&sql) {
        Ok(()) => Outcome::Done,
        Err(error) => {
            // The failed statement aborted the transaction (or COMMIT ended it).
            let _ = client.batch_execute("ROLLBACK");
            Outcome::Failed(Failed { error, sql })
        }
    }
}

impl Failed {
    /// What the failed script comes to, run again statement by statement with `again` (unless the connection
    /// is gone). The second run's error stands when it fails the same way: it names the statement, where the
    /// server's position in the whole text can point at another one (a function body's text found elsewhere
    /// in it). When the server could not read the text (a syntax error, found before anything ran: it may hide
    /// the first statement's runtime error, or come from an unfinished last statement), the second run's outcome
    /// stands whatever it is. Otherwise the first error stands, with the line of its position if it gave one:
    /// what no rollback undoes (a sequence's `nextval`, a `PREPARE`) can make a second run pass or fail otherwise.
    pub fn settle(
        self,
        client: &mut Client,
        script: &Script,
        again: impl FnOnce(&mut Client) -> Result<(), ScriptError>,
    ) -> Result<(), ScriptError> {
        let mut first = sql_error::from_postgres(script, &self.error, &self.sql, 1);
        // A position past the script's text is in the history row or the COMMIT.
        if first.line.is_some_and(|line| line > script.sql.lines().count().max(1)) {
            first.line = None;
        }
        if client.is_closed() {
            return Err(first);
        }
        let unread = first.sqlstate.as_deref() == Some("42601");
        match again(client) {
            Err(e) if unread || (e.sqlstate == first.sqlstate && e.message.ends_with(&first.message)) => Err(e),
            Ok(()) if unread => Ok(()),
            _ => Err(first),
        }
    }
}

/// Whether a script can go to the server as one query: one that runs in a transaction, controls no
/// transaction itself (a `COMMIT` of its own would keep half of it when a later statement fails), copies no
/// data through the connection (`COPY ... STDIN|STDOUT` takes the protocol over midway), and sets nothing that
/// changes how the server reads the rest of the text (it reads a whole query before running any of it, so a
/// `SET client_encoding` or `SET standard_conforming_strings` would apply too late).
fn whole(script: &Script) -> bool {
    const CONTROL: &[&str] = &["BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "COPY"];
    // Any mention (`SET LOCAL NAMES`, `SET /* c */ NAMES`, a comment): a word test.
    const LEXING: &[&str] = &["STANDARD_CONFORMING_STRINGS", "BACKSLASH_QUOTE", "CLIENT_ENCODING", "NAMES"];
    if script.no_transaction {
        return false;
    }
    let upper = script.sql.to_ascii_uppercase();
    if upper.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| LEXING.contains(&w)) {
        return false;
    }
    // The leading word, up to whatever ends it (`COMMIT/**/AND NO CHAIN` is a COMMIT too).
    let word = |sql: &str| -> String { sql.chars().take_while(char::is_ascii_alphabetic).collect() };
    !split::statements(&script.sql).iter().any(|s| {
        let first = word(s.sql).to_ascii_uppercase();
        let second = || word(s.sql[first.len()..].trim_start()).to_ascii_uppercase();
        CONTROL.contains(&first.as_str()) || (first == "PREPARE" && second() == "TRANSACTION")
    })
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
    fn scripts_that_control_transactions_copy_or_change_lexing_are_not_sent_whole() {
        assert!(whole(&script("CREATE TABLE t (id int);\n-- a note\nCOMMENT ON TABLE t IS 'x; y';")));
        assert!(whole(&script("PREPARE q AS SELECT 1;")));
        for sql in [
            "CREATE TABLE t (id int);\ncommit;",
            "CREATE TABLE a (id int);\nCOMMIT/**/AND NO CHAIN;",
            "END/**/TRANSACTION;",
            "prepare transaction 'x';",
            "COPY t FROM STDIN;",
            "SET standard_conforming_strings = off;\nSELECT 'a\\';",
            "SET LOCAL client_encoding = 'EUC_JP';",
            "SET\n  NAMES 'LATIN1';",
            "SET LOCAL NAMES 'LATIN1';",
            "SET /* latin */ NAMES 'LATIN1';",
        ] {
            assert!(!whole(&script(sql)), "{sql}");
        }
        let mut outside = script("CREATE INDEX CONCURRENTLY i ON t (id);");
        outside.no_transaction = true;
        assert!(!whole(&outside));
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(literal(r"it's a\b"), r"E'it''s a\\b'");
    }
}
