//! Lint on the bundled migrations and on the rules' edge cases that the integration tests do not reach.

use super::*;

#[test]
fn the_bundled_migrations_are_clean() {
    let lint = lint(&MigrationCatalog::embedded().unwrap(), None, Vec::new());
    let shown: Vec<String> =
        lint.findings.iter().map(|f| format!("{}:{}:{} {} {}", f.file, f.line, f.column, f.rule, f.message)).collect();
    assert!(shown.is_empty(), "{}", shown.join("\n"));
    // sqlparser cannot read COMMENT ON FUNCTION f() or ON TRIGGER, but no rule reads comments: not parsed at all.
    let unparsed: Vec<_> = lint.unparsed.iter().map(|u| format!("{}:{}: {}", u.file, u.line, u.reason)).collect();
    assert!(unparsed.is_empty(), "{unparsed:?}");
}

fn catalog(files: &[(&str, &str)]) -> MigrationCatalog {
    let files = files.iter().map(|(n, s)| ((*n).to_string(), (*s).to_string())).collect();
    MigrationCatalog::from_files(Source::Embedded, files).unwrap()
}

#[test]
fn an_applied_file_edited_since_is_an_error_on_its_first_line() {
    let c = catalog(&[("V1__a.sql", "CREATE TABLE a (id int);"), ("V1__a.down.sql", "DROP TABLE a;")]);
    let applied = |checksum: String| {
        vec![AppliedMigration { version: 1, name: "a".into(), applied_on: "2026-01-01".into(), checksum }]
    };
    let same = lint(&c, Some(&applied(c.migrations[0].checksum().to_string())), Vec::new());
    assert!(same.findings.is_empty(), "{:?}", same.findings);
    let edited = lint(&c, Some(&applied("1".into())), Vec::new());
    let f: Vec<_> = edited.findings.iter().map(|f| (f.rule, f.file.as_str(), f.line)).collect();
    assert_eq!(f, vec![("applied-file-edited", "V1__a.sql", 1)]);
    assert!(lint(&c, None, Vec::new()).findings.is_empty(), "no history, no judgement");
}
