//! A fixture for each lexical rule the splitter must know (each checked against PostgreSQL 15 by hand),
//! and properties: statements are exact slices that splitting and rejoining leave unchanged, and a script
//! generated from tricky tokens splits into exactly the statements it was built from.

use proptest::prelude::*;

use super::{lex, statements};

fn sqls(s: &str) -> Vec<&str> {
    statements(s).into_iter().map(|s| s.sql).collect()
}

#[test]
fn e_strings_take_backslash_escapes() {
    assert_eq!(sqls(r"SELECT E'it\'s; here'; SELECT 2"), [r"SELECT E'it\'s; here'", "SELECT 2"]);
    assert_eq!(sqls(r"select e'a\\'; select 2"), [r"select e'a\\'", "select 2"]);
    assert_eq!(sqls(r"select e'it''s; here'; select 2"), [r"select e'it''s; here'", "select 2"]);
}

#[test]
fn standard_strings_double_their_quotes_and_keep_backslashes() {
    assert_eq!(sqls("SELECT 'it''s; here'; SELECT 2"), ["SELECT 'it''s; here'", "SELECT 2"]);
    // A backslash is an ordinary character: the string is `a\` and `; select 2` follows it.
    assert_eq!(sqls(r"select 'a\'; select 2"), [r"select 'a\'", "select 2"]);
    assert_eq!(sqls(r"select N'a\', B'1', X'f'; select 2"), [r"select N'a\', B'1', X'f'", "select 2"]);
}

#[test]
fn an_e_before_a_quote_inside_a_word_is_part_of_the_word() {
    // `namE` is an identifier and `'a\'` a standard string after it, not an E-string.
    assert_eq!(sqls(r"select namE'a\'; select 2"), [r"select namE'a\'", "select 2"]);
}

#[test]
fn a_string_continued_on_the_next_line_keeps_its_kind() {
    // The server joins the two parts into one E-string, `\'` included (`ab'; c`).
    assert_eq!(sqls("select E'a'\n'b\\'; c'; select 2"), ["select E'a'\n'b\\'; c'", "select 2"]);
    assert_eq!(sqls("select E'a' -- note\n'b\\'; c'; select 2"), ["select E'a' -- note\n'b\\'; c'", "select 2"]);
    // Without a newline in between there is no continuation (and the server refuses the pair).
    assert_eq!(sqls(r"select E'a' 'b\'; c'"), [r"select E'a' 'b\'", "c'"]);
}

#[test]
fn unicode_strings_and_identifiers_follow_the_standard_rules() {
    assert_eq!(
        sqls(r"select U&'d\0061t''a; x' UESCAPE '!'; select u&'\'; select 2"),
        [r"select U&'d\0061t''a; x' UESCAPE '!'", r"select u&'\'", "select 2"]
    );
    assert_eq!(sqls(r#"select 1 as U&"a;""b"; select 2"#), [r#"select 1 as U&"a;""b""#, "select 2"]);
}

#[test]
fn dollar_quotes_end_only_at_their_own_tag() {
    let script = "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $$ ; $body$ LANGUAGE sql;\n\
                  DO $$ BEGIN PERFORM ';'; END $$;\nselect $a$ $b$ ; $b$ $a$; select $a$ x $ab$ ; $a$; select 2";
    assert_eq!(
        sqls(script),
        [
            "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $$ ; $body$ LANGUAGE sql",
            "DO $$ BEGIN PERFORM ';'; END $$",
            "select $a$ $b$ ; $b$ $a$",
            "select $a$ x $ab$ ; $a$",
            "select 2"
        ]
    );
}

#[test]
fn block_comments_nest() {
    assert_eq!(
        sqls("select 1 /* a /* b; ' */ still; \" comment */ + 1; select 2"),
        ["select 1 /* a /* b; ' */ still; \" comment */ + 1", "select 2"]
    );
}

#[test]
fn a_dollar_inside_an_identifier_opens_no_quote() {
    assert_eq!(sqls("select a$b$ from t; select 2"), ["select a$b$ from t", "select 2"]);
    assert_eq!(sqls("select foo$bar, x$ from t; select $$;$$"), ["select foo$bar, x$ from t", "select $$;$$"]);
}

#[test]
fn a_dollar_after_a_number_or_a_quoted_name_does_open_one() {
    // As on the server: `1` then the string `;`, and the typed literal `"x" ';'`.
    assert_eq!(sqls("select 1$a$;$a$; select 2"), ["select 1$a$;$a$", "select 2"]);
    assert_eq!(sqls(r#"select "x"$a$;$a$; select 2"#), [r#"select "x"$a$;$a$"#, "select 2"]);
}

#[test]
fn positional_parameters_are_not_dollar_quotes() {
    assert_eq!(sqls("prepare p as select $1; select 2"), ["prepare p as select $1", "select 2"]);
    assert_eq!(sqls("select $1, $12$; select 2$"), ["select $1, $12$", "select 2$"]);
}

#[test]
fn quoted_identifiers_double_their_quotes() {
    assert_eq!(
        sqls(r#"select "we;ird", "a""; b" from t; select 2"#),
        [r#"select "we;ird", "a""; b" from t"#, "select 2"]
    );
}

#[test]
fn line_comments_hide_quotes_and_semicolons() {
    assert_eq!(
        sqls("select 1 -- it's; not a string\n, 2; select 3"),
        ["select 1 -- it's; not a string\n, 2", "select 3"]
    );
    // `--` starts a comment even right after an operator character.
    assert_eq!(sqls("select 1 +-- it's;\n 2; select 3"), ["select 1 +-- it's;\n 2", "select 3"]);
}

#[test]
fn statements_start_at_their_code_and_know_its_line() {
    let s =
        statements("-- rehab:no-transaction\nCREATE INDEX CONCURRENTLY a ON t (x);\n\n  SELECT\n 2; -- two\n-- done\n");
    assert_eq!(
        s.iter().map(|s| (s.sql, s.line)).collect::<Vec<_>>(),
        [("CREATE INDEX CONCURRENTLY a ON t (x)", 2), ("SELECT\n 2", 4)]
    );
    assert_eq!(statements("select 1;\n/* a\n b */ select\n2")[1].line, 3);
}

#[test]
fn comments_and_empty_statements_are_not_sent() {
    assert!(sqls(" ;; /* only; a comment */ ; -- and; this\n").is_empty());
}

#[test]
fn unterminated_quotes_and_comments_run_to_the_end_for_the_server_to_report() {
    assert_eq!(sqls("select 'oops; select 2"), ["select 'oops; select 2"]);
    assert_eq!(sqls("select $a$ x; select 2"), ["select $a$ x; select 2"]);
    assert_eq!(sqls("select 1; /* open; select 2"), ["select 1", "/* open; select 2"]);
    assert_eq!(sqls(r"select E'a\"), [r"select E'a\"]);
}

/// Tokens that may stand anywhere in a statement, each holding no top-level `;` and none running into its
/// neighbour when separated by a space.
const CODE: &[&str] = &[
    "select",
    "1",
    "t.x",
    "(",
    ")",
    ",",
    "::text",
    "+",
    "-",
    "*",
    "/",
    r"E'it\'s; here'",
    r"e'\\'",
    r"E'a\\\'; b'",
    "'it''s; here'",
    r"'a\'",
    "''",
    r"U&'d\0061t''a; x'",
    r#"U&"we;""ird""#,
    r"N'x;'",
    "B'0;1'",
    "$$;$$",
    "$body$ select 'x; $$ ; $body$",
    "$a$ $b$ ; $b$ $a$",
    "$a$$a$",
    "a$b$",
    "foo$bar",
    "x$",
    r"namE'a\'",
    "$1",
    "$12",
    "1$q$;$q$",
    r#""x"$q$;$q$"#,
    r#""we;ird""#,
    r#""a""; b""#,
];

/// Comments inside a statement. The line comment's newline is followed by a word: a quote right after a
/// newline would continue a string before the comment, which is a different script.
const BLANK: &[&str] = &["/* a /* b; ' */ still; \" */", "-- it's; a \"comment\" $$ /*\nx"];

/// What may stand between statements; none of it becomes a statement.
const BETWEEN: &[&str] = &[";", ";\n", " ;\n\n\t", ";\n-- between; 'x'\n", "; /* c; */ ;", "; ;"];

fn statement() -> impl Strategy<Value = String> {
    let code = proptest::sample::select(CODE);
    let any = proptest::sample::select([CODE, BLANK].concat());
    let space = proptest::sample::select(vec![" ", "  ", "\t"]);
    (code, proptest::collection::vec((space, any), 0..6), proptest::sample::select(CODE)).prop_map(
        |(first, middle, last)| {
            let mut s = first.to_string();
            for (space, token) in middle {
                s.push_str(space);
                s.push_str(token);
            }
            s.push(' ');
            s.push_str(last);
            s
        },
    )
}

/// Scripts built from generated statements, with the statements and the line each starts on.
fn script() -> impl Strategy<Value = (String, Vec<(String, usize)>)> {
    let head = proptest::sample::select(vec!["", "-- rehab:no-transaction\n", "\n\n  ", "/* ; */"]);
    let tail = proptest::sample::select(vec!["", ";", ";\n-- end; '\n", "\n"]);
    let body = proptest::collection::vec((statement(), proptest::sample::select(BETWEEN)), 1..6);
    (head, body, tail).prop_map(|(head, body, tail)| {
        let mut script = head.to_string();
        let mut expected = Vec::new();
        for (n, (stmt, between)) in body.iter().enumerate() {
            if n > 0 {
                script.push_str(between);
            }
            expected.push((stmt.clone(), script.matches('\n').count() + 1));
            script.push_str(stmt);
        }
        script.push_str(tail);
        (script, expected)
    })
}

/// Short soups of the characters that matter, for scripts no one would write.
fn soup() -> impl Strategy<Value = String> {
    let chars =
        vec!['\'', '"', '$', ';', '-', '/', '*', '\\', '&', 'e', 'E', 'U', 'a', 'b', '1', '_', ' ', '\n', '\t', 'é'];
    proptest::collection::vec(proptest::sample::select(chars), 0..80).prop_map(|v| v.into_iter().collect())
}

/// Every property that must hold of any input.
fn check_any(input: &str) -> Result<(), TestCaseError> {
    // The tokens cover the input, in order, without gaps.
    let mut at = 0;
    for token in lex::tokens(input) {
        prop_assert_eq!(token.start, at);
        prop_assert!(token.end > token.start);
        at = token.end;
    }
    prop_assert_eq!(at, input.len());

    let found = statements(input);
    let mut rebuilt = String::new();
    let mut end = 0;
    for s in &found {
        // An exact slice of the input, after the previous one, on the line it says.
        let start = s.sql.as_ptr() as usize - input.as_ptr() as usize;
        prop_assert!(start >= end && !s.sql.is_empty());
        prop_assert_eq!(&input[start..start + s.sql.len()], s.sql);
        prop_assert_eq!(s.line, input[..start].matches('\n').count() + 1);
        // What lies between statements is only blanks and `;`s, with a `;` between two statements.
        let gap = &input[end..start];
        prop_assert!(statements(gap).is_empty(), "code in the gap {:?}", gap);
        if end > 0 {
            prop_assert!(lex::tokens(gap).any(|t| t.kind == lex::Kind::Semicolon), "no ; in {:?}", gap);
        }
        rebuilt.push_str(gap);
        rebuilt.push_str(s.sql);
        end = start + s.sql.len();
    }
    prop_assert!(statements(&input[end..]).is_empty());
    rebuilt.push_str(&input[end..]);
    prop_assert_eq!(&rebuilt, input);

    // Splitting the statements rejoined gives them back unchanged.
    let texts: Vec<&str> = found.iter().map(|s| s.sql).collect();
    let rejoined = texts.join(";\n");
    prop_assert_eq!(sqls(&rejoined), texts);
    Ok(())
}

proptest! {
    #[test]
    fn a_generated_script_splits_into_the_statements_it_was_built_from((script, expected) in script()) {
        let found: Vec<(String, usize)> =
            statements(&script).into_iter().map(|s| (s.sql.to_string(), s.line)).collect();
        prop_assert_eq!(found, expected, "script: {:?}", script);
        check_any(&script)?;
    }

    #[test]
    fn any_soup_splits_into_exact_slices_that_rejoin_unchanged(input in soup()) {
        check_any(&input)?;
    }

    #[test]
    fn any_text_splits_into_exact_slices_that_rejoin_unchanged(input in any::<String>()) {
        check_any(&input)?;
    }
}

#[test]
fn a_sql_standard_routine_body_is_one_statement_with_its_semicolons() {
    let script = "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 2 END;\nEND;\n\
                  create or replace procedure p() language sql begin atomic insert into t values (1); end;\n\
                  CREATE FUNCTION g() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 ELSE 2 END;\n\
                  BEGIN; SELECT 1; COMMIT;";
    assert_eq!(
        sqls(script),
        [
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 2 END;\nEND",
            "create or replace procedure p() language sql begin atomic insert into t values (1); end",
            "CREATE FUNCTION g() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 ELSE 2 END",
            "BEGIN",
            "SELECT 1",
            "COMMIT",
        ]
    );
}
