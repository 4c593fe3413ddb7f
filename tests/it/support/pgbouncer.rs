//! A real PgBouncer in front of the test server: started on a free port in the pool mode a test asks for,
//! with a generated ini, and stopped on drop. Without `pgbouncer` installed the test fails saying what to
//! install: a skipped pooler test would hide exactly the breakage it exists for.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Server, server};

#[derive(Debug, Clone, Copy)]
pub enum PoolMode {
    Session,
    Transaction,
}

impl PoolMode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Transaction => "transaction",
        }
    }
}

/// A running pgbouncer process, killed on drop.
pub struct PgBouncer {
    pub port: u16,
    pub server: &'static Server,
    child: Child,
    dir: PathBuf,
}

impl PgBouncer {
    /// Starts pgbouncer in `mode` in front of [`server()`] and waits until it answers a query.
    pub fn start(mode: PoolMode) -> Self {
        let binary = binary();
        let server = server();
        let dir = std::env::temp_dir().join(format!("rehab-pgbouncer-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        write_config(&dir, server, port, mode);
        let log = std::fs::File::create(dir.join("pgbouncer.log")).unwrap();
        let mut cmd = Command::new(binary);
        cmd.arg(dir.join("pgbouncer.ini")).stdin(Stdio::null()).stdout(log.try_clone().unwrap()).stderr(log);
        // pgbouncer refuses to run as root: drop to the `postgres` account (the server packages create it).
        // Setting the ids here rather than through runuser keeps the child pgbouncer itself, so drop kills it.
        if let Some((uid, gid)) = root_and_postgres_ids() {
            cmd.uid(uid).gid(gid);
        }
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start pgbouncer: {e}"));
        let mut bouncer = Self { port, server, child, dir };
        bouncer.wait_ready();
        bouncer
    }

    /// A URL for `db` through this pooler (same user and password as the server).
    pub fn url(&self, db: &str) -> String {
        let direct = self.server.url(db);
        direct.replacen(
            &format!("@{}:{}/", self.server.host, self.server.port),
            &format!("@127.0.0.1:{}/", self.port),
            1,
        )
    }

    /// What pgbouncer logged so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut config = postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(self.port)
            .user(&self.server.user)
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(2));
        if let Some(p) = &self.server.password {
            config.password(p);
        }
        loop {
            let answered = config.connect(postgres::NoTls).and_then(|mut c| c.simple_query("SELECT 1").map(|_| ()));
            match answered {
                Ok(()) => return,
                Err(e) => {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        panic!("pgbouncer exited ({status}) before accepting connections:\n{}", self.log());
                    }
                    assert!(
                        Instant::now() <= deadline,
                        "pgbouncer did not accept connections on port {} within 15 s ({e}):\n{}",
                        self.port,
                        self.log()
                    );
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every database of the test server, reached as the client's own user; trust between the tests and the
/// pooler. A password-protected server gets its password in the connection string.
fn write_config(dir: &Path, server: &Server, port: u16, mode: PoolMode) {
    let password =
        server.password.as_ref().map_or_else(String::new, |p| format!(" user={} password='{p}'", server.user));
    let users = dir.join("userlist.txt");
    std::fs::write(&users, format!("\"{}\" \"\"\n", server.user.replace('"', "\"\""))).unwrap();
    let ini = format!(
        "[databases]\n\
         * = host={host} port={server_port}{password}\n\
         [pgbouncer]\n\
         listen_addr = 127.0.0.1\n\
         listen_port = {port}\n\
         unix_socket_dir =\n\
         auth_type = trust\n\
         auth_file = {users}\n\
         pool_mode = {mode}\n",
        host = server.host,
        server_port = server.port,
        users = users.display(),
        mode = mode.as_str(),
    );
    std::fs::write(dir.join("pgbouncer.ini"), ini).unwrap();
}

/// `pgbouncer` on PATH or where Debian puts it.
fn binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("pgbouncer"))
        .find(|p| p.is_file());
    on_path.or_else(|| Some(PathBuf::from("/usr/sbin/pgbouncer")).filter(|p| p.is_file())).unwrap_or_else(|| {
        panic!("pgbouncer is not installed; the connection-pooler tests need a real one: apt-get install pgbouncer")
    })
}

/// The `postgres` account's uid and gid when running as root, `None` otherwise.
fn root_and_postgres_ids() -> Option<(u32, u32)> {
    let id = |args: &[&str]| {
        Command::new("id").args(args).output().ok().and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
    };
    if id(&["-u"]) != Some(0) {
        return None;
    }
    match (id(&["-u", "postgres"]), id(&["-g", "postgres"])) {
        (Some(uid), Some(gid)) => Some((uid, gid)),
        _ => panic!("as root, pgbouncer needs a `postgres` OS user to run as (apt-get install postgresql creates it)"),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap()
}
