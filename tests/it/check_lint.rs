//! `rehab check --lint-only`: every rule flags its fixture and passes its safe twin, suppressions, exit codes,
//! and the JSON, SARIF and github contracts. Lint needs no server: fixtures are migration folders on disk.

use std::path::Path;

use crate::support::{Exit, Rehab, Run};

/// V1 creates `t` (the existing table of every later fixture) and the enum `mood`.
const BASE: &str = "CREATE TYPE mood AS ENUM ('ok');\n\
                    CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, n int);";
const BASE_DOWN: &str = "DROP TABLE t;\nDROP TYPE mood;";

struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("a scratch folder");
        for (name, sql) in files {
            std::fs::write(dir.path().join(name), sql).unwrap();
        }
        Self { dir }
    }

    /// V1 (the base) and V2 = `up` with a harmless down script.
    fn v2(up: &str) -> Self {
        Self::new(&[
            ("V1__base.sql", BASE),
            ("V1__base.down.sql", BASE_DOWN),
            ("V2__x.sql", up),
            ("V2__x.down.sql", "SELECT 1;"),
        ])
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn check(&self, extra: &[&str]) -> Run {
        Rehab::new(self.path()).arg("--migrations").arg(self.path()).args(&["check", "--lint-only"]).args(extra).run()
    }

    /// The rule ids of the JSON findings, in order.
    fn rules(&self) -> Vec<String> {
        let run = self.check(&["--format", "json"]);
        assert!(matches!(run.status, Some(0 | 3)), "exit {:?}\n{}", run.status, run.stderr);
        run.json()["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
    }
}

#[track_caller]
fn pair(rule: &str, flagged: &str, clean: &str) {
    let got = Folder::v2(flagged).rules();
    assert!(got.iter().any(|r| r == rule), "{rule} not flagged in {flagged:?}: {got:?}");
    let got = Folder::v2(clean).rules();
    assert!(!got.iter().any(|r| r == rule), "{rule} flagged in the safe {clean:?}: {got:?}");
}

const LT: &str = "SET lock_timeout = '2s';\n";

#[test]
fn locking_rules() {
    pair("index-not-concurrent", "CREATE INDEX i ON t (name);", "CREATE TABLE u (id int);\nCREATE INDEX i ON u (id);");
    pair(
        "index-not-concurrent",
        "ALTER TABLE t ADD CONSTRAINT t_name_key UNIQUE (name);",
        "CREATE TABLE u (k text);\nALTER TABLE u ADD CONSTRAINT u_k_key UNIQUE (k);",
    );
    pair(
        "concurrent-in-transaction",
        "CREATE INDEX CONCURRENTLY i ON t (name);",
        "-- rehab:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (name);",
    );
    pair(
        "no-transaction-not-idempotent",
        "-- rehab:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (name);",
        "-- rehab:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (name);",
    );
    pair(
        "constraint-not-valid",
        &format!("{LT}ALTER TABLE t ADD CONSTRAINT n_pos CHECK (n > 0);"),
        &format!("{LT}ALTER TABLE t ADD CONSTRAINT n_pos CHECK (n > 0) NOT VALID;"),
    );
    pair(
        "constraint-not-valid",
        &format!(
            "{LT}CREATE TABLE p (id bigint PRIMARY KEY);\nALTER TABLE t ADD CONSTRAINT t_p FOREIGN KEY (n) REFERENCES p (id);"
        ),
        &format!("{LT}ALTER TABLE t VALIDATE CONSTRAINT t_p;"),
    );
    pair(
        "set-not-null",
        &format!("{LT}ALTER TABLE t ALTER COLUMN n SET NOT NULL;"),
        &format!(
            "{LT}ALTER TABLE t ADD CONSTRAINT n_nn CHECK (n IS NOT NULL) NOT VALID;\n\
             ALTER TABLE t VALIDATE CONSTRAINT n_nn;\nALTER TABLE t ALTER COLUMN n SET NOT NULL;"
        ),
    );
    pair("missing-lock-timeout", "ALTER TABLE t ADD COLUMN k int;", &format!("{LT}ALTER TABLE t ADD COLUMN k int;"));
    pair(
        "missing-lock-timeout",
        "DROP TABLE t;",
        "SELECT set_config('lock_timeout', '2s', true);\nCREATE TABLE u (id int);\nALTER TABLE u ADD COLUMN k int;",
    );
}

#[test]
fn rewrite_rules() {
    pair(
        "add-column-volatile-default",
        &format!("{LT}ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();"),
        &format!("{LT}ALTER TABLE t ADD COLUMN at timestamptz NOT NULL DEFAULT now();"),
    );
    pair(
        "add-column-volatile-default",
        &format!("{LT}ALTER TABLE t ADD COLUMN k bigserial;"),
        "CREATE TABLE u (id int);\nALTER TABLE u ADD COLUMN k bigserial;",
    );
    pair(
        "add-column-not-null-no-default",
        &format!("{LT}ALTER TABLE t ADD COLUMN k int NOT NULL;"),
        &format!("{LT}ALTER TABLE t ADD COLUMN k int NOT NULL DEFAULT 0;"),
    );
    pair(
        "column-type-change",
        &format!("{LT}ALTER TABLE t ALTER COLUMN n TYPE bigint;"),
        "CREATE TABLE u (n int);\nALTER TABLE u ALTER COLUMN n TYPE bigint;",
    );
    pair(
        "rename",
        &format!("{LT}ALTER TABLE t RENAME COLUMN name TO full_name;"),
        "CREATE TABLE u (name text);\nALTER TABLE u RENAME COLUMN name TO full_name;",
    );
    pair(
        "rename",
        &format!("{LT}ALTER TABLE t RENAME TO things;"),
        "CREATE TABLE u (id int);\nALTER TABLE u RENAME TO v;",
    );
    pair("drop", &format!("{LT}DROP TABLE t;"), "CREATE TABLE scratch (id int);\nDROP TABLE scratch;");
    pair(
        "drop",
        &format!("{LT}ALTER TABLE t DROP COLUMN name;"),
        "CREATE TABLE u (a int, b int);\nALTER TABLE u DROP COLUMN b;",
    );
    pair("drop", "DROP TYPE mood;", "CREATE TYPE tmp AS ENUM ('a');\nDROP TYPE tmp;");
    pair(
        "enum-add-value-in-transaction",
        "ALTER TYPE mood ADD VALUE 'meh';\nUPDATE t SET name = 'meh';",
        "-- rehab:no-transaction\nALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh';\nUPDATE t SET name = 'meh';",
    );
}

#[test]
fn raising_or_removing_a_varchar_limit_is_no_type_change() {
    let on_varchar = |change: &str| {
        Folder::new(&[
            ("V1__base.sql", "CREATE TABLE u (code varchar(10));"),
            ("V1__base.down.sql", "DROP TABLE u;"),
            ("V2__x.sql", &format!("{LT}{change}")),
            ("V2__x.down.sql", "SELECT 1;"),
        ])
        .rules()
    };
    let safe =
        on_varchar("ALTER TABLE u ALTER COLUMN code TYPE varchar(20);\nALTER TABLE u ALTER COLUMN code TYPE text;");
    assert!(!safe.iter().any(|r| r == "column-type-change"), "{safe:?}");
    for rewrites in ["varchar(5)", "integer", "text USING trim(code)"] {
        let got = on_varchar(&format!("ALTER TABLE u ALTER COLUMN code TYPE {rewrites};"));
        assert!(got.iter().any(|r| r == "column-type-change"), "{rewrites}: {got:?}");
    }
}

#[test]
fn a_down_script_may_drop_what_its_up_created() {
    let folder = Folder::new(&[
        ("V1__base.sql", BASE),
        ("V1__base.down.sql", BASE_DOWN),
        ("V2__x.sql", "CREATE TABLE u (id int);"),
        ("V2__x.down.sql", "DROP TABLE u;"),
    ]);
    assert_eq!(folder.rules(), Vec::<String>::new());
}

#[test]
fn hygiene_rules() {
    pair("timestamp-without-time-zone", "CREATE TABLE u (at timestamp);", "CREATE TABLE u (at timestamptz);");
    pair(
        "timestamp-without-time-zone",
        "CREATE TABLE u (at timestamp without time zone);",
        "CREATE TABLE u (at timestamp with time zone);",
    );
    pair("json-not-jsonb", "CREATE TABLE u (doc json);", "CREATE TABLE u (doc jsonb);");
    pair(
        "char-length",
        "CREATE TABLE u (code varchar(20));",
        "CREATE TABLE u (code text CHECK (char_length(code) <= 20));",
    );
    pair("char-length", "CREATE TABLE u (code char(2));", "CREATE TABLE u (code varchar);");
    pair(
        "int4-primary-key",
        "CREATE TABLE u (id serial PRIMARY KEY);",
        "CREATE TABLE u (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    );
    pair(
        "int4-primary-key",
        "CREATE TABLE u (id integer GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (id));",
        "CREATE TABLE u (id bigserial PRIMARY KEY);",
    );
    let long = "x".repeat(64);
    let ok = "x".repeat(63);
    pair("identifier-too-long", &format!("CREATE TABLE u ({long} int);"), &format!("CREATE TABLE u ({ok} int);"));
}

#[test]
fn rehab_rules_about_files() {
    let without = Folder::new(&[("V1__base.sql", BASE)]);
    assert_eq!(without.rules(), vec!["missing-down-script"]);
    let irreversible = Folder::new(&[("V1__base.sql", BASE), ("V1__base.down.sql", "-- rehab:irreversible\n")]);
    assert_eq!(irreversible.rules(), Vec::<String>::new());

    let misnamed =
        Folder::new(&[("V1__base.sql", BASE), ("V1__base.down.sql", BASE_DOWN), ("V2__add-x.sql", "SELECT 1;")]);
    let run = misnamed.check(&["--format", "json"]).exit(Exit::CheckFailed);
    let f = &run.json()["findings"][0];
    assert_eq!(f["rule"], "misnamed-file");
    assert!(f["file"].as_str().unwrap().ends_with("V2__add-x.sql"), "{f}");
    let orphan = Folder::new(&[("v1__base.sql", BASE), ("V1__base.down.sql", BASE_DOWN)]);
    let run = orphan.check(&["--format", "json"]).exit(Exit::CheckFailed);
    let messages: Vec<_> =
        run.json()["findings"].as_array().unwrap().iter().map(|f| f["message"].to_string()).collect();
    assert_eq!(messages.len(), 2, "the misnamed up and its orphaned down: {messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("upper-case `V`")) && messages.iter().any(|m| m.contains("no up script")),
        "{messages:?}"
    );
    let renamed = Folder::new(&[("V1__base.sql", BASE), ("V1__base.down.sql", BASE_DOWN)]);
    assert_eq!(renamed.rules(), Vec::<String>::new());
}

#[test]
fn suppression_with_a_reason_silences_and_without_one_is_a_finding() {
    let statement =
        Folder::v2(&format!("{LT}-- rehab:allow drop the column moved to u in V1\nALTER TABLE t DROP COLUMN name;"));
    let run = statement.check(&["--format", "json"]).exit(Exit::Success);
    assert_eq!(run.json()["findings"], serde_json::json!([]));
    assert_eq!(run.json()["summary"]["suppressed"], 1);

    let header = Folder::v2(&format!(
        "-- rehab:allow drop,rename V2 retires the old names\n{LT}ALTER TABLE t DROP COLUMN name;\nALTER TABLE t RENAME COLUMN n TO m;"
    ));
    assert_eq!(header.rules(), Vec::<String>::new());

    let only_next = Folder::v2(&format!(
        "{LT}-- rehab:allow drop moved\nALTER TABLE t DROP COLUMN name;\nALTER TABLE t DROP COLUMN n;"
    ));
    assert_eq!(only_next.rules(), vec!["drop"], "a statement suppression covers the next statement only");

    let no_reason = Folder::v2(&format!("{LT}-- rehab:allow drop\nALTER TABLE t DROP COLUMN name;"));
    assert_eq!(no_reason.rules(), vec!["allow-without-reason", "drop"]);
    no_reason.check(&[]).exit(Exit::CheckFailed);

    let unknown = Folder::v2("-- rehab:allow no-such-rule because\nSELECT 1;");
    assert_eq!(unknown.rules(), vec!["allow-unknown-rule"]);
}

#[test]
fn exit_codes_clean_warning_strict_and_error() {
    Folder::v2("CREATE TABLE u (id bigint);").check(&[]).exit(Exit::Success).stdout_has("no findings");
    let warning = Folder::v2("CREATE TABLE u (doc json);");
    warning.check(&[]).exit(Exit::Success).stdout_has("json-not-jsonb");
    warning.check(&["--strict"]).exit(Exit::CheckFailed).stderr_has("1 finding(s)");
    Folder::v2("CREATE INDEX i ON t (name);").check(&[]).exit(Exit::CheckFailed).stderr_has("error finding(s)");
    Rehab::new(&std::env::temp_dir()).args(&["check", "--lint-only", "--drift"]).run().exit(Exit::Usage);
}

#[test]
fn json_contract() {
    let folder =
        Folder::v2("SELECT 1;\n\n  CREATE INDEX i ON t (name);\nALTER TABLE t ALTER COLUMN n SET STATISTICS 200;");
    let run = folder.check(&["--format", "json", "--verbose"]).exit(Exit::CheckFailed);
    let doc = run.json();
    assert_eq!(doc["proof"], serde_json::Value::Null);
    assert_eq!(doc["drift"], serde_json::Value::Null);
    let f = doc["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "index-not-concurrent").unwrap();
    let mut keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["column", "file", "hint", "line", "message", "rule", "severity"]);
    assert!(f["file"].as_str().unwrap().ends_with("V2__x.sql"));
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(3), Some(3)));
    assert_eq!(f["severity"], "error");
    assert!(f["message"].as_str().unwrap().contains("public.t (created by V1)"), "{f}");
    assert!(f["hint"].as_str().unwrap().contains("CONCURRENTLY"), "{f}");
    let s = &doc["summary"];
    assert_eq!((s["files"].as_u64(), s["errors"].as_u64(), s["unparsed"].as_u64()), (Some(4), Some(1), Some(1)));
    assert_eq!(s["warnings"], 1, "missing-lock-timeout");
    for key in ["warnings", "suppressed", "proved", "proof_failures", "drifted"] {
        assert!(s[key].is_u64(), "summary.{key}: {s}");
    }
    assert!(run.stderr.contains("V2__x.sql:4:1: not parsed"), "--verbose lists unparsed statements:\n{}", run.stderr);
}

#[test]
fn sarif_carries_what_code_scanning_requires() {
    let run = Folder::v2("CREATE INDEX i ON t (name);").check(&["--format", "sarif"]).exit(Exit::CheckFailed);
    let doc = run.json();
    assert_eq!(doc["version"], "2.1.0");
    assert!(doc["$schema"].is_string());
    let run0 = &doc["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "rehab");
    assert!(run0["tool"]["driver"]["rules"].as_array().unwrap().iter().any(|r| r["id"] == "index-not-concurrent"));
    let results = run0["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert!(r["ruleId"].is_string() && r["message"]["text"].is_string(), "{r}");
        assert!(matches!(r["level"].as_str(), Some("error" | "warning")), "{r}");
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"].as_str().unwrap().ends_with("V2__x.sql"), "{r}");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1, "{r}");
    }
}

#[test]
fn github_annotations() {
    let folder = Folder::v2("CREATE TABLE u (doc json);\nCREATE INDEX i ON t (name);");
    let run = folder.check(&["--format", "github"]).exit(Exit::CheckFailed);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let file = folder.path().join("V2__x.sql").display().to_string();
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("::warning file={file},line=1,col=17,title=json-not-jsonb::"))),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("::error file={file},line=2,col=1,title=index-not-concurrent::"))),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| l.starts_with("::error ") || l.starts_with("::warning ")), "{lines:?}");
}

#[test]
fn check_only_formats_are_refused_by_other_commands() {
    for format in ["sarif", "github"] {
        Rehab::new(&std::env::temp_dir())
            .args(&["show", "--format", format])
            .run()
            .exit(Exit::Usage)
            .stderr_has("only for `rehab check`");
    }
}

#[test]
fn the_bundled_migrations_pass_clean() {
    let cwd = std::env::temp_dir();
    let run = Rehab::new(&cwd).args(&["check", "--lint-only", "--format", "json"]).run().exit(Exit::Success);
    assert_eq!(run.json()["findings"], serde_json::json!([]));
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let run = Rehab::new(&cwd).arg("--migrations").arg(&folder).args(&["check", "--lint-only", "--strict"]).run();
    run.exit(Exit::Success).stdout_has("no findings");
}
