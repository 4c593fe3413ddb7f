//! `rehab check`'s proof and drift against a real server: each down script proved by up, down, up in a
//! scratch database that never outlives the run (success, failure, SIGINT), and drift between a target
//! changed by hand and the schema its migrations build.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Exit, Rehab, Run, TestDb};

/// Runs `rehab --migrations DIR check ARGS --format json` and returns the run and the rehab process id,
/// which names its scratch databases (`rehab_check_<pid>_...`).
pub(crate) fn check(db: &TestDb, dir: Option<&std::path::Path>, args: &[&str]) -> (Run, u32) {
    let mut cmd = db.rehab(&[]);
    if let Some(dir) = dir {
        cmd = cmd.arg("--migrations").arg(dir);
    }
    let child = cmd.args(&["--format", "json", "check"]).args(args).spawn();
    let pid = child.id();
    (Run::from(child.wait_with_output().expect("wait for rehab")), pid)
}

/// The scratch databases a rehab process left on the server.
fn scratch_left(db: &TestDb, pid: u32) -> Vec<String> {
    db.admin()
        .query("SELECT datname::text FROM pg_database WHERE datname LIKE $1", &[&format!("rehab\\_check\\_{pid}\\_%")])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[track_caller]
pub(crate) fn assert_scratch_gone(db: &TestDb, pid: u32) {
    let left = scratch_left(db, pid);
    assert!(left.is_empty(), "scratch database(s) left behind: {left:?}");
}

/// The proof entry of `version`, which must be there.
#[track_caller]
pub(crate) fn entry(run: &Run, version: i64) -> Value {
    let json = run.json();
    let proof = json["proof"].as_array().unwrap_or_else(|| panic!("no proof in:\n{}", run.stdout));
    proof
        .iter()
        .find(|e| e["version"] == version)
        .unwrap_or_else(|| panic!("V{version} not in the proof:\n{}", run.stdout))
        .clone()
}

fn versions(run: &Run) -> Vec<i64> {
    run.json()["proof"].as_array().unwrap().iter().map(|e| e["version"].as_i64().unwrap()).collect()
}

pub(crate) fn objects(e: &Value) -> Vec<String> {
    e["objects"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_string()).collect()
}

const TABLE_UP: &str = "CREATE TABLE notes (id int PRIMARY KEY, body text DEFAULT 'empty' NOT NULL);\n\
                        COMMENT ON COLUMN notes.body IS 'what was said';";
const TABLE_DOWN: &str = "DROP TABLE notes;";

#[test]
fn a_clean_pair_proves_ok_without_touching_the_target() {
    let db = TestDb::new("proof_ok");
    let dir = db.fixture_dir("m", &[("V1__notes.sql", TABLE_UP), ("V1__notes.down.sql", TABLE_DOWN)]);
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let run = run.exit(Exit::Success);
    let e = entry(&run, 1);
    assert_eq!(e["status"], "ok", "{}", run.stdout);
    assert!(objects(&e).is_empty());
    assert!(run.stderr.contains("rehab_check_"), "the scratch database is named on stderr:\n{}", run.stderr);
    assert!(!db.scalar::<bool>("SELECT to_regclass('notes') IS NOT NULL"), "the proof ran in the target");
    assert!(db.applied_versions().is_empty());
    assert_scratch_gone(&db, pid);
}

#[test]
fn statistics_collations_and_table_settings_left_behind_are_found() {
    let db = TestDb::new("proof_more_kinds");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, a int, b int);"),
            ("V1__notes.down.sql", "DROP TABLE notes;"),
            (
                "V2__tuning.sql",
                "CREATE STATISTICS notes_ab ON a, b FROM notes;\n\
                 CREATE COLLATION german (provider = libc, locale = 'C');\n\
                 ALTER TABLE notes REPLICA IDENTITY FULL;\n\
                 ALTER TABLE notes ALTER COLUMN a SET STATISTICS 500;",
            ),
            ("V2__tuning.down.sql", "SELECT 1;"),
        ],
    );
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let run = run.exit(Exit::CheckFailed);
    let v2 = objects(&entry(&run, 2));
    for expected in
        ["statistics public.notes_ab", "collation public.german", "table public.notes", "column public.notes.a"]
    {
        assert!(v2.iter().any(|o| o.starts_with(expected)), "{expected} not in {v2:?}");
    }
    assert_eq!(entry(&run, 1)["status"], "ok", "{}", run.stdout);
    assert_scratch_gone(&db, pid);
}

#[test]
fn an_event_trigger_left_behind_is_found() {
    let db = TestDb::new("proof_event_trigger");
    let dir = db.fixture_dir(
        "m",
        &[
            (
                "V1__audit.sql",
                "CREATE FUNCTION audit_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;\n\
                 CREATE EVENT TRIGGER audit_ddl ON ddl_command_end EXECUTE FUNCTION audit_ddl();",
            ),
            ("V1__audit.down.sql", "SELECT 1;"),
        ],
    );
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let run = run.exit(Exit::CheckFailed);
    let v1 = objects(&entry(&run, 1));
    assert!(v1.iter().any(|o| o.starts_with("event trigger audit_ddl")), "{v1:?}");
    assert_scratch_gone(&db, pid);
}

#[test]
fn privileges_casts_operators_and_text_search_left_behind_are_found() {
    let db = TestDb::new("proof_grants_casts");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text);"),
            ("V1__notes.down.sql", "DROP TABLE notes;"),
            (
                "V2__extras.sql",
                "GRANT SELECT ON notes TO PUBLIC;\n\
                 CREATE FUNCTION notes_eq(a notes, b notes) RETURNS boolean LANGUAGE sql IMMUTABLE RETURN a.id = b.id;\n\
                 CREATE OPERATOR === (LEFTARG = notes, RIGHTARG = notes, FUNCTION = notes_eq);\n\
                 CREATE CAST (notes AS text) WITH INOUT AS ASSIGNMENT;\n\
                 CREATE TEXT SEARCH CONFIGURATION notes_search (COPY = simple);",
            ),
            // Drops the function and the operator, forgets the rest.
            ("V2__extras.down.sql", "DROP OPERATOR === (notes, notes); DROP FUNCTION notes_eq(notes, notes);"),
        ],
    );
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let run = run.exit(Exit::CheckFailed);
    let v2 = entry(&run, 2);
    assert_eq!(v2["status"], "changed", "{v2}");
    let found = objects(&v2);
    for expected in [
        "table public.notes: privileges none -> public SELECT (after the down script)",
        "cast public.notes AS text: left behind by the down script",
        "text search configuration public.notes_search: left behind by the down script",
    ] {
        assert!(found.iter().any(|o| o == expected), "{expected} not in {found:?}");
    }
    assert!(!found.iter().any(|o| o.contains("operator")), "the down dropped the operator: {found:?}");
    assert_eq!(entry(&run, 1)["status"], "ok", "{}", run.stdout);
    assert_scratch_gone(&db, pid);
}

#[test]
fn a_down_that_moves_a_column_to_the_end_is_changed() {
    let db = TestDb::new("proof_column_order");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__t.sql", "CREATE TABLE t (a int, b int, c int);"),
            ("V1__t.down.sql", "DROP TABLE t;"),
            ("V2__drop_b.sql", "ALTER TABLE t DROP COLUMN b;"),
            ("V2__drop_b.down.sql", "ALTER TABLE t ADD COLUMN b int;"),
        ],
    );
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let run = run.exit(Exit::CheckFailed);
    let v2 = entry(&run, 2);
    assert_eq!(v2["status"], "changed", "{v2}");
    assert_eq!(
        objects(&v2),
        [
            "column public.t.b: position 2 -> 3 (after the down script)",
            "column public.t.c: position 3 -> 2 (after the down script)"
        ],
        "{v2}"
    );
    assert_scratch_gone(&db, pid);
}

#[test]
fn a_down_that_leaves_an_enum_behind_is_leftover() {
    let db = TestDb::new("proof_leftover");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__mood.sql", "CREATE TYPE mood AS ENUM ('fine', 'sore');\nCREATE TABLE diary (id int, m mood);"),
            ("V1__mood.down.sql", "DROP TABLE diary;"),
        ],
    );
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let run = run.exit(Exit::CheckFailed);
    let e = entry(&run, 1);
    assert_eq!(e["status"], "leftover", "{}", run.stdout);
    let objects = objects(&e);
    assert!(objects.iter().any(|o| o.starts_with("enum public.mood")), "{objects:?}");
    // The table the down did drop is not reported, nor its columns.
    assert!(!objects.iter().any(|o| o.contains("diary")), "{objects:?}");
    assert_eq!(run.json()["summary"]["proof_failures"], 1);
    assert_scratch_gone(&db, pid);
    // SARIF and GitHub annotations point at the down script that left it.
    let down = dir.join("V1__mood.down.sql").display().to_string();
    let sarif = db.rehab(&["--migrations", dir.to_str().unwrap(), "--format", "sarif", "check", "--all"]).run();
    let sarif = sarif.exit(Exit::CheckFailed).json();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let proof = results.iter().find(|r| r["ruleId"] == "proof-leftover").unwrap_or_else(|| panic!("{sarif}"));
    assert_eq!(proof["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], down.as_str());
    assert!(proof["message"]["text"].as_str().unwrap().starts_with("V1 mood: enum public.mood"), "{proof}");
    let github = db.rehab(&["--migrations", dir.to_str().unwrap(), "--format", "github", "check", "--all"]).run();
    let github = github.exit(Exit::CheckFailed);
    assert!(
        github.stdout.contains(&format!("::error file={down},line=1,title=proof V1 mood::leftover: enum public.mood")),
        "{}",
        github.stdout
    );
}

#[test]
fn a_failing_down_is_failed_and_the_later_migrations_are_not_proved() {
    let db = TestDb::new("proof_failed");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__notes.sql", TABLE_UP),
            ("V1__notes.down.sql", TABLE_DOWN),
            ("V2__tags.sql", "CREATE TABLE tags (id int);"),
            ("V2__tags.down.sql", "-- undo\nDROP TABLE tag;"),
            ("V3__more.sql", "ALTER TABLE tags ADD COLUMN name text;"),
            ("V3__more.down.sql", "ALTER TABLE tags DROP COLUMN name;"),
        ],
    );
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let run = run.exit(Exit::CheckFailed).stderr_has("V3");
    assert_eq!(entry(&run, 1)["status"], "ok");
    let e = entry(&run, 2);
    assert_eq!(e["status"], "failed", "{}", run.stdout);
    let error = e["error"].as_str().unwrap();
    assert!(error.starts_with("down: V2__tags.down.sql line 2:") && error.contains("\"tag\""), "{error}");
    assert_eq!(versions(&run), [1, 2], "V3 builds on V2 and is not proved");
    assert_scratch_gone(&db, pid);
    // The annotation points at the line the error names.
    let github = db.rehab(&["--migrations", dir.to_str().unwrap(), "--format", "github", "check", "--all"]).run();
    let down = dir.join("V2__tags.down.sql").display().to_string();
    let github = github.exit(Exit::CheckFailed);
    assert!(
        github.stdout.contains(&format!("::error file={down},line=2,title=proof V2 tags::failed")),
        "{}",
        github.stdout
    );
}

/// A script goes to the server whole when it can. One that fails that way leaves nothing (run again statement by
/// statement, its error names the line, not an "already exists" at line 1); one that commits by itself runs
/// statement by statement from the start.
#[test]
fn a_failing_up_names_its_line_and_a_script_that_commits_itself_still_proves() {
    let db = TestDb::new("proof_whole");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__notes.sql", TABLE_UP),
            ("V1__notes.down.sql", TABLE_DOWN),
            ("V2__own_commit.sql", "CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);"),
            ("V2__own_commit.down.sql", "DROP TABLE b;\nCOMMIT;\nDROP TABLE a;"),
            ("V3__fails.sql", "CREATE TABLE c (id int);\n\nDROP TYPE missing_type;"),
            ("V3__fails.down.sql", "DROP TABLE c;"),
        ],
    );
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let run = run.exit(Exit::CheckFailed);
    assert_eq!(entry(&run, 1)["status"], "ok", "{}", run.stdout);
    assert_eq!(entry(&run, 2)["status"], "ok", "{}", run.stdout);
    let e = entry(&run, 3);
    assert_eq!(e["status"], "failed", "{}", run.stdout);
    let error = e["error"].as_str().unwrap();
    assert!(error.starts_with("up: V3__fails.sql line 3:") && error.contains("missing_type"), "{error}");
    assert_scratch_gone(&db, pid);
}

/// What a script sent whole could get wrong, each found by a review: a failure that a second run would not
/// repeat (a sequence moves on whatever rolls back), a second run failing otherwise (a `PREPARE` outlives the
/// rollback), an encoding set too late for the server's reading of the text, a COMMIT hidden from a word
/// test, a COPY taking the connection over. Each proves as statement by statement would: failed, with the
/// first run's error, at its line unless a second run cannot tell it.
#[test]
fn scripts_sent_whole_fail_as_they_would_statement_by_statement() {
    let db = TestDb::new("proof_whole_edges");
    let cases: &[(&str, &str, &str, &str)] = &[
        // A second run passes: the first one's error stands, without a line.
        ("flip", "CREATE TABLE u (id int);\nSELECT 1 / (nextval('s') - 1);", ":", "division by zero"),
        // A second run fails otherwise ("q" exists): the first one's error stands, without a line.
        ("prepared", "PREPARE q AS SELECT 1;\nCREATE TABLE t (id int REFERENCES nope (id));", ":", "\"nope\""),
        // The server says where: the line without a second run.
        ("position", "CREATE TABLE t (id int);\n\nSELECT no_such_column FROM t;", " line 3:", "no_such_column"),
        (
            "encoding",
            "CREATE TABLE t (id int);\nSET LOCAL client_encoding = 'EUC_JP';\nCOMMENT ON TABLE t IS '€';",
            " line 3:",
            "EUC_JP",
        ),
        (
            "commit",
            "CREATE TABLE a (id int);\nCOMMIT/**/AND NO CHAIN;\nCREATE TABLE b (id int REFERENCES nope (id));",
            " line 3:",
            "\"nope\"",
        ),
        ("copy", "CREATE TABLE t (id int);\nCOPY t TO STDOUT;\nCREATE TABLE u ();", " line 2:", ""),
        // Found by a second review: a later syntax error (the server reads the whole text first) or an unfinished
        // last statement (it ran into the history row) is settled by the second run; the history row's failure keeps
        // its words; SET LOCAL NAMES is an encoding set too late as well.
        ("unread", "CREATE TABLE t (id int);\nSELECT 1/0;\nSELEC 1;", " line 2:", "division by zero"),
        (
            "unfinished",
            "CREATE TABLE t (id int);\nCOMMENT ON TABLE t IS 'oops;",
            " line 2:",
            "unterminated quoted string",
        ),
        ("history", "CREATE SCHEMA app;\nSET LOCAL search_path = app;", ":", "could not record V2"),
        (
            "names",
            "CREATE TABLE \"é\" (id int);\nSET LOCAL NAMES 'LATIN1';\nCOMMENT ON TABLE \"é\" IS 'x';",
            " line 3:",
            "does not exist",
        ),
        // The connection is gone: no second run, the server's last word stands.
        ("lost", "CREATE TABLE t ();\nSELECT pg_terminate_backend(pg_backend_pid());", ":", "terminating connection"),
    ];
    for (name, up, line, says) in cases {
        let dir = db.fixture_dir(
            name,
            &[
                ("V1__seq.sql", "CREATE SEQUENCE s;"),
                ("V1__seq.down.sql", "DROP SEQUENCE s;"),
                ("V2__x.sql", up),
                ("V2__x.down.sql", "DROP TABLE IF EXISTS t, u, a, b;"),
            ],
        );
        let (run, pid) = check(&db, Some(&dir), &["--all"]);
        let run = run.exit(Exit::CheckFailed);
        let e = entry(&run, 2);
        assert_eq!(e["status"], "failed", "{name}: {}", run.stdout);
        let error = e["error"].as_str().unwrap();
        assert!(error.starts_with(&format!("up: V2__x.sql{line}")) && error.contains(says), "{name}: {error}");
        assert_scratch_gone(&db, pid);
    }
}

#[test]
fn a_down_that_does_not_restore_a_dropped_columns_default_is_changed() {
    let db = TestDb::new("proof_changed");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__notes.sql", TABLE_UP),
            ("V1__notes.down.sql", TABLE_DOWN),
            ("V2__drop_body.sql", "ALTER TABLE notes DROP COLUMN body;"),
            ("V2__drop_body.down.sql", "ALTER TABLE notes ADD COLUMN body text NOT NULL;"),
        ],
    );
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let run = run.exit(Exit::CheckFailed);
    let e = entry(&run, 2);
    assert_eq!(e["status"], "changed", "{}", run.stdout);
    let objects = objects(&e);
    assert_eq!(objects.len(), 1, "{objects:?}");
    let o = &objects[0];
    assert!(o.starts_with("column public.notes.body:"), "{o}");
    assert!(o.contains("default 'empty'::text -> none"), "{o}");
    assert!(o.contains("comment what was said -> none"), "the dropped comment is named too: {o}");
    assert_scratch_gone(&db, pid);
}

#[test]
fn the_bundled_migrations_prove_ok() {
    let db = TestDb::new("proof_bundled");
    let (run, pid) = check(&db, None, &["--all"]);
    let run = run.exit(Exit::Success);
    let json = run.json();
    let proof = json["proof"].as_array().unwrap();
    assert_eq!(versions(&run), [1, 2, 3, 4, 5, 6]);
    for e in proof {
        assert_eq!(e["status"], "ok", "{e}");
    }
    assert_scratch_gone(&db, pid);
}

#[test]
fn a_target_that_does_not_exist_yet_has_everything_pending_and_is_not_created() {
    // CI before `setup`: the server answers, the database is not there yet; check proves all and creates nothing.
    let db = TestDb::named("proof_no_target");
    let (run, pid) = check(&db, None, &["--pending"]);
    let run = run.exit(Exit::Success).stderr_has("does not exist yet: every migration counts as pending");
    assert_eq!(versions(&run), [1, 2, 3, 4, 5, 6]);
    assert_scratch_gone(&db, pid);
    let exists: i64 =
        db.admin().query_one("SELECT count(*) FROM pg_database WHERE datname = $1", &[&db.name]).unwrap().get(0);
    assert_eq!(exists, 0, "check created the target database");
}

#[test]
fn drift_on_a_target_that_does_not_exist_fails_before_proving_anything() {
    let db = TestDb::named("drift_no_target");
    let (run, pid) = check(&db, None, &["--drift"]);
    run.exit(Exit::Failure).stderr_has("cannot look for drift in").stderr_has("`rehab setup` creates it");
    assert_scratch_gone(&db, pid);
}

#[test]
fn without_a_server_the_default_check_lints_only_and_says_why() {
    let db = TestDb::named("proof_no_server");
    let rehab =
        |args: &[&str]| Rehab::new(&db.dir).args(&["--database-url", "postgresql://postgres@127.0.0.1:1/x"]).args(args);
    let run = rehab(&["--format", "json", "check"])
        .run()
        .exit(Exit::Success)
        .stderr_has("lint only: could not connect to postgresql://postgres@127.0.0.1:1/x");
    assert!(run.json()["proof"].is_null(), "{}", run.stdout);
    // Asked for a proof, the same run fails instead.
    rehab(&["check", "--all"]).run().exit(Exit::Failure);
    // A server that answers and refuses is an error to fix, not a reason to lint only.
    let (host, port) = (&db.server.host, db.server.port);
    let url = format!("postgresql://rehab_no_such_role@{host}:{port}/postgres?sslmode=disable");
    Rehab::new(&db.dir)
        .args(&["--database-url", &url, "check"])
        .run()
        .exit(Exit::Failure)
        .stderr_has("rehab_no_such_role");
}

#[test]
fn no_proof_skips_the_proof_and_keeps_drift() {
    let db = set_up("proof_skipped");
    let (run, pid) = check(&db, None, &["--no-proof", "--drift"]);
    let json = run.exit(Exit::Success).json();
    assert!(json["proof"].is_null(), "{json:#}");
    assert_eq!(json["drift"], serde_json::json!([]), "{json:#}");
    assert_scratch_gone(&db, pid);
    db.rehab(&["check", "--no-proof", "--all"]).run().exit(Exit::Usage);
}

#[test]
fn pending_proves_only_what_the_target_has_not_applied() {
    let db = TestDb::new("proof_pending");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__notes.sql", TABLE_UP),
            ("V1__notes.down.sql", TABLE_DOWN),
            ("V2__tags.sql", "CREATE TABLE tags (id int);"),
            ("V2__tags.down.sql", "DROP TABLE tags;"),
            ("V3__more.sql", "ALTER TABLE tags ADD COLUMN name text;"),
            ("V3__more.down.sql", "ALTER TABLE tags DROP COLUMN name;"),
        ],
    );
    db.rehab(&["--migrations"]).arg(&dir).args(&["migrate", "--target", "2"]).ok();
    let (run, pid) = check(&db, Some(&dir), &["--pending"]);
    let run = run.exit(Exit::Success);
    assert_eq!(versions(&run), [3], "V1 and V2 are applied on the target: built, not proved");
    assert_eq!(entry(&run, 3)["status"], "ok");
    assert_eq!(db.applied_versions(), [1, 2], "the target is left as it was");
    assert_scratch_gone(&db, pid);
}

#[test]
fn sigint_mid_proof_drops_the_scratch_database() {
    let db = TestDb::new("proof_sigint");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__slow.sql", "SELECT pg_sleep(60);\nCREATE TABLE slow (id int);"),
            ("V1__slow.down.sql", "DROP TABLE slow;"),
        ],
    );
    let child = db.rehab(&["--migrations"]).arg(&dir).args(&["check", "--all"]).spawn();
    let pid = child.id();
    let mut admin = db.admin();
    let deadline = Instant::now() + Duration::from_secs(30);
    // Mid-proof: the scratch database exists and the slow up script is running in it.
    loop {
        let sleeping: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE $1 AND query LIKE '%pg_sleep%'",
                &[&format!("rehab\\_check\\_{pid}\\_%")],
            )
            .unwrap()
            .get(0);
        if sleeping > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the proof never reached the slow script");
        std::thread::sleep(Duration::from_millis(50));
    }
    let kill = std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status().unwrap();
    assert!(kill.success());
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(20), "rehab did not stop on SIGINT");
    let code = out.status.code();
    assert!(matches!(code, Some(130 | 1)), "exit {code:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert_scratch_gone(&db, pid);
}

/// A target set up from the bundled migrations.
fn set_up(test: &str) -> TestDb {
    let db = TestDb::new(test);
    db.rehab(&["setup"]).ok();
    db
}

#[test]
fn drift_finds_a_table_an_index_and_a_default_changed_by_hand() {
    let db = set_up("drift_found");
    db.client()
        .batch_execute(
            "CREATE TABLE public.by_hand (id int);
             DROP INDEX auth.users_role_idx;
             ALTER TABLE auth.users ALTER COLUMN status SET DEFAULT 'active'",
        )
        .unwrap();
    let (run, pid) = check(&db, None, &["--pending", "--drift"]);
    let run = run.exit(Exit::CheckFailed);
    let json = run.json();
    let drift: Vec<(String, String, String)> = json["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().into(),
                d["object"].as_str().unwrap().into(),
                d["change"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = |k: &str, o: &str, c: &str| (k.to_string(), o.to_string(), c.to_string());
    assert_eq!(
        drift,
        [
            want("column", "auth.users.status", "changed"),
            want("index", "auth.users_role_idx", "removed"),
            want("table", "public.by_hand", "added"),
        ],
        "{}",
        run.stdout
    );
    assert!(json["drift"][0]["detail"].as_str().unwrap().contains("'active'"), "{}", run.stdout);
    assert_eq!(json["summary"]["drifted"], 3);
    assert_scratch_gone(&db, pid);
}

#[test]
fn a_freshly_set_up_database_has_no_drift() {
    let db = set_up("drift_none");
    let (run, pid) = check(&db, None, &["--pending", "--drift"]);
    let run = run.exit(Exit::Success);
    assert_eq!(run.json()["drift"], serde_json::json!([]), "{}", run.stdout);
    assert_scratch_gone(&db, pid);
}

#[test]
fn drift_refuses_a_target_whose_applied_migrations_were_edited() {
    let db = TestDb::new("drift_divergent");
    let dir = db.fixture_dir("m", &[("V1__notes.sql", TABLE_UP), ("V1__notes.down.sql", TABLE_DOWN)]);
    db.rehab(&["--migrations"]).arg(&dir).arg("migrate").ok();
    std::fs::write(dir.join("V1__notes.sql"), format!("{TABLE_UP}\nCREATE INDEX ON notes (body);")).unwrap();
    let (run, _) = check(&db, Some(&dir), &["--pending", "--drift"]);
    run.exit(Exit::Failure).stderr_has("V1 notes: divergent").stderr_has("rehab show");
}

#[test]
fn no_transaction_pairs_are_proved_and_migrations_without_a_usable_down_are_only_applied() {
    let db = TestDb::new("proof_kinds");
    let dir = db.fixture_dir(
        "m",
        &[
            (
                "V1__concurrent.sql",
                "-- rehab:no-transaction\nCREATE TABLE IF NOT EXISTS events (id int, at timestamptz);\n\
                 CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at_idx ON events (at);",
            ),
            (
                "V1__concurrent.down.sql",
                "-- rehab:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS events_at_idx;\nDROP TABLE IF EXISTS events;",
            ),
            ("V2__backfill.sql", "ALTER TABLE events ADD COLUMN kind text;"),
            ("V2__backfill.down.sql", "-- rehab:irreversible\n"),
            ("V3__no_down.sql", "ALTER TABLE events ADD COLUMN source text;"),
            ("V4__last.sql", "CREATE INDEX events_kind_source_idx ON events (kind, source);"),
            ("V4__last.down.sql", "DROP INDEX events_kind_source_idx;"),
        ],
    );
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    // Exit 3 for the lint's findings on these fixtures (V3 has no down, V4 indexes without CONCURRENTLY); the
    // proof itself found nothing.
    let run = run.exit(Exit::CheckFailed);
    assert_eq!(run.json()["summary"]["proof_failures"], 0, "{}", run.stdout);
    // V4 needs V2's and V3's columns: they were applied in the scratch database, just not proved.
    assert_eq!(versions(&run), [1, 4], "{}", run.stdout);
    assert_eq!(entry(&run, 1)["status"], "ok");
    assert_eq!(entry(&run, 4)["status"], "ok");
    assert_scratch_gone(&db, pid);
}

#[test]
fn drift_on_a_target_with_nothing_applied_compares_with_an_empty_database() {
    let db = TestDb::new("drift_empty");
    db.client().batch_execute("CREATE TYPE public.by_hand AS ENUM ('x')").unwrap();
    let (run, pid) = check(&db, None, &["--pending", "--drift"]);
    let run = run.exit(Exit::CheckFailed);
    let json = run.json();
    let drift = json["drift"].as_array().unwrap();
    assert_eq!(drift.len(), 1, "{}", run.stdout);
    assert_eq!((drift[0]["kind"].as_str(), drift[0]["object"].as_str()), (Some("enum"), Some("public.by_hand")));
    assert_eq!(drift[0]["change"], "added");
    assert_scratch_gone(&db, pid);
}

/// `count` pairs `V{n}__m{n}` creating and dropping table `a{n}`, with `extra` (version, up, down) in place of
/// some of them.
fn many(db: &TestDb, count: usize, extra: &[(usize, String, String)]) -> std::path::PathBuf {
    let mut files = Vec::new();
    for n in 1..=count {
        let (up, down) = extra.iter().find(|(v, _, _)| *v == n).map_or_else(
            || (format!("CREATE TABLE a{n} (id int);"), format!("DROP TABLE a{n};")),
            |(_, u, d)| (u.clone(), d.clone()),
        );
        files.push((format!("V{n}__m{n}.sql"), up));
        files.push((format!("V{n}__m{n}.down.sql"), down));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    db.fixture_dir("m", &refs)
}

#[test]
fn a_later_range_that_cannot_reach_its_start_is_proved_again_from_the_start() {
    let db = TestDb::new("proof_ranges_redo");
    // V5's down leaves `b` behind, which V6 then changes: proved in order (up, down, up), V6 finds `b`;
    // applied plainly to bring a later range to its start, V6 fails.
    let dir = many(
        &db,
        40,
        &[
            (5, "CREATE TABLE a5 (id int);".into(), "DROP TABLE a5; CREATE TABLE IF NOT EXISTS b (id int);".into()),
            (6, "ALTER TABLE b ADD COLUMN c6 int;".into(), "ALTER TABLE b DROP COLUMN c6;".into()),
        ],
    );
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let run = run.exit(Exit::CheckFailed);
    assert_eq!(versions(&run), (1..=40).collect::<Vec<i64>>(), "{}", run.stderr);
    assert_eq!(entry(&run, 5)["status"], "changed", "{}", run.stdout);
    assert_eq!(entry(&run, 6)["status"], "ok", "{}", run.stdout);
    assert!(run.stderr.contains("proving again from the start in one"), "{}", run.stderr);
    assert!(!run.stderr.contains("not proved"), "{}", run.stderr);
    assert_scratch_gone(&db, pid);
}

#[test]
fn migrations_that_touch_roles_are_proved_in_one_scratch_database() {
    let db = TestDb::new("proof_roles");
    let role = format!("rehab_proof_role_{}", std::process::id());
    let up = format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role}; END IF; END $$;\n\
         CREATE TABLE t (id int); GRANT SELECT ON t TO {role};"
    );
    let dir = many(&db, 25, &[(1, up, format!("DROP TABLE t; DROP ROLE {role};"))]);
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let left = role_exists(&db, &role);
    db.admin().batch_execute(&format!("DROP ROLE IF EXISTS {role}")).unwrap();
    let run = run.exit(Exit::Success);
    assert_eq!(run.json()["summary"]["proof_failures"], 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(versions(&run).len(), 25);
    assert!(!run.stderr.contains("side by side"), "{}", run.stderr);
    assert_scratch_gone(&db, pid);
    // The proof ends on the up, which created the role: a server's role outlives the scratch database.
    assert!(!left, "the proof left role {role} on the server\n{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("dropped role(s) {role} that the check's migrations created")),
        "{}",
        run.stderr
    );
}

fn role_exists(db: &TestDb, role: &str) -> bool {
    db.admin().query_one("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", &[&role]).unwrap().get(0)
}

/// A role that was there before the check is not the check's to drop, though its migrations name it.
#[test]
fn a_role_that_was_there_before_the_check_stays() {
    let db = TestDb::new("proof_role_kept");
    let role = format!("rehab_kept_role_{}", std::process::id());
    db.admin().batch_execute(&format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role}")).unwrap();
    let up = format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role}; END IF; END $$;\n\
         CREATE TABLE t (id int);"
    );
    // The down drops it, the second up creates it again (a new OID): still the role that was there.
    let down = format!("DROP TABLE t; DROP ROLE IF EXISTS {role};");
    let dir = db.fixture_dir("m", &[("V1__role.sql", up.as_str()), ("V1__role.down.sql", down.as_str())]);
    let (run, pid) = check(&db, Some(&dir), &["--all"]);
    let kept = role_exists(&db, &role);
    db.admin().batch_execute(&format!("DROP ROLE IF EXISTS {role}")).unwrap();
    assert!(kept, "the check dropped role {role}, which it had not created\n{}", run.stderr);
    assert!(!run.stderr.contains("dropped role"), "{}", run.stderr);
    assert_scratch_gone(&db, pid);
}

#[test]
fn verify_snapshots_proves_as_usual_and_needs_a_proof() {
    let db = TestDb::new("proof_verify");
    let dir = db.fixture_dir("m", &[("V1__notes.sql", TABLE_UP), ("V1__notes.down.sql", TABLE_DOWN)]);
    let (run, pid) = check(&db, Some(&dir), &["--all", "--verify-snapshots"]);
    let run = run.exit(Exit::Success);
    assert_eq!(entry(&run, 1)["status"], "ok", "{}", run.stdout);
    assert_scratch_gone(&db, pid);
    let (run, _) = check(&db, Some(&dir), &["--lint-only", "--verify-snapshots"]);
    run.exit(Exit::Usage).stderr_has("--verify-snapshots");
}
