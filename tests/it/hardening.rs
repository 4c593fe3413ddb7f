//! The edges of the core promise: a typo in a connection string leaks nothing and creates nothing, a name
//! PostgreSQL would truncate is refused, a silent server does not hang a command, and `seed` honours the
//! database's own protected marker.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::support::{Exit, Rehab, TestDb};

/// Malformed connection strings, each holding the password `P` (or a piece of it) somewhere.
const P: &str = "Zq7Xw9Kp";

fn malformed() -> Vec<String> {
    [
        "",
        "   ",
        "postgres:{P}@127.0.0.1/app",
        "postgresql:{P}@127.0.0.1/app",
        "postgresql:/u:{P}@127.0.0.1/app",
        "postgres//u:{P}@127.0.0.1/app",
        "u:{P}@127.0.0.1/app",
        "mysql://u:{P}@127.0.0.1/app",
        "{P}://u@127.0.0.1/app",
        "postgresql://u:{P}@127.0.0.1:0/app",
        "postgresql://u:{P}@127.0.0.1:99999/app",
        "postgresql://u:{P}/app",
        "postgresql://u:{P}@127.0.0.1:54x/app",
        "postgresql://u%ZZ:{P}@127.0.0.1/app",
        "postgresql://u:{P}%G0@127.0.0.1/app",
        "postgresql://u:{P}@127.0.0.1/app%2",
        "postgresql://u:{P}@127.0.0.1/a/{P}",
        "postgresql://u:{P}@h1,h2/app",
        "postgresql://u:{P}@[::1/app",
        "postgresql://u:pre#{P}@127.0.0.1/app",
        "postgresql://u:{P}@127.0.0.1/app?{P}=1",
        "postgresql://u:{P}@127.0.0.1/app?sslmode",
        "postgresql://u:{P}@127.0.0.1/app?sslmode={P}",
        "postgresql://u:{P}@127.0.0.1/app?connect_timeout={P}",
        "postgresql://u:{P}@127.0.0.1/app?port=0",
        "host=127.0.0.1 password='{P}",
        "host=127.0.0.1 password {P}",
        "host=127.0.0.1 {P}=x",
        "host=127.0.0.1 password={P} port=0",
        "host=127.0.0.1 password={P} port={P}",
        "host=127.0.0.1 password={P} sslmode=nope",
        "{P} at 127.0.0.1",
    ]
    .iter()
    .map(|t| t.replace("{P}", P))
    .collect()
}

/// Pieces of the password long enough to be meaningful; none may appear in any output.
fn leaks(text: &str) -> bool {
    (0..=P.len() - 4).any(|i| text.contains(&P[i..i + 4]))
}

fn databases(db: &TestDb) -> Vec<String> {
    db.admin().query("SELECT datname FROM pg_database", &[]).unwrap().iter().map(|r| r.get(0)).collect()
}

#[test]
fn malformed_connection_strings_exit_2_without_leaking_or_creating_anything() {
    let db = TestDb::named("malformed");
    let before = databases(&db);
    let commands: [&[&str]; 4] = [&["current"], &["setup"], &["doctor"], &["reset", "--dry-run"]];
    let modes: [&[&str]; 3] = [&[], &["--verbose"], &["--format", "json"]];
    for raw in malformed() {
        for command in commands {
            for mode in modes {
                let run = Rehab::new(&db.dir).arg("--database-url").arg(&raw).args(mode).args(command).run();
                let shown = format!("{raw:?} {command:?} {mode:?}");
                assert_eq!(run.status, Some(2), "{shown}: exit code\n{}{}", run.stdout, run.stderr);
                assert!(!leaks(&run.stdout) && !leaks(&run.stderr), "{shown} leaked:\n{}{}", run.stdout, run.stderr);
                assert!(run.stderr.contains("error: "), "{shown}: no error line:\n{}", run.stderr);
            }
        }
    }
    // The same through DATABASE_URL (the variable a deploy sets), for one command.
    for raw in malformed() {
        let run = Rehab::new(&db.dir).env("DATABASE_URL", &raw).args(&["setup"]).run();
        assert_eq!(run.status, Some(2), "{raw:?} via DATABASE_URL");
        assert!(!leaks(&run.stderr), "{raw:?} leaked: {}", run.stderr);
    }
    // Other tests create and drop their own databases meanwhile, so look for what these strings could
    // have created: a database named after the password (or a piece of it), `app`, or the default name.
    let created: Vec<String> = databases(&db).into_iter().filter(|d| !before.contains(d)).collect();
    for name in &created {
        assert!(!leaks(name) && !name.starts_with("app") && name != "rehab_development", "created {name:?}");
    }
}

#[test]
fn each_malformed_string_says_which_part_is_wrong() {
    let db = TestDb::named("malformed_msg");
    for (raw, says) in [
        ("postgres:{P}@127.0.0.1/app", "missing // after the scheme `postgres:`"),
        ("", "the connection string is empty"),
        ("postgresql://u%ZZ:{P}@127.0.0.1/app", "bad percent-encoding in the user name"),
        ("postgresql://u:{P}%G0@127.0.0.1/app", "bad percent-encoding in the password"),
        ("postgresql://u:{P}@127.0.0.1:0/app", "port 0"),
        ("postgresql://u:{P}/app", "port after the host is not a number"),
        ("host=127.0.0.1 password='{P}", "no closing `'`"),
    ] {
        let raw = raw.replace("{P}", P);
        Rehab::new(&db.dir).arg("--database-url").arg(&raw).arg("current").run().exit(Exit::Usage).stderr_has(says);
    }
}

#[test]
fn keyword_value_strings_connect_and_are_redacted_like_urls() {
    let db = TestDb::new("keyword_value");
    let s = db.server;
    let mut conninfo = format!("host={} port={} user={} dbname='{}' sslmode=disable", s.host, s.port, s.user, db.name);
    // The password travels (and is redacted) whether or not the server needs one.
    conninfo.push_str(&format!(" password='{}'", s.password.clone().unwrap_or_else(|| P.to_string())));
    Rehab::new(&db.dir).arg("--database-url").arg(&conninfo).arg("setup").ok();
    assert_eq!(db.applied_versions(), vec![1, 2, 3, 4, 5, 6]);
    let run = Rehab::new(&db.dir).arg("--database-url").arg(&conninfo).args(&["--verbose", "current"]).ok();
    assert!(run.stderr.contains(&format!("@{}:{}/{}", s.host, s.port, db.name)), "{}", run.stderr);
    assert!(run.stderr.contains(":***@") && !leaks(&run.stderr) && !leaks(&run.stdout), "{}", run.stderr);
}

/// 63 bytes: the longest name PostgreSQL keeps whole.
fn long_base_name() -> String {
    let mut name = format!("rehab_t_{}_long_", std::process::id());
    while name.len() < 63 {
        name.push('x');
    }
    name
}

#[test]
fn a_partition_suffix_past_63_bytes_is_refused_and_the_base_database_is_untouched() {
    let db = TestDb::with_exact_name(&long_base_name());
    db.rehab(&["setup"]).ok();
    db.rehab(&["seed", "--profile", "demo", "--scale", "0.01"]).ok();
    let users = db.scalar::<i64>("SELECT count(*) FROM auth.users");
    assert!(users > 0);
    let long = format!("{}_12345", db.name);
    let says = format!("database name `{long}` is 69 bytes");
    db.rehab(&["reset", "--yes", "--partition", "12345"]).run().exit(Exit::Usage).stderr_has(&says);
    db.rehab(&["setup", "--partition", "12345"]).run().exit(Exit::Usage).stderr_has(&says);
    db.rehab(&["seed", "--replace"]).env("REHAB_TEST_PARTITION", "12345").run().exit(Exit::Usage).stderr_has(&says);
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM auth.users"), users, "the base database changed");
    let truncated: bool = db
        .admin()
        .query_one("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname::text = $1::text)", &[&long])
        .unwrap()
        .get(0);
    assert!(!truncated);
}

#[test]
fn a_long_database_or_maintenance_name_is_refused_before_connecting() {
    let db = TestDb::named("long_names");
    let long = "d".repeat(64);
    let url = db.server.url(&long);
    Rehab::new(&db.dir).arg("--database-url").arg(&url).arg("setup").run().exit(Exit::Usage).stderr_has("is 64 bytes");
    std::fs::write(db.dir.join("rehab.toml"), format!("[database]\nmaintenance_db = \"{long}\"\n")).unwrap();
    db.rehab(&["setup"]).run().exit(Exit::Usage).stderr_has(&format!("`{long}` is 64 bytes"));
    assert!(!db.exists());
}

/// A listener that accepts TCP connections (the kernel completes the handshake) and never says a word.
fn silent_listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[test]
fn a_silent_server_fails_within_the_connect_timeout() {
    let db = TestDb::named("silent");
    let (_listener, port) = silent_listener();
    let url = format!("postgresql://u:{P}@127.0.0.1:{port}/app?connect_timeout=2");
    for command in [&["current"][..], &["migrate"], &["show"]] {
        let started = Instant::now();
        let run = Rehab::new(&db.dir).arg("--database-url").arg(&url).args(command).run().exit(Exit::Failure);
        assert!(started.elapsed() < Duration::from_secs(4), "{command:?} took {:?}", started.elapsed());
        assert!(run.stderr.contains(&format!("no answer from 127.0.0.1:{port} within 2 s")), "{}", run.stderr);
        assert!(run.stderr.contains("pg_isready") && !leaks(&run.stderr), "{}", run.stderr);
    }
    // PGCONNECT_TIMEOUT bounds it just the same.
    let plain = format!("postgresql://u@127.0.0.1:{port}/app");
    let started = Instant::now();
    Rehab::new(&db.dir)
        .arg("--database-url")
        .arg(&plain)
        .env("PGCONNECT_TIMEOUT", "1")
        .arg("current")
        .run()
        .exit(Exit::Failure);
    assert!(started.elapsed() < Duration::from_secs(3), "PGCONNECT_TIMEOUT ignored: {:?}", started.elapsed());
}

#[test]
fn setup_wait_on_a_silent_server_gives_up_after_the_wait() {
    let db = TestDb::named("silent_wait");
    let (_listener, port) = silent_listener();
    let url = format!("postgresql://u@127.0.0.1:{port}/app?connect_timeout=10");
    let started = Instant::now();
    Rehab::new(&db.dir)
        .arg("--database-url")
        .arg(&url)
        .args(&["setup", "--wait", "2"])
        .run()
        .exit(Exit::Failure)
        .stderr_has(&format!("no answer from 127.0.0.1:{port} within 2 s"));
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn doctor_reports_a_silent_server_as_unreachable_and_still_prints_its_table() {
    let db = TestDb::named("silent_doctor");
    let (_listener, port) = silent_listener();
    let url = format!("postgresql://u@127.0.0.1:{port}/app?connect_timeout=2");
    let started = Instant::now();
    let run = Rehab::new(&db.dir).arg("--database-url").arg(&url).args(&["doctor", "--format", "json"]).run();
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
    assert_eq!(run.status, Some(3), "{}{}", run.stdout, run.stderr);
    let checks = run.json()["checks"].as_array().cloned().unwrap_or_default();
    let reachable = checks.iter().find(|c| c["group"] == "connection" && c["name"] == "reachable").unwrap();
    assert_eq!(reachable["status"], "fail", "{reachable}");
    assert!(reachable["detail"].as_str().unwrap().contains("no answer"), "{reachable}");
    // The table form prints too.
    let run = Rehab::new(&db.dir).arg("--database-url").arg(&url).arg("doctor").run();
    assert!(run.stdout.contains("reachable") && run.stdout.contains("FAIL"), "{}", run.stdout);
}

#[test]
fn seed_replace_refuses_a_database_marked_protected_and_keeps_its_data() {
    let db = TestDb::named("seed_marker");
    let url = db.url();
    std::fs::write(
        db.dir.join("rehab.toml"),
        format!("default_env = \"prod\"\n[environments.prod]\nurl = \"{url}\"\nprotected = true\n"),
    )
    .unwrap();
    Rehab::new(&db.dir).args(&["setup"]).ok();
    Rehab::new(&db.dir).args(&["seed", "--profile", "demo", "--scale", "0.01", "--allow-protected"]).ok();
    let users = db.scalar::<i64>("SELECT count(*) FROM auth.users");
    // A plain URL, no config: only the marker in the database knows.
    std::fs::remove_file(db.dir.join("rehab.toml")).unwrap();
    for args in [&["seed", "--replace"][..], &["seed"]] {
        db.rehab(args).run().exit(Exit::Refused).stderr_has("database itself is marked").stderr_has("`prod`");
    }
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM auth.users"), users);
    assert_eq!(db.scalar::<i64>("SELECT count(*) FROM public.rehab_seed_runs"), 1);
}

/// Bytes of WAL written but not yet flushed on `server` (a few bytes of page header may remain).
fn unflushed_wal(server: &crate::support::Server) -> i64 {
    let row = server
        .connect("postgres")
        .unwrap()
        .query_one("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), pg_current_wal_flush_lsn())::int8", &[])
        .unwrap();
    row.get(0)
}

#[test]
fn migrate_and_reset_end_with_every_reported_commit_flushed() {
    // A private, idle cluster whose WAL writer flushes only every 10 s: an asynchronous commit stays
    // unflushed long enough to see, and nothing else writes WAL (no standby snapshots at wal_level minimal).
    let cluster = crate::support::TempCluster::start_private_with(
        None,
        &[
            ("wal_writer_delay", "10000"),
            ("wal_writer_flush_after", "1GB"),
            ("wal_level", "minimal"),
            ("max_wal_senders", "0"),
        ],
    )
    .expect("start a private cluster");
    let server = cluster.server();
    let url = server.url("durable");
    let dir = std::env::temp_dir().join(format!("rehab-durable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rehab = |args: &[&str]| Rehab::new(&dir).arg("--database-url").arg(&url).args(args);

    // The control: on this cluster an asynchronous commit is visibly not flushed.
    let mut c = server.connect("postgres").unwrap();
    c.batch_execute(
        "SET synchronous_commit = off; CREATE TABLE async_probe (id int); INSERT INTO async_probe VALUES (1)",
    )
    .unwrap();
    assert!(unflushed_wal(&server) > 64, "the cluster flushes asynchronous commits at once; the test proves nothing");

    rehab(&["setup"]).ok();
    let left = unflushed_wal(&server);
    assert!(left < 64, "{left} bytes of WAL unflushed after `rehab setup` reported its migrations applied");
    rehab(&["reset", "--yes"]).ok();
    let left = unflushed_wal(&server);
    assert!(left < 64, "{left} bytes of WAL unflushed after `rehab reset`");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reset_runs_only_no_transaction_migrations_after_its_commit_and_says_so() {
    let db = TestDb::new("reset_notx");
    let dir = db.fixture_dir(
        "m",
        &[
            ("V1__table.sql", "CREATE TABLE items (id int, name text);"),
            (
                "V2__index.sql",
                "-- rehab:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS items_name ON items (name);",
            ),
            ("V3__more.sql", "ALTER TABLE items ADD COLUMN note text;"),
        ],
    );
    let dir = dir.to_str().unwrap();
    db.rehab(&["--migrations", dir, "migrate"]).ok();
    db.client().batch_execute("CREATE TABLE stray (id int)").unwrap();
    let run = db.rehab(&["--migrations", dir, "reset", "--yes"]).ok();
    assert!(run.stderr.contains("1 migration(s) applied in one transaction"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "V2 index is marked no-transaction: it and the 1 migration(s) after it run now, after the reset's commit"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(db.applied_versions(), vec![1, 2, 3]);
    assert!(db.scalar::<bool>("SELECT to_regclass('stray') IS NULL"));
    assert!(db.scalar::<bool>("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name'::regclass"));
    let json = db.rehab(&["--migrations", dir, "--format", "json", "reset", "--yes"]).ok().json();
    let versions: Vec<i64> =
        json["migrate"]["applied"].as_array().unwrap().iter().map(|s| s["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, vec![1, 2, 3], "{json}");
}
