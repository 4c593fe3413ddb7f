//! Test harness: a throwaway database per test (dropped on drop) and a builder that runs the real
//! `rehab` binary against it with a clean environment.

pub mod pgbouncer;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};

pub use pgbouncer::{PgBouncer, PoolMode};
pub use server::{Server, TempCluster, server};

/// A database of the test's own, named after the test, dropped (sessions included) on drop.
pub struct TestDb {
    pub name: String,
    pub server: &'static Server,
    /// A scratch folder for fixtures and config files, removed on drop.
    pub dir: PathBuf,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A name only: the database is not created (for `setup` tests).
    pub fn named(test: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let mut name = format!("rehab_t_{}_{}_{n}", std::process::id(), test);
        name.truncate(63);
        let dir = std::env::temp_dir().join(format!("{name}_dir"));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Self { name, server: server(), dir };
        db.drop_database();
        db
    }

    /// An empty database, created now.
    pub fn new(test: &str) -> Self {
        let db = Self::named(test);
        db.admin().batch_execute(&format!("CREATE DATABASE {}", quote(&db.name))).expect("create test database");
        db
    }

    /// A database with a name chosen by the test (quotes and spaces welcome).
    pub fn with_exact_name(name: &str) -> Self {
        let mut db = Self::named("exact");
        db.name = name.to_string();
        db.drop_database();
        db
    }

    pub fn url(&self) -> String {
        self.server.url(&self.name)
    }

    pub fn admin(&self) -> postgres::Client {
        self.server.connect("postgres").expect("connect to the maintenance database")
    }

    pub fn client(&self) -> postgres::Client {
        self.server.connect(&self.name).expect("connect to the test database")
    }

    pub fn exists(&self) -> bool {
        self.admin().query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&self.name]).unwrap().is_some()
    }

    /// `rehab ARGS --database-url <this database>`.
    pub fn rehab(&self, args: &[&str]) -> Rehab {
        Rehab::new(&self.dir).arg("--database-url").arg(self.url()).args(args)
    }

    /// One value from a query, for assertions.
    pub fn scalar<T: for<'a> postgres::types::FromSql<'a>>(&self, sql: &str) -> T {
        self.client().query_one(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}")).get(0)
    }

    /// Applied versions in the history table, in order.
    pub fn applied_versions(&self) -> Vec<i32> {
        let mut c = self.client();
        let exists: bool =
            c.query_one("SELECT to_regclass('refinery_schema_history') IS NOT NULL", &[]).unwrap().get(0);
        if !exists {
            return vec![];
        }
        c.query("SELECT version FROM refinery_schema_history ORDER BY version", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// Writes `files` (name, contents) into a fresh folder under the scratch dir and returns it.
    pub fn fixture_dir(&self, label: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = self.dir.join(label);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, sql) in files {
            std::fs::write(dir.join(name), sql).unwrap();
        }
        dir
    }

    /// `pg_dump --schema-only` of the database, history table excluded, for exact comparisons.
    pub fn schema_dump(&self) -> String {
        let s = self.server;
        let mut cmd = std::process::Command::new("pg_dump");
        cmd.args(["--schema-only", "--no-owner", "--no-privileges", "--exclude-table=refinery_schema_history"]).args([
            "-h",
            &s.host,
            "-p",
            &s.port.to_string(),
            "-U",
            &s.user,
            "-d",
            &self.name,
        ]);
        if let Some(p) = &s.password {
            cmd.env("PGPASSWORD", p);
        }
        let out = cmd.output().expect("pg_dump is installed (apt-get install postgresql-client)");
        assert!(out.status.success(), "pg_dump failed: {}", String::from_utf8_lossy(&out.stderr));
        // pg_dump 15.14+ brackets the dump with \restrict lines holding a random key.
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn drop_database(&self) {
        let _ = self.admin().batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote(&self.name)));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.drop_database();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Runs the real binary with a clean environment: no `DATABASE_URL`, PG*, REHAB_* or COLUMNS leak in from
/// the machine, and the working directory is the test's own (no stray rehab.toml).
pub struct Rehab {
    cmd: std::process::Command,
}

impl Rehab {
    pub fn new(cwd: &Path) -> Self {
        Self::through(cwd, &[])
    }

    /// Runs the binary in a network namespace of its own, where nothing listens on localhost: how a machine
    /// with no PostgreSQL server running looks to rehab. As root `unshare -n`; otherwise in a user namespace that
    /// keeps the user's own id (`--map-current-user`, util-linux 2.38+), so rehab still runs as that user.
    pub fn without_network(cwd: &Path) -> Self {
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if root {
            Self::through(cwd, &["unshare", "-n", "--"])
        } else {
            Self::through(cwd, &["unshare", "-n", "--map-current-user", "--"])
        }
    }

    /// The binary run as the OS account `user` (through `runuser`, so the tests must be root), with the same
    /// clean environment: how rehab behaves for an unprivileged user on a shared machine.
    pub fn as_user(cwd: &Path, user: &str) -> Self {
        Self::through(cwd, &["runuser", "-u", user, "--"])
    }

    /// The binary started through `wrapper` (a program and its arguments), with the same clean environment.
    fn through(cwd: &Path, wrapper: &[&str]) -> Self {
        let mut cmd = match wrapper.split_first() {
            None => std::process::Command::new(env!("CARGO_BIN_EXE_rehab")),
            Some((program, args)) => {
                let mut cmd = std::process::Command::new(program);
                cmd.args(args).arg(env!("CARGO_BIN_EXE_rehab"));
                cmd
            }
        };
        cmd.current_dir(cwd);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            // COLUMNS and LINES would size tables and help texts (a shell that exports them).
            if key == "DATABASE_URL"
                || key.starts_with("PG")
                || key.starts_with("REHAB_")
                || key == "COLUMNS"
                || key == "LINES"
            {
                cmd.env_remove(&key);
            }
        }
        cmd.env("PGPASSFILE", "/nonexistent/rehab-test-pgpass").env("NO_COLOR", "1");
        Self { cmd }
    }

    #[must_use]
    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.arg(a);
        self
    }

    #[must_use]
    pub fn args(mut self, a: &[&str]) -> Self {
        self.cmd.args(a);
        self
    }

    #[must_use]
    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(k, v);
        self
    }

    pub fn spawn(mut self) -> std::process::Child {
        self.cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        self.cmd.spawn().expect("run rehab")
    }

    pub fn run(mut self) -> Run {
        self.cmd.stdin(std::process::Stdio::null());
        Run::from(self.cmd.output().expect("run rehab"))
    }

    /// Runs and asserts exit 0.
    #[track_caller]
    pub fn ok(self) -> Run {
        self.run().exit(Exit::Success)
    }

    /// Runs on a pseudo-terminal `cols` columns wide (util-linux `script`), with stdin, stdout and stderr on
    /// it: what a person at a terminal sees, escape codes included, in `stdout` (`stderr` is empty).
    pub fn on_terminal(self, cols: u16) -> Run {
        let quote = |s: &std::ffi::OsStr| format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"));
        let mut line = format!("stty cols {cols} rows 40; exec {}", quote(self.cmd.get_program()));
        for arg in self.cmd.get_args() {
            line.push(' ');
            line.push_str(&quote(arg));
        }
        let mut script = std::process::Command::new("script");
        script.args(["--quiet", "--return", "--command", &line, "/dev/null"]).env("SHELL", "/bin/sh");
        if let Some(dir) = self.cmd.get_current_dir() {
            script.current_dir(dir);
        }
        for (key, value) in self.cmd.get_envs() {
            match value {
                Some(v) => script.env(key, v),
                None => script.env_remove(key),
            };
        }
        let out = script.stdin(std::process::Stdio::null()).output().expect("util-linux `script` is installed");
        Run::from(out)
    }
}

/// rehab's documented exit codes (README), named here independently of the crate: the tests check the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// A runtime failure: connection, SQL error, refused migration or rollback, lock timeout, ...
    Failure = 1,
    /// A usage or configuration error, found before anything changes.
    Usage = 2,
    /// A check found problems (`show --check`, `doctor`).
    CheckFailed = 3,
    /// Refused by a safety guard: a protected environment, no confirmation, data already there.
    Refused = 4,
}

/// What a run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            status: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn exit(self, expected: Exit) -> Self {
        assert_eq!(
            self.status,
            Some(expected as i32),
            "exit code, expected {expected:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(self.stderr.contains(needle), "stderr lacks {needle:?}:\n{}", self.stderr);
        self
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(self.stdout.contains(needle), "stdout lacks {needle:?}:\n{}", self.stdout);
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}
