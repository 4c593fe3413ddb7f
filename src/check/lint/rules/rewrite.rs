//! Rules about changes that rewrite, fail on or break an existing table: added columns with a volatile
//! default or NOT NULL and no default, type changes, renames, drops, and enum values used too early.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, AlterTypeOperation, CharacterLength, ColumnDef, ColumnOption, DataType,
    GeneratedExpressionMode, ObjectType, Statement,
};
use sqlparser::tokenizer::Token;

use super::{
    ADD_COLUMN_NOT_NULL_NO_DEFAULT, ADD_COLUMN_VOLATILE_DEFAULT, COLUMN_TYPE_CHANGE, DROP,
    ENUM_ADD_VALUE_IN_TRANSACTION, RENAME, Report, Scope,
};
use crate::check::lint::statements::{Stmt, ident, qualified};

/// Functions whose value changes per row: as a default of an added column, each row needs its own, so
/// PostgreSQL rewrites the table (a stable one such as `now()` is computed once and stored in the catalog).
const VOLATILE: &[&str] = &[
    "gen_random_uuid(",
    "uuid_generate_v1(",
    "uuid_generate_v1mc(",
    "uuid_generate_v4(",
    "uuidv4(",
    "uuidv7(",
    "random(",
    "clock_timestamp(",
    "timeofday(",
    "nextval(",
    "txid_current(",
    "pg_current_xact_id(",
];

/// Types whose default is `nextval(...)`.
const SERIAL: &[&str] = &["serial", "serial4", "serial8", "bigserial", "smallserial", "serial2"];

pub fn check(stmt: &Stmt<'_>, scope: &mut Scope<'_>, start: (u32, u32), hit: &mut Report<'_>) {
    enum_values_used(stmt, scope, start, hit);
    let Some(parsed) = stmt.statement() else { return };
    match parsed {
        Statement::AlterTable(at) => {
            let table = qualified(&at.name);
            if scope.existing(&table) {
                for op in &at.operations {
                    alter(stmt, &table, op, scope, start, hit);
                }
            }
        }
        Statement::Drop { object_type: kind @ (ObjectType::Table | ObjectType::Type), names, .. }
            if !scope.file.is_down =>
        {
            let new = if *kind == ObjectType::Table { &scope.file.new_tables } else { &scope.file.new_types };
            for name in names.iter().filter(|n| !new.contains(&qualified(n))) {
                hit(DROP, start, format!("DROP {kind} {name} in an up script"));
            }
        }
        Statement::AlterType(at) => match &at.operation {
            AlterTypeOperation::AddValue(add) if scope.file.in_transaction => {
                scope.file.added_enum_values.push(add.value.value.clone());
            }
            _ => {}
        },
        _ => {}
    }
}

fn alter(
    stmt: &Stmt<'_>,
    table: &str,
    op: &AlterTableOperation,
    scope: &Scope<'_>,
    start: (u32, u32),
    hit: &mut Report<'_>,
) {
    let on = scope.describe(table);
    match op {
        AlterTableOperation::AddColumn { column_def, .. } => added_column(stmt, column_def, &on, hit),
        AlterTableOperation::AlterColumn {
            column_name,
            op: AlterColumnOperation::SetDataType { data_type, using, .. },
        } => {
            let old = scope.model.column_types.get(&(table.to_string(), ident(column_name)));
            if using.is_none() && old.is_some_and(|old| widens(old, data_type)) {
                return;
            }
            let msg = format!("ALTER COLUMN {column_name} TYPE {data_type} on existing table {on}");
            hit(COLUMN_TYPE_CHANGE, stmt.at(column_name.span), msg);
        }
        AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
            let msg = format!("RENAME COLUMN {old_column_name} TO {new_column_name} on existing table {on}");
            hit(RENAME, stmt.at(old_column_name.span), msg);
        }
        AlterTableOperation::RenameTable { table_name } => {
            let to = match table_name {
                sqlparser::ast::RenameTableNameKind::As(n) | sqlparser::ast::RenameTableNameKind::To(n) => n,
            };
            hit(RENAME, start, format!("RENAME existing table {on} TO {to}"));
        }
        AlterTableOperation::DropColumn { column_names, .. } if !scope.file.is_down => {
            for c in column_names {
                hit(DROP, stmt.at(c.span), format!("DROP COLUMN {c} of existing table {on} in an up script"));
            }
        }
        _ => {}
    }
}

fn added_column(stmt: &Stmt<'_>, column: &ColumnDef, on: &str, hit: &mut Report<'_>) {
    let at = stmt.at(column.name.span);
    let name = &column.name;
    let mut default = None;
    let mut generated = false;
    let mut not_null = false;
    for o in &column.options {
        match &o.option {
            ColumnOption::Default(expr) => default = Some(expr.to_string().to_ascii_lowercase()),
            ColumnOption::Generated { generation_expr_mode, .. } => {
                generated = *generation_expr_mode != Some(GeneratedExpressionMode::Virtual);
            }
            ColumnOption::Identity(_) => generated = true,
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_) => not_null = true,
            _ => {}
        }
    }
    let serial = matches!(&column.data_type, DataType::Custom(n, _)
        if SERIAL.contains(&n.to_string().to_ascii_lowercase().as_str()));
    if let Some(f) = default.as_deref().and_then(|d| VOLATILE.iter().find(|f| d.contains(**f))) {
        let msg = format!("ADD COLUMN {name} with volatile default {f}) on existing table {on}");
        hit(ADD_COLUMN_VOLATILE_DEFAULT, at, msg);
    } else if serial || generated {
        let what = if serial { column.data_type.to_string() } else { "a generated value".to_string() };
        hit(ADD_COLUMN_VOLATILE_DEFAULT, at, format!("ADD COLUMN {name} with {what} on existing table {on}"));
    } else if not_null && default.is_none() {
        let msg = format!("ADD COLUMN {name} NOT NULL without a default on existing table {on}");
        hit(ADD_COLUMN_NOT_NULL_NO_DEFAULT, at, msg);
    }
}

/// A change PostgreSQL makes in the catalog alone (no rewrite, no scan): a varchar limit raised or removed, or
/// varchar to text; the old type comes from the earlier migrations.
fn widens(old: &DataType, new: &DataType) -> bool {
    let limit = |t: &DataType| match t {
        DataType::Varchar(n) | DataType::CharacterVarying(n) => Some(n.as_ref().map(length)),
        DataType::Text => Some(None),
        _ => None,
    };
    match (limit(old), limit(new)) {
        (Some(_), Some(None)) => true,
        (Some(Some(Some(old))), Some(Some(Some(new)))) => new >= old,
        _ => false,
    }
}

fn length(n: &CharacterLength) -> Option<u64> {
    match n {
        CharacterLength::IntegerLength { length, .. } => Some(*length),
        CharacterLength::Max => None,
    }
}

/// A string literal equal to a value this transaction added to an enum, once per value.
fn enum_values_used(stmt: &Stmt<'_>, scope: &mut Scope<'_>, start: (u32, u32), hit: &mut Report<'_>) {
    if scope.file.added_enum_values.is_empty() || stmt.verb() == "ALTER" && stmt.has_word("VALUE") {
        return;
    }
    let used: Vec<String> = scope
        .file
        .added_enum_values
        .iter()
        .filter(|v| stmt.tokens().iter().any(|t| matches!(&t.token, Token::SingleQuotedString(s) if s == *v)))
        .cloned()
        .collect();
    for value in used {
        scope.file.added_enum_values.retain(|v| *v != value);
        hit(
            ENUM_ADD_VALUE_IN_TRANSACTION,
            start,
            format!("uses enum value '{value}' added earlier in the same transaction"),
        );
    }
}
