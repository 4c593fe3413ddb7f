//! The rule table (id, severity, one-line reason and fix: the README lists the same) and the walk that hands
//! each statement to the rule modules.

mod hygiene;
mod locking;
mod rewrite;

use std::collections::{HashMap, HashSet};

use super::statements::Stmt;
use crate::check::Severity;

/// One lint rule, as the README documents it.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    /// Why it is dangerous, one line.
    pub reason: &'static str,
    /// What to do instead, one line.
    pub fix: &'static str,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $sev:ident, $reason:literal, $fix:literal;)*) => {
        $(pub const $name: &Rule = &Rule { id: $id, severity: Severity::$sev, reason: $reason, fix: $fix };)*
        /// Every rule, in the README's order.
        pub const RULES: &[&Rule] = &[$($name),*];
    };
}

rules! {
    INDEX_NOT_CONCURRENT = "index-not-concurrent", Error,
        "CREATE INDEX (or an added UNIQUE/PRIMARY KEY) on an existing table blocks its writes until the index is built",
        "CREATE INDEX CONCURRENTLY in a `-- rehab:no-transaction` migration (then ADD CONSTRAINT ... USING INDEX)";
    CONCURRENT_IN_TRANSACTION = "concurrent-in-transaction", Error,
        "CONCURRENTLY cannot run inside a transaction block, and rehab runs the file in one",
        "make `-- rehab:no-transaction` the file's first line (rehab then runs each statement on its own)";
    NO_TRANSACTION_NOT_IDEMPOTENT = "no-transaction-not-idempotent", Warning,
        "a no-transaction file that fails half-way leaves its first statements applied; rerunning it then fails",
        "use IF NOT EXISTS / IF EXISTS so the file can be run again";
    CONSTRAINT_NOT_VALID = "constraint-not-valid", Error,
        "ADD FOREIGN KEY / CHECK on an existing table scans every row while holding a lock that blocks writes",
        "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration";
    SET_NOT_NULL = "set-not-null", Warning,
        "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
        "first add CHECK (col IS NOT NULL) NOT VALID and validate it (a later migration); SET NOT NULL then skips the scan";
    ADD_COLUMN_VOLATILE_DEFAULT = "add-column-volatile-default", Error,
        "a volatile default (gen_random_uuid(), random(), clock_timestamp(), serial, identity) rewrites the whole table",
        "add the column without a default, set the default, then backfill in batches";
    ADD_COLUMN_NOT_NULL_NO_DEFAULT = "add-column-not-null-no-default", Error,
        "adding a NOT NULL column without a default fails on a table that has rows",
        "give it a constant default, or add it nullable, backfill, then set NOT NULL";
    COLUMN_TYPE_CHANGE = "column-type-change", Error,
        "ALTER COLUMN TYPE rewrites the table and its indexes under an ACCESS EXCLUSIVE lock",
        "add a new column, backfill it, switch the code over, then drop the old one";
    RENAME = "rename", Warning,
        "running code may still use the old name of the column or table",
        "add the new name beside the old (a view or a new column), move the code, then drop the old name";
    DROP = "drop", Warning,
        "DROP TABLE/COLUMN/TYPE in an up script destroys data, and running code may still use it",
        "stop using it in the code first, and drop it in a later migration (suppress with the reason)";
    ENUM_ADD_VALUE_IN_TRANSACTION = "enum-add-value-in-transaction", Warning,
        "a value added with ALTER TYPE ... ADD VALUE cannot be used in the transaction that added it",
        "use the new value in a later migration, or make this one `-- rehab:no-transaction`";
    MISSING_LOCK_TIMEOUT = "missing-lock-timeout", Warning,
        "DDL on an existing table waits behind long queries, and every query behind it waits too",
        "start the file with SET lock_timeout = '5s' (and retry on timeout)";
    TIMESTAMP_WITHOUT_TIME_ZONE = "timestamp-without-time-zone", Warning,
        "timestamp without time zone stores wall-clock time and loses the offset",
        "use timestamptz";
    JSON_NOT_JSONB = "json-not-jsonb", Warning,
        "json keeps the text as written: no indexing, no containment operators, reparsed on every read",
        "use jsonb";
    CHAR_LENGTH = "char-length", Warning,
        "varchar(n)/char(n) limits fail inserts later and changing them takes a migration; char(n) pads with blanks",
        "use text (with a CHECK on char_length if a limit matters)";
    SERIAL_PRIMARY_KEY = "int4-primary-key", Warning,
        "an integer serial/identity primary key runs out at 2,147,483,647 rows",
        "use bigint GENERATED ALWAYS AS IDENTITY";
    IDENTIFIER_TOO_LONG = "identifier-too-long", Error,
        "PostgreSQL silently truncates identifiers to 63 bytes, so two names can collide",
        "shorten the name to 63 bytes or fewer";
    MISSING_DOWN_SCRIPT = "missing-down-script", Error,
        "without V{n}__{name}.down.sql the migration cannot be rolled back or proved",
        "add the down script, or one whose first line is `-- rehab:irreversible`";
    APPLIED_FILE_EDITED = "applied-file-edited", Error,
        "the file was changed after the target database applied it, so other databases run different SQL",
        "restore the applied text and make the change in a new migration";
    MISNAMED_FILE = "misnamed-file", Error,
        "refinery silently skips a file not named V{n}__{name}.sql (letters, digits and _ only)",
        "rename it V{version}__{name}.sql (or .down.sql)";
    ALLOW_WITHOUT_REASON = "allow-without-reason", Error,
        "a suppression must say why the finding is safe here, for the next reader",
        "write `-- rehab:allow RULE the reason` (the suppression is ignored until it has one)";
    ALLOW_UNKNOWN_RULE = "allow-unknown-rule", Error,
        "the suppression names no rule rehab has, so it suppresses nothing",
        "use a rule id from `rehab check`'s README list";
}

/// The rule with this id.
#[must_use]
pub fn by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// A rule that fired at a place in the script, with its message.
pub struct Hit {
    pub rule: &'static Rule,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// What the rules know while they walk one script.
#[derive(Default)]
#[allow(clippy::struct_excessive_bools, reason = "independent facts about one file, read by different rules")]
pub struct FileState {
    pub in_transaction: bool,
    pub is_down: bool,
    /// Tables created by this migration (its up script, for a down script), qualified names.
    pub new_tables: HashSet<String>,
    /// Types created by this migration.
    pub new_types: HashSet<String>,
    /// A `SET lock_timeout` ran earlier in the file.
    pub lock_timeout: bool,
    /// `missing-lock-timeout` fired already (once per file).
    pub lock_timeout_reported: bool,
    /// Enum values added by this file (`ADD VALUE 'x'`), to spot their use later in the same transaction.
    pub added_enum_values: Vec<String>,
}

/// What earlier migrations built, as far as the rules need it.
#[derive(Default)]
pub struct Model {
    /// Table (qualified) to the version that created it.
    pub tables: HashMap<String, i32>,
    /// (table, column) pairs with a validated `CHECK (column IS NOT NULL)`.
    pub not_null_checks: HashSet<(String, String)>,
    /// (table, column) to its declared type (`VARCHAR(20)`), from CREATE TABLE and ADD COLUMN.
    pub column_types: HashMap<(String, String), sqlparser::ast::DataType>,
    /// (table, constraint) to its column, for `CHECK (column IS NOT NULL) NOT VALID` not validated yet.
    pub unvalidated_checks: HashMap<(String, String), String>,
}

/// Where the rules are: the state of the file being walked and the catalog's model before this migration.
pub struct Scope<'a> {
    pub file: &'a mut FileState,
    pub model: &'a mut Model,
}

impl Scope<'_> {
    /// True for a table this migration did not create: it may hold rows and running queries.
    pub fn existing(&self, table: &str) -> bool {
        !self.file.new_tables.contains(table)
    }

    /// `public.t (created by V3)` or `public.t`.
    pub fn describe(&self, table: &str) -> String {
        match self.model.tables.get(table) {
            Some(v) => format!("{table} (created by V{v})"),
            None => table.to_string(),
        }
    }
}

/// Every hit on one statement; the rules also update `scope` with what the statement creates.
pub fn check(stmt: &Stmt<'_>, scope: &mut Scope<'_>, hits: &mut Vec<Hit>) {
    let mut hit = |rule: &'static Rule, (line, column): (u32, u32), message: String| {
        hits.push(Hit { rule, line, column, message });
    };
    let start = (stmt.line, stmt.column);
    locking::check(stmt, scope, start, &mut hit);
    rewrite::check(stmt, scope, start, &mut hit);
    hygiene::check(stmt, &mut hit);
    match stmt.parse() {
        Some(Ok(parsed)) => locking::record(parsed, scope),
        None => {}
        Some(Err(_)) => {
            if let Some(table) = stmt.created_table() {
                scope.file.new_tables.insert(table);
            }
        }
    }
}

/// The callback rules report through.
pub type Report<'r> = dyn FnMut(&'static Rule, (u32, u32), String) + 'r;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_the_readme_lists_every_rule_as_the_code_says() {
        let readme = include_str!("../../../../README.md");
        let mut seen = HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "{} twice", r.id);
            let sev = match r.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let row = format!("| `{}` | {sev} | {} | {} |", r.id, r.reason, r.fix);
            assert!(readme.contains(&row), "README.md lacks the rule's row, word for word:\n{row}");
        }
    }
}
