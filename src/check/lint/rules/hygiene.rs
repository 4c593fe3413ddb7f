//! Hygiene rules: column types that age badly (timestamp without time zone, json, varchar(n)/char(n), an
//! integer serial primary key) and identifiers the server would truncate.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, DataType, Statement, TableConstraint,
    TimezoneInfo,
};
use sqlparser::tokenizer::Token;

use super::{
    CHAR_LENGTH, IDENTIFIER_TOO_LONG, JSON_NOT_JSONB, Report, SERIAL_PRIMARY_KEY, TIMESTAMP_WITHOUT_TIME_ZONE,
};
use crate::check::lint::statements::{Stmt, ident};

/// PostgreSQL's NAMEDATALEN - 1.
const MAX_IDENTIFIER_BYTES: usize = 63;

pub fn check(stmt: &Stmt<'_>, hit: &mut Report<'_>) {
    // Names are defined by CREATE and ALTER; a long name in DML was truncated (and warned about) at its definition.
    // Tokens only behind the test: tokenizing every statement for this rule was most of lint's time.
    let defines = matches!(stmt.verb(), "CREATE" | "ALTER") && stmt.may_name_longer_than(MAX_IDENTIFIER_BYTES);
    if defines {
        for t in stmt.tokens() {
            if let Token::Word(w) = &t.token
                && w.value.len() > MAX_IDENTIFIER_BYTES
            {
                let msg = format!("identifier {} is {} bytes; the server keeps the first 63", w.value, w.value.len());
                hit(IDENTIFIER_TOO_LONG, stmt.at(t.span), msg);
            }
        }
    }
    let Some(parsed) = stmt.statement() else { return };
    match parsed {
        Statement::CreateTable(ct) => {
            let pk: Vec<String> = ct
                .constraints
                .iter()
                .filter_map(|c| match c {
                    TableConstraint::PrimaryKey(pk) if pk.columns.len() == 1 => Some(pk.columns[0].to_string()),
                    _ => None,
                })
                .collect();
            for column in &ct.columns {
                let in_table_pk = pk.iter().any(|p| p.eq_ignore_ascii_case(&ident(&column.name)));
                check_column(stmt, column, in_table_pk, hit);
            }
        }
        Statement::AlterTable(at) => {
            for op in &at.operations {
                match op {
                    AlterTableOperation::AddColumn { column_def, .. } => check_column(stmt, column_def, false, hit),
                    AlterTableOperation::AlterColumn {
                        column_name,
                        op: AlterColumnOperation::SetDataType { data_type, .. },
                    } => check_type(data_type, &ident(column_name), stmt.at(column_name.span), hit),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn check_column(stmt: &Stmt<'_>, column: &ColumnDef, in_table_pk: bool, hit: &mut Report<'_>) {
    let at = stmt.at(column.name.span);
    let name = ident(&column.name);
    check_type(&column.data_type, &name, at, hit);
    let options = || column.options.iter().map(|o| &o.option);
    let primary_key = in_table_pk || options().any(|o| matches!(o, ColumnOption::PrimaryKey(_)));
    if !primary_key {
        return;
    }
    let generated = options().any(|o| matches!(o, ColumnOption::Generated { .. } | ColumnOption::Identity(_)));
    let int4 = match &column.data_type {
        DataType::Custom(n, _) => matches!(n.to_string().to_ascii_lowercase().as_str(), "serial" | "serial4"),
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => generated,
        _ => false,
    };
    if int4 {
        hit(SERIAL_PRIMARY_KEY, at, format!("primary key {name} is a 4-byte {}", column.data_type));
    }
}

fn check_type(data_type: &DataType, column: &str, at: (u32, u32), hit: &mut Report<'_>) {
    match data_type {
        DataType::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            hit(TIMESTAMP_WITHOUT_TIME_ZONE, at, format!("column {column} is {data_type}"));
        }
        DataType::JSON => hit(JSON_NOT_JSONB, at, format!("column {column} is json")),
        DataType::Varchar(Some(_))
        | DataType::CharacterVarying(Some(_))
        | DataType::Char(_)
        | DataType::Character(_) => hit(CHAR_LENGTH, at, format!("column {column} is {data_type}")),
        _ => {}
    }
}
