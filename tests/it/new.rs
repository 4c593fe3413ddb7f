//! `rehab new`: the next pair of files, a name refinery will not skip, and `migrate` applies it.

use crate::support::{Exit, Rehab, TestDb};

#[test]
fn new_creates_the_next_pair_and_migrate_applies_it() {
    let db = TestDb::new("new_pair");
    let dir = db.fixture_dir(
        "migrations",
        &[("V1__things.sql", "CREATE TABLE things (id int);\n"), ("V1__things.down.sql", "DROP TABLE things;\n")],
    );
    let run = db.rehab(&["new", "add_notes", "--migrations"]).arg(&dir).ok();
    assert!(
        run.stdout.contains("V2__add_notes.sql") && run.stdout.contains("V2__add_notes.down.sql"),
        "{}",
        run.stdout
    );
    assert!(dir.join("V2__add_notes.sql").is_file() && dir.join("V2__add_notes.down.sql").is_file());
    // The template alone is a valid (empty) migration.
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    assert_eq!(db.applied_versions(), vec![1, 2]);
    db.rehab(&["rollback", "--yes", "--migrations"]).arg(&dir).ok();

    std::fs::write(dir.join("V2__add_notes.sql"), "ALTER TABLE things ADD COLUMN note text;\n").unwrap();
    std::fs::write(dir.join("V2__add_notes.down.sql"), "ALTER TABLE things DROP COLUMN note;\n").unwrap();
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    assert!(db.scalar::<bool>(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'things' AND column_name = 'note')"
    ));
    db.rehab(&["rollback", "--yes", "--migrations"]).arg(&dir).ok();
    assert_eq!(db.applied_versions(), vec![1]);

    // --irreversible: rollback then refuses it.
    let run = db.rehab(&["new", "drop_legacy", "--irreversible", "--format", "json", "--migrations"]).arg(&dir).ok();
    assert_eq!(run.json()["version"], 3);
    let down = std::fs::read_to_string(dir.join("V3__drop_legacy.down.sql")).unwrap();
    assert!(down.starts_with("-- rehab:irreversible\n"), "{down}");
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    db.rehab(&["rollback", "--yes", "--migrations"])
        .arg(&dir)
        .run()
        .exit(Exit::Failure)
        .stderr_has("V3 drop_legacy: irreversible");
}

#[test]
fn new_refuses_names_refinery_would_skip_and_creates_nothing() {
    let db = TestDb::named("new_bad");
    for bad in ["add-users", "add.users", "ünïcode", ""] {
        let run = Rehab::new(&db.dir).args(&["new", bad]).run().exit(Exit::Usage);
        assert!(run.stderr.contains("letters, digits and `_`"), "{bad}: {}", run.stderr);
    }
    assert!(!db.dir.join("migrations").exists());
    // Without --migrations or a config, ./migrations is used (and created), numbered above the built-in set
    // (V1..V6) that runs without --migrations use, and the run says how such a file gets applied.
    let run = Rehab::new(&db.dir).args(&["new", "first"]).ok();
    assert!(run.stdout.contains("Created folder"), "{}", run.stdout);
    assert!(db.dir.join("migrations/V7__first.sql").is_file());
    assert!(run.stderr.contains("rebuild rehab (cargo build) to embed V7"), "{}", run.stderr);
}

#[test]
fn migrate_and_show_name_files_the_built_in_set_lacks() {
    let db = TestDb::new("new_trap");
    db.fixture_dir("migrations", &[("V7__extra.sql", "CREATE TABLE extra (id int);\n")]);
    let run = db.rehab(&["migrate"]).ok();
    assert!(run.stderr.contains("holds V7 extra that the migrations built into rehab lack"), "{}", run.stderr);
    assert!(run.stderr.contains("rebuild rehab"), "{}", run.stderr);
    assert_eq!(db.applied_versions(), vec![1, 2, 3, 4, 5, 6]);
    db.rehab(&["show"]).ok().stderr_has("holds V7 extra");
    // With the folder named, it is the set: no note.
    let run = db.rehab(&["show", "--migrations", db.dir.join("migrations").to_str().unwrap()]).ok();
    assert!(!run.stderr.contains("built into rehab lack"), "{}", run.stderr);
}

#[test]
fn commands_that_reach_no_database_ignore_a_target_they_would_not_use() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let offline = |args: &[&str]| {
        Rehab::new(dir.path())
            .env("DATABASE_URL", "not a url at all")
            .env("REHAB_FLEET", "no_such_fleet")
            .args(args)
            .arg("--migrations")
            .arg(&migrations)
            .run()
    };
    let run = offline(&["new", "add_notes"]).exit(Exit::Success);
    assert!(migrations.join("V1__add_notes.sql").is_file(), "{}", run.stderr);
    let run = offline(&["check", "--lint-only", "--format", "json"]).exit(Exit::Success);
    assert_eq!(run.json()["summary"]["files"], 2, "{}", run.stdout);
    // A command that connects still refuses the same environment, naming what is wrong.
    let run = offline(&["show"]).exit(Exit::Usage);
    assert!(run.stderr.contains("invalid connection string"), "{}", run.stderr);
}
