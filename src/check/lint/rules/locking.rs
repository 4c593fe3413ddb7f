//! Rules about locks and transactions: indexes and constraints built on an existing table, CONCURRENTLY in a
//! transaction, no-transaction files that cannot be rerun, SET NOT NULL, and DDL without a `lock_timeout`.

use sqlparser::ast::{AlterColumnOperation, AlterTableOperation, Expr, ObjectType, Statement, TableConstraint};

use super::{
    CONCURRENT_IN_TRANSACTION, CONSTRAINT_NOT_VALID, INDEX_NOT_CONCURRENT, MISSING_LOCK_TIMEOUT,
    NO_TRANSACTION_NOT_IDEMPOTENT, Report, SET_NOT_NULL, Scope,
};
use crate::check::lint::statements::{Stmt, ident, qualified};

pub fn check(stmt: &Stmt<'_>, scope: &mut Scope<'_>, start: (u32, u32), hit: &mut Report<'_>) {
    // Word-level, so a statement sqlparser cannot read is still checked.
    let verb = stmt.verb();
    if scope.file.in_transaction
        && matches!(verb, "CREATE" | "DROP" | "REINDEX" | "REFRESH" | "ALTER")
        && stmt.has_word("CONCURRENTLY")
    {
        hit(CONCURRENT_IN_TRANSACTION, start, format!("{verb} ... CONCURRENTLY in a file that runs in a transaction"));
    }
    if sets_lock_timeout(stmt) {
        scope.file.lock_timeout = true;
    }
    let Some(parsed) = stmt.statement() else { return };
    let no_tx = !scope.file.in_transaction;
    match parsed {
        Statement::CreateIndex(ci) => {
            let table = qualified(&ci.table_name);
            let name = ci.name.as_ref().map_or_else(|| "(unnamed)".to_string(), ToString::to_string);
            if !ci.concurrently && scope.existing(&table) {
                let on = scope.describe(&table);
                hit(
                    INDEX_NOT_CONCURRENT,
                    start,
                    format!("CREATE INDEX {name} on existing table {on} without CONCURRENTLY"),
                );
                lock_timeout(scope, &table, start, hit);
            }
            if no_tx && !ci.if_not_exists {
                hit(NO_TRANSACTION_NOT_IDEMPOTENT, start, format!("CREATE INDEX {name} without IF NOT EXISTS"));
            }
        }
        Statement::AlterTable(at) => alter_table(&qualified(&at.name), &at.operations, scope, start, hit),
        Statement::CreateTable(ct) if no_tx && !ct.if_not_exists => {
            hit(NO_TRANSACTION_NOT_IDEMPOTENT, start, format!("CREATE TABLE {} without IF NOT EXISTS", ct.name));
        }
        Statement::CreateSchema { schema_name, if_not_exists: false, .. } if no_tx => {
            hit(NO_TRANSACTION_NOT_IDEMPOTENT, start, format!("CREATE SCHEMA {schema_name} without IF NOT EXISTS"));
        }
        Statement::Drop { object_type, if_exists, names, .. } => {
            if no_tx && !if_exists {
                hit(NO_TRANSACTION_NOT_IDEMPOTENT, start, format!("DROP {object_type} without IF EXISTS"));
            }
            if *object_type == ObjectType::Table {
                let existing: Vec<String> = names.iter().map(qualified).filter(|t| scope.existing(t)).collect();
                for table in existing {
                    lock_timeout(scope, &table, start, hit);
                }
            }
        }
        _ => {}
    }
}

fn alter_table(
    table: &str,
    ops: &[AlterTableOperation],
    scope: &mut Scope<'_>,
    start: (u32, u32),
    hit: &mut Report<'_>,
) {
    let existing = scope.existing(table);
    let on = scope.describe(table);
    for op in ops {
        if !scope.file.in_transaction {
            idempotent(op, table, start, hit);
        }
        if !existing {
            continue;
        }
        match op {
            AddConstraint { constraint, not_valid: false } => match constraint {
                TableConstraint::ForeignKey(_) | TableConstraint::Check(_) => {
                    let kind = if matches!(constraint, TableConstraint::Check(_)) { "CHECK" } else { "FOREIGN KEY" };
                    hit(CONSTRAINT_NOT_VALID, start, format!("ADD {kind} on existing table {on} without NOT VALID"));
                }
                TableConstraint::Unique(_) | TableConstraint::PrimaryKey(_) => {
                    let msg = format!("ADD UNIQUE/PRIMARY KEY on existing table {on} builds its index under a lock");
                    hit(INDEX_NOT_CONCURRENT, start, msg);
                }
                _ => {}
            },
            AlterColumn { column_name, op: AlterColumnOperation::SetNotNull } => {
                let column = ident(column_name);
                if !scope.model.not_null_checks.contains(&(table.to_string(), column.clone())) {
                    let msg =
                        format!("SET NOT NULL on {table}.{column} (existing table) without a validated CHECK first");
                    hit(SET_NOT_NULL, start, msg);
                }
            }
            _ => {}
        }
    }
    // VALIDATE CONSTRAINT takes a lock that lets reads and writes through; everything else blocks them.
    if existing && ops.iter().any(|op| !matches!(op, AlterTableOperation::ValidateConstraint { .. })) {
        lock_timeout(scope, table, start, hit);
    }
}

use AlterTableOperation::{AddColumn, AddConstraint, AlterColumn, DropColumn, DropConstraint};

fn idempotent(op: &AlterTableOperation, table: &str, start: (u32, u32), hit: &mut Report<'_>) {
    let what = match op {
        AddColumn { if_not_exists: false, column_def, .. } => {
            format!("ADD COLUMN {} without IF NOT EXISTS", column_def.name)
        }
        DropColumn { if_exists: false, column_names, .. } => {
            format!(
                "DROP COLUMN {} without IF EXISTS",
                column_names.first().map(ToString::to_string).unwrap_or_default()
            )
        }
        DropConstraint { if_exists: false, name, .. } => format!("DROP CONSTRAINT {name} without IF EXISTS"),
        _ => return,
    };
    hit(NO_TRANSACTION_NOT_IDEMPOTENT, start, format!("ALTER TABLE {table} {what}"));
}

/// `missing-lock-timeout`, once per file: the first DDL on an existing table with no `lock_timeout` set before it.
fn lock_timeout(scope: &mut Scope<'_>, table: &str, start: (u32, u32), hit: &mut Report<'_>) {
    if scope.file.lock_timeout || scope.file.lock_timeout_reported {
        return;
    }
    scope.file.lock_timeout_reported = true;
    hit(
        MISSING_LOCK_TIMEOUT,
        start,
        format!("DDL on existing table {} with no lock_timeout set before it", scope.describe(table)),
    );
}

/// `SET [LOCAL] lock_timeout ...` or `SELECT set_config('lock_timeout', ...)`.
fn sets_lock_timeout(stmt: &Stmt<'_>) -> bool {
    let verb = stmt.verb();
    (verb == "SET" && stmt.has_word("lock_timeout"))
        || (verb == "SELECT" && stmt.has_word("set_config") && stmt.sql.to_ascii_lowercase().contains("'lock_timeout'"))
}

/// Remembers what the statement creates (tables, types), column types and validated NOT NULL checks, for the
/// statements and migrations after it.
pub fn record(parsed: &Statement, scope: &mut Scope<'_>) {
    match parsed {
        Statement::CreateTable(ct) => {
            let table = qualified(&ct.name);
            for c in ct.columns.iter().filter(|_| !scope.file.is_down) {
                scope.model.column_types.insert((table.clone(), ident(&c.name)), c.data_type.clone());
            }
            scope.file.new_tables.insert(table);
        }
        Statement::CreateType { name, .. } => {
            scope.file.new_types.insert(qualified(name));
        }
        // What a down script changes is undone before the next migration runs: the model follows up scripts only.
        Statement::AlterTable(at) if !scope.file.is_down => {
            let table = qualified(&at.name);
            for op in &at.operations {
                match op {
                    AddConstraint { constraint: TableConstraint::Check(c), not_valid } => {
                        let Some(column) = not_null_column(&c.expr) else { continue };
                        if *not_valid {
                            let name = c.name.as_ref().map(ident).unwrap_or_default();
                            scope.model.unvalidated_checks.insert((table.clone(), name), column);
                        } else {
                            scope.model.not_null_checks.insert((table.clone(), column));
                        }
                    }
                    AddColumn { column_def: c, .. } => {
                        scope.model.column_types.insert((table.clone(), ident(&c.name)), c.data_type.clone());
                    }
                    AlterColumn { column_name, op: AlterColumnOperation::SetDataType { data_type, .. } } => {
                        scope.model.column_types.insert((table.clone(), ident(column_name)), data_type.clone());
                    }
                    AlterTableOperation::ValidateConstraint { name } => {
                        if let Some(column) = scope.model.unvalidated_checks.remove(&(table.clone(), ident(name))) {
                            scope.model.not_null_checks.insert((table.clone(), column));
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// `col IS NOT NULL` -> `col`.
fn not_null_column(expr: &Expr) -> Option<String> {
    match expr {
        Expr::IsNotNull(inner) => match inner.as_ref() {
            Expr::Identifier(i) => Some(ident(i)),
            _ => None,
        },
        Expr::Nested(inner) => not_null_column(inner),
        _ => None,
    }
}
