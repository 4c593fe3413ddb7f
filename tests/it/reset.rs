//! `rehab reset`: leaves exactly what a fresh `setup` leaves, strays included, and every guard holds.

use crate::support::{Exit, TestDb};

const STRAYS: &str = "CREATE TYPE public.leftover_status AS ENUM ('a', 'b');
    CREATE FUNCTION public.leftover_fn() RETURNS int LANGUAGE sql AS 'SELECT 1';
    CREATE SCHEMA scratch;
    CREATE TABLE scratch.notes (id serial PRIMARY KEY, body text);
    CREATE VIEW public.leftover_view AS SELECT 1 AS one;
    CREATE EXTENSION pg_trgm;
    CREATE FUNCTION public.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
    CREATE EVENT TRIGGER leftover_ddl ON ddl_command_start EXECUTE FUNCTION public.on_ddl();
    CREATE PUBLICATION leftover_pub FOR ALL TABLES;
    SELECT lo_create(0);";

/// Owner, privileges and comment of `public`: `pg_dump` --no-privileges does not show them.
fn public_schema(db: &TestDb) -> (String, String, Option<String>) {
    let row = db
        .client()
        .query_one(
            "SELECT nspowner::regrole::text, nspacl::text, obj_description(oid, 'pg_namespace') \
             FROM pg_namespace WHERE nspname = 'public'",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

fn exists(db: &TestDb, sql: &str) -> bool {
    db.scalar::<bool>(&format!("SELECT EXISTS ({sql})"))
}

#[test]
fn reset_removes_strays_and_matches_a_fresh_setup() {
    let fresh = TestDb::named("reset_fresh");
    fresh.rehab(&["setup"]).ok();
    let db = TestDb::named("reset_strays");
    db.rehab(&["setup"]).ok();
    db.client().batch_execute(STRAYS).unwrap();

    let run = db.rehab(&["reset", "--yes", "--format", "json"]).ok();
    let json = run.json();
    let kinds: Vec<&str> = json["dropped"].as_array().unwrap().iter().map(|g| g["kind"].as_str().unwrap()).collect();
    for kind in [
        "schema",
        "extension",
        "enum type",
        "function",
        "view",
        "table",
        "sequence",
        "trigger",
        "event trigger",
        "publication",
        "large object",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let objects = json["dropped"].to_string();
    for name in ["public.leftover_status", "public.leftover_fn()", "public.leftover_view", "scratch.notes", "pg_trgm"] {
        assert!(objects.contains(name), "{name} not listed as dropped: {objects}");
    }

    assert!(!exists(&db, "SELECT 1 FROM pg_type WHERE typname = 'leftover_status'"));
    assert!(!exists(&db, "SELECT 1 FROM pg_proc WHERE proname = 'leftover_fn'"));
    assert!(!exists(&db, "SELECT 1 FROM pg_class WHERE relname = 'leftover_view'"));
    assert!(!exists(&db, "SELECT 1 FROM pg_namespace WHERE nspname = 'scratch'"));
    assert!(!exists(&db, "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"));
    assert!(!exists(&db, "SELECT 1 FROM pg_event_trigger"));
    assert!(!exists(&db, "SELECT 1 FROM pg_publication"));
    assert!(!exists(&db, "SELECT 1 FROM pg_largeobject_metadata"));
    assert!(db.schema_dump() == fresh.schema_dump(), "reset does not give what a fresh setup gives");
    assert_eq!(public_schema(&db), public_schema(&fresh));
    assert_eq!(db.applied_versions(), fresh.applied_versions());
}

#[test]
fn reset_dry_run_lists_and_changes_nothing() {
    let db = TestDb::named("reset_dry");
    db.rehab(&["setup"]).ok();
    db.client().batch_execute(STRAYS).unwrap();
    let before = db.schema_dump();
    let history: i64 = db.scalar("SELECT count(*) FROM refinery_schema_history");
    // No --yes needed: a dry run drops nothing.
    let run = db.rehab(&["reset", "--dry-run"]).ok();
    assert!(run.stdout.contains("enum type") && run.stdout.contains("nothing was changed"), "{}", run.stdout);
    assert!(db.schema_dump() == before, "a dry run changed the schema");
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM refinery_schema_history"), history);
}

#[test]
fn reset_without_yes_and_without_a_terminal_is_refused() {
    let db = TestDb::named("reset_noyes");
    db.rehab(&["setup"]).ok();
    db.client().batch_execute(STRAYS).unwrap();
    let before = db.schema_dump();
    db.rehab(&["reset"]).run().exit(Exit::Refused).stderr_has("stdin is not a terminal").stderr_has("--yes");
    assert!(db.schema_dump() == before);
}

#[test]
fn reset_refuses_a_protected_environment_from_the_config_or_the_marker() {
    let db = TestDb::named("reset_guard");
    let url = db.url();
    let config = |protected: bool| {
        std::fs::write(
            db.dir.join("rehab.toml"),
            format!("default_env = \"prod\"\n[environments.prod]\nurl = \"{url}\"\nprotected = {protected}\n"),
        )
        .unwrap();
    };
    let rehab = |args: &[&str]| crate::support::Rehab::new(&db.dir).args(args);
    config(true);
    rehab(&["setup"]).ok();
    assert_eq!(db.scalar::<String>("SELECT environment FROM public.rehab_environment"), "prod");
    assert!(db.scalar::<bool>("SELECT protected FROM public.rehab_environment"));
    db.client().batch_execute("CREATE TABLE public.keep_me (id int)").unwrap();
    let before = db.schema_dump();

    // (a) protected in the config.
    rehab(&["reset", "--yes"])
        .run()
        .exit(Exit::Refused)
        .stderr_has("`protected = true`")
        .stderr_has("--allow-protected");
    assert!(db.schema_dump() == before);

    // (b) the config now says otherwise, but the database remembers: still refused. Migrate keeps the mark.
    config(false);
    rehab(&["migrate"]).ok().stderr_has("protected environment `prod`");
    assert!(db.scalar::<bool>("SELECT protected FROM public.rehab_environment"), "migrate lowered the mark");
    rehab(&["reset", "--yes"]).run().exit(Exit::Refused).stderr_has("database itself is marked").stderr_has("`prod`");
    assert!(db.schema_dump() == before);

    // (c) allowed, but still not without confirmation.
    rehab(&["reset", "--allow-protected"]).run().exit(Exit::Refused).stderr_has("stdin is not a terminal");
    assert!(exists(&db, "SELECT 1 FROM pg_class WHERE relname = 'keep_me'"));

    // Allowed and confirmed: the stray goes, the mark stays.
    let run = rehab(&["reset", "--allow-protected", "--yes"]).ok();
    assert!(run.stdout.contains("Environment marker kept: `prod` (protected)"), "{}", run.stdout);
    assert!(!exists(&db, "SELECT 1 FROM pg_class WHERE relname = 'keep_me'"));
    assert!(db.scalar::<bool>("SELECT protected FROM public.rehab_environment"));
    rehab(&["reset", "--yes"]).run().exit(Exit::Refused).stderr_has("database itself is marked");
}

#[test]
fn reset_seed_seeds_after_migrating_and_a_bad_profile_drops_nothing() {
    let db = TestDb::named("reset_seed");
    db.rehab(&["setup"]).ok();
    db.client().batch_execute("CREATE TABLE public.keep_me (id int)").unwrap();
    // An unknown profile fails before anything is dropped.
    std::fs::write(
        db.dir.join("rehab.toml"),
        format!("default_env = \"dev\"\n[environments.dev]\nurl = \"{}\"\nseed_profile = \"nope\"\n", db.url()),
    )
    .unwrap();
    crate::support::Rehab::new(&db.dir).args(&["reset", "--yes", "--seed"]).run().exit(Exit::Usage);
    assert!(exists(&db, "SELECT 1 FROM pg_class WHERE relname = 'keep_me'"));
    std::fs::remove_file(db.dir.join("rehab.toml")).unwrap();

    let run = db.rehab(&["reset", "--yes", "--seed", "--format", "json"]).ok();
    assert!(run.json()["seed"]["total_rows"].as_u64().unwrap() > 0, "{}", run.stdout);
    assert!(!exists(&db, "SELECT 1 FROM pg_class WHERE relname = 'keep_me'"));
    assert!(db.scalar::<i64>("SELECT count(*) FROM auth.users") > 0);
    // Again: the old seed goes with everything else, so seeding succeeds again.
    db.rehab(&["reset", "--yes", "--seed"]).ok();
}

/// Runs `rehab reset` on a pseudo-terminal (util-linux `script`), typing `answer` at the prompt.
fn reset_on_a_terminal(db: &TestDb, answer: &str) -> (Option<i32>, String) {
    use std::io::Write as _;
    let command = format!("{} reset --database-url '{}'", env!("CARGO_BIN_EXE_rehab"), db.url().replace('\'', "'\\''"));
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(&db.dir)
        .env_remove("DATABASE_URL")
        .env("PGPASSFILE", "/nonexistent/rehab-test-pgpass")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` is installed");
    child.stdin.take().unwrap().write_all(format!("{answer}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn reset_on_a_terminal_needs_the_database_name_typed() {
    let db = TestDb::named("reset_tty");
    db.rehab(&["setup"]).ok();
    db.client().batch_execute("CREATE TABLE public.keep_me (id int)").unwrap();
    let (code, out) = reset_on_a_terminal(&db, "not-the-name");
    assert_eq!(code, Some(4), "{out}");
    assert!(out.contains(&format!("Type the database name `{}`", db.name)) && out.contains("reset cancelled"), "{out}");
    assert!(exists(&db, "SELECT 1 FROM pg_class WHERE relname = 'keep_me'"));
    let (code, out) = reset_on_a_terminal(&db, &db.name);
    assert_eq!(code, Some(0), "{out}");
    assert!(!exists(&db, "SELECT 1 FROM pg_class WHERE relname = 'keep_me'"));
}
