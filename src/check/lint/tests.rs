//! Lint on the bundled migrations and on the rules' edge cases that the integration tests do not reach.

use super::*;

#[test]
fn the_bundled_migrations_are_clean() {
    let lint = lint(&MigrationCatalog::embedded().unwrap(), None, Vec::new());
    let shown: Vec<String> =
        lint.findings.iter().map(|f| format!("{}:{}:{} {} {}", f.file, f.line, f.column, f.rule, f.message)).collect();
    assert!(shown.is_empty(), "{}", shown.join("\n"));
    for u in &lint.unparsed {
        eprintln!("unparsed {}:{}: {}", u.file, u.line, u.reason);
    }
}
