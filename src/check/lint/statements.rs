//! A script as statements the rules can read: split with rehab's own splitter (so one statement sqlparser
//! cannot read does not hide the others) and located at their exact line and column. Tokens and the parse are
//! made on first use: only the statements a rule reads (CREATE TABLE/INDEX/TYPE/SCHEMA, ALTER TABLE/TYPE, DROP)
//! are parsed, and DML is not even tokenized unless a rule asks, which keeps lint fast on long scripts.

use std::cell::OnceCell;

use sqlparser::ast::{ObjectName, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Span, Token, TokenWithSpan, Tokenizer};

use crate::migrations::split;

/// One statement of a script.
pub struct Stmt<'a> {
    pub sql: &'a str,
    /// 1-based line and column of the statement's first character in the script.
    pub line: u32,
    pub column: u32,
    /// The first word, upper case (`CREATE`, `ALTER`, `SET`...).
    verb: String,
    /// Whether the rules read this statement as a tree (see `read_by_rules`): decided once, `parse` asks each call.
    read: bool,
    tokens: OnceCell<Vec<TokenWithSpan>>,
    parsed: OnceCell<Result<Statement, String>>,
}

impl Stmt<'_> {
    /// The script position of a span inside this statement, or the statement's own start for an empty span.
    pub fn at(&self, span: Span) -> (u32, u32) {
        let (line, column) = (to_u32(span.start.line), to_u32(span.start.column));
        match line {
            0 => (self.line, self.column),
            1 => (self.line, self.column + column.saturating_sub(1)),
            n => (self.line + n - 1, column),
        }
    }

    /// The first word, upper case.
    pub fn verb(&self) -> &str {
        &self.verb
    }

    /// The statement's tokens (whitespace and comments left out).
    pub fn tokens(&self) -> &[TokenWithSpan] {
        self.tokens.get_or_init(|| tokens(&PostgreSqlDialect {}, self.sql))
    }

    /// The parse of a statement the rules read: `None` for the others, `Some(Err)` when sqlparser cannot read it.
    pub fn parse(&self) -> Option<Result<&Statement, &str>> {
        if !self.read {
            return None;
        }
        let parsed = self.parsed.get_or_init(|| {
            // The parser consumes its tokens: fresh ones, unless a word rule has tokenized the statement already.
            let dialect = PostgreSqlDialect {};
            parse(&dialect, self.tokens.get().map_or_else(|| tokens(&dialect, self.sql), Clone::clone))
        });
        Some(parsed.as_ref().map_err(String::as_str))
    }

    /// The parsed statement, when the rules read it and sqlparser could.
    pub fn statement(&self) -> Option<&Statement> {
        self.parse().and_then(Result::ok)
    }

    /// True when an unquoted word of the statement is `word`, case-insensitively. The text is searched first, so
    /// a statement that does not mention the word is never tokenized for it.
    pub fn has_word(&self, word: &str) -> bool {
        let (sql, word_bytes) = (self.sql.as_bytes(), word.as_bytes());
        contains_ignore_ascii_case(sql, word_bytes) && self.words().any(|w| w.eq_ignore_ascii_case(word))
    }

    /// False when no identifier of the statement can be longer than `max` bytes: no quoted identifier and no run of
    /// identifier characters that long (the test before tokenizing for `identifier-too-long`).
    pub fn may_name_longer_than(&self, max: usize) -> bool {
        let bytes = self.sql.as_bytes();
        bytes.contains(&b'"')
            || bytes
                .split(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$' || *b >= 0x80))
                .any(|run| run.len() > max)
    }

    /// The statement's unquoted words, in order.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.tokens().iter().filter_map(|t| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.as_str()),
            _ => None,
        })
    }

    /// For `CREATE [UNLOGGED | TEMP] TABLE [IF NOT EXISTS] name ...`, the name (qualified), read from the words: a
    /// table sqlparser cannot read is still known to be new.
    pub fn created_table(&self) -> Option<String> {
        let mut words = self.tokens().iter().peekable();
        let mut next_word = |expect: &[&str]| match words.peek().map(|t| &t.token) {
            Some(Token::Word(w))
                if w.quote_style.is_none() && expect.iter().any(|e| w.value.eq_ignore_ascii_case(e)) =>
            {
                words.next();
                true
            }
            _ => false,
        };
        if !next_word(&["CREATE"]) {
            return None;
        }
        while next_word(&["UNLOGGED", "TEMP", "TEMPORARY", "GLOBAL", "LOCAL"]) {}
        if !next_word(&["TABLE"]) {
            return None;
        }
        if next_word(&["IF"]) && !(next_word(&["NOT"]) && next_word(&["EXISTS"])) {
            return None;
        }
        let mut parts = Vec::new();
        let mut want_word = true;
        for t in words {
            match (&t.token, want_word) {
                (Token::Word(w), true) => {
                    parts.push(sqlparser::ast::Ident {
                        value: w.value.clone(),
                        quote_style: w.quote_style,
                        span: t.span,
                    });
                }
                (Token::Period, false) => {}
                _ => break,
            }
            want_word = !want_word;
        }
        (!parts.is_empty()).then(|| qualified(&ObjectName::from(parts)))
    }
}

/// The statements of `script`, in order.
pub fn statements(script: &str) -> Vec<Stmt<'_>> {
    let mut cursor = Cursor::default();
    split::statements(script)
        .into_iter()
        .map(|s| {
            let offset = s.sql.as_ptr() as usize - script.as_ptr() as usize;
            let column = cursor.column(script, offset);
            let verb: String =
                s.sql.chars().take_while(char::is_ascii_alphabetic).collect::<String>().to_ascii_uppercase();
            Stmt {
                sql: s.sql,
                line: to_u32(s.line as u64),
                column,
                read: read_by_rules(&verb, s.sql),
                verb,
                tokens: OnceCell::new(),
                parsed: OnceCell::new(),
            }
        })
        .collect()
}

/// CREATE TABLE/INDEX/TYPE/SCHEMA, ALTER TABLE/TYPE and DROP: the statements the rules read as a tree.
fn read_by_rules(verb: &str, sql: &str) -> bool {
    let mut words = sql.split(|c: char| c.is_whitespace() || c == '(').filter(|w| !w.is_empty()).skip(1);
    let mut next = || words.next().unwrap_or_default().to_ascii_uppercase();
    match verb {
        "DROP" => true,
        "ALTER" => matches!(next().as_str(), "TABLE" | "TYPE"),
        "CREATE" => loop {
            match next().as_str() {
                "UNIQUE" | "UNLOGGED" | "TEMP" | "TEMPORARY" | "GLOBAL" | "LOCAL" => {}
                w => break matches!(w, "TABLE" | "INDEX" | "TYPE" | "SCHEMA"),
            }
        },
        _ => false,
    }
}

/// `needle` in `haystack`, ASCII case ignored: the cheap test before tokenizing. A window is compared only where
/// its first byte matches.
fn contains_ignore_ascii_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else { return true };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    haystack.len() >= needle.len()
        && (0..=haystack.len() - needle.len()).any(|i| {
            (haystack[i] == lower || haystack[i] == upper) && haystack[i..i + needle.len()].eq_ignore_ascii_case(needle)
        })
}

fn tokens(dialect: &PostgreSqlDialect, sql: &str) -> Vec<TokenWithSpan> {
    // About one token (whitespace included) per three bytes: reserved, the vector does not grow a dozen times.
    let mut tokens = Vec::with_capacity(sql.len() / 3 + 4);
    if Tokenizer::new(dialect, sql).tokenize_with_location_into_buf(&mut tokens).is_err() {
        tokens.clear();
    }
    tokens.retain(|t| !matches!(t.token, Token::Whitespace(_)));
    tokens
}

fn parse(dialect: &PostgreSqlDialect, tokens: Vec<TokenWithSpan>) -> Result<Statement, String> {
    if tokens.is_empty() {
        return Err("sqlparser could not tokenize the statement".into());
    }
    let mut parser = Parser::new(dialect).with_tokens_with_locations(tokens);
    let mut statements = parser.parse_statements().map_err(|e| e.to_string())?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        n => Err(format!("sqlparser read {n} statements where rehab's splitter found one")),
    }
}

fn to_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Finds columns with one pass over the script, however many statements it holds.
#[derive(Default)]
struct Cursor {
    at: usize,
    line_start: usize,
}

impl Cursor {
    /// The 1-based column (in characters) of byte `offset`; offsets must not decrease between calls.
    fn column(&mut self, script: &str, offset: usize) -> u32 {
        if let Some(nl) = script[self.at..offset].rfind('\n') {
            self.line_start = self.at + nl + 1;
        }
        self.at = offset;
        to_u32(script[self.line_start..offset].chars().count() as u64 + 1)
    }
}

/// A relation's name as the server resolves it, for comparing names: unquoted parts fold to lower case and
/// an unqualified name is taken to be in `public` (the default search path).
#[must_use]
pub fn qualified(name: &ObjectName) -> String {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p.as_ident() {
            Some(i) if i.quote_style.is_some() => i.value.clone(),
            Some(i) => i.value.to_lowercase(),
            None => p.to_string(),
        })
        .collect();
    if parts.len() == 1 { format!("public.{}", parts[0]) } else { parts.join(".") }
}

/// The folded name of one identifier (a column).
#[must_use]
pub fn ident(i: &sqlparser::ast::Ident) -> String {
    if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_know_their_line_and_column() {
        let s = statements("-- head\nSELECT 1;  SELECT\n 2;\n\n  CREATE TABLE t (id int);");
        let at: Vec<_> = s.iter().map(|s| (s.line, s.column)).collect();
        assert_eq!(at, vec![(2, 1), (2, 12), (5, 3)]);
        assert!(s[2].statement().is_some());
        assert!(s[0].parse().is_none(), "a SELECT is not read as a tree");
    }

    #[test]
    fn an_unreadable_statement_does_not_hide_the_next() {
        let s = statements("CREATE TABLE t (LIKE u INCLUDING ALL) PARTITION BY nonsense;\nCREATE INDEX i ON t (x);");
        assert_eq!(s.len(), 2);
        assert!(matches!(s[0].parse(), Some(Err(_))));
        assert!(s[1].statement().is_some());
    }

    #[test]
    fn spans_inside_a_statement_map_to_the_script() {
        let s = statements("\n   CREATE TABLE t (\n  id json);");
        let Some(Statement::CreateTable(t)) = s[0].statement() else { panic!("{:?}", s[0].parse()) };
        assert_eq!(s[0].at(t.name.0[0].as_ident().unwrap().span), (2, 17));
        assert_eq!(s[0].at(t.columns[0].name.span), (3, 3));
    }

    #[test]
    fn a_created_table_is_known_from_its_words() {
        let s = statements(
            "CREATE UNLOGGED TABLE IF NOT EXISTS App.\"Big\" (id int); CREATE TABLE t AS SELECT 1; CREATE INDEX i ON t (x);",
        );
        let names: Vec<_> = s.iter().map(Stmt::created_table).collect();
        assert_eq!(names, vec![Some("app.Big".to_string()), Some("public.t".to_string()), None]);
    }

    #[test]
    fn names_fold_like_the_server() {
        let s = statements("ALTER TABLE App.\"Users\" ADD x int; ALTER TABLE Users ADD x int;");
        let names: Vec<_> = s
            .iter()
            .map(|s| match s.statement() {
                Some(Statement::AlterTable(a)) => qualified(&a.name),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, vec!["app.Users", "public.users"]);
    }
}
