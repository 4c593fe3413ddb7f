//! Connection failures say what happened without the password; TLS modes work against a real server.

use crate::support::{Exit, Rehab, TempCluster, TestDb};

#[test]
fn an_unreachable_host_gives_a_clear_error_without_the_password() {
    let db = TestDb::named("unreachable");
    let run = Rehab::new(&db.dir)
        .args(&["show", "--database-url", "postgresql://alice:hunter2@127.0.0.1:1/app"])
        .run()
        .exit(Exit::Failure);
    assert!(run.stderr.contains("could not connect to postgresql://alice:***@127.0.0.1:1/app"), "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    assert!(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2"));
}

#[test]
fn a_wrong_password_gives_a_clear_error_without_the_password() {
    // The shared server trusts everyone; this test needs one that checks passwords.
    let cluster = TempCluster::start_private(Some("right-pass")).expect("start a private cluster");
    let dir = std::env::temp_dir();
    let user = &cluster.user;
    let url = format!("postgresql://{user}:wrong-pass@127.0.0.1:{}/postgres?sslmode=disable", cluster.port);
    let run = Rehab::new(&dir).args(&["current", "--database-url", &url]).run().exit(Exit::Failure);
    assert!(run.stderr.contains("password authentication failed"), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("{user}:***@")), "{}", run.stderr);
    assert!(!run.stderr.contains("wrong-pass") && !run.stdout.contains("wrong-pass"), "{}", run.stderr);
    // The right password from PGPASSWORD works: the variable fills what the URL leaves out.
    let url = format!("postgresql://{user}@127.0.0.1:{}/postgres?sslmode=disable", cluster.port);
    Rehab::new(&dir).args(&["current", "--database-url", &url]).env("PGPASSWORD", "right-pass").ok();
    // So does a private ~/.pgpass-style file.
    let pgpass = cluster.dir.join("pgpass");
    std::fs::write(&pgpass, format!("127.0.0.1:{}:*:{user}:right-pass\n", cluster.port)).unwrap();
    std::fs::set_permissions(&pgpass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    Rehab::new(&dir).args(&["current", "--database-url", &url]).env("PGPASSFILE", &pgpass).ok();
    // The same file readable by others is ignored, as libpq does, and the refusal says so and how to fix it.
    std::fs::set_permissions(&pgpass, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let run = Rehab::new(&dir)
        .args(&["current", "--database-url", &url])
        .env("PGPASSFILE", &pgpass)
        .run()
        .exit(Exit::Failure);
    let says = format!("the password file {} was ignored because group or others can read it", pgpass.display());
    assert!(run.stderr.contains(&says) && run.stderr.contains("chmod 0600"), "{}", run.stderr);
}

#[test]
fn sslmode_require_encrypts_the_connection() {
    let db = TestDb::new("tls_require");
    let ssl_on: String = db.scalar("SHOW ssl");
    assert_eq!(ssl_on, "on", "the test server must have TLS enabled for this test");
    let dir = db.fixture_dir(
        "probe",
        &[(
            "V1__tls_probe.sql",
            "CREATE TABLE tls_probe AS SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid();",
        )],
    );
    let url = db.url().replace("sslmode=disable", "sslmode=require");
    crate::support::Rehab::new(&db.dir).args(&["migrate", "--database-url", &url, "--migrations"]).arg(&dir).ok();
    assert!(db.scalar::<bool>("SELECT ssl FROM tls_probe"), "the migration ran over a plain connection");
}

#[test]
fn sslmode_verify_full_rejects_an_untrusted_certificate() {
    let db = TestDb::new("tls_verify");
    let url = db.url().replace("sslmode=disable", "sslmode=verify-full");
    let run = crate::support::Rehab::new(&db.dir).args(&["current", "--database-url", &url]).run().exit(Exit::Failure);
    assert!(
        run.stderr.contains("could not connect") && run.stderr.to_lowercase().contains("certificate"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_connection_is_named_after_its_command() {
    let db = TestDb::new("app_name");
    let dir = db.fixture_dir(
        "probe",
        &[("V1__who.sql", "CREATE TABLE who AS SELECT current_setting('application_name') AS app;")],
    );
    db.rehab(&["migrate", "--migrations"]).arg(&dir).ok();
    assert_eq!(db.scalar::<String>("SELECT app FROM who"), "rehab migrate");
}

/// The server's own certificate (self-signed, issued for `localhost`) serves as the root to verify against.
fn server_certificate(db: &TestDb) -> String {
    let path: String = db.scalar("SHOW ssl_cert_file");
    let path =
        if path.starts_with('/') { path } else { format!("{}/{path}", db.scalar::<String>("SHOW data_directory")) };
    assert!(std::path::Path::new(&path).is_file(), "the server certificate {path} must be readable by the tests");
    path
}

#[test]
fn sslmode_verify_ca_trusts_the_given_root_without_checking_the_host_name() {
    let db = TestDb::new("tls_verify_ca");
    let cert = server_certificate(&db);
    let url = db.url().replace("sslmode=disable", &format!("sslmode=verify-ca&sslrootcert={cert}"));
    crate::support::Rehab::new(&db.dir).args(&["current", "--database-url", &url]).ok();
    // verify-full also checks the name: the certificate is for `localhost`, not 127.0.0.1.
    let url = db.url().replace("sslmode=disable", &format!("sslmode=verify-full&sslrootcert={cert}"));
    let run = crate::support::Rehab::new(&db.dir).args(&["current", "--database-url", &url]).run().exit(Exit::Failure);
    assert!(run.stderr.contains("not valid for name"), "{}", run.stderr);
    let url = url.replace("@127.0.0.1:", "@localhost:");
    crate::support::Rehab::new(&db.dir).args(&["current", "--database-url", &url]).ok();
}
