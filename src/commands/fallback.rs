//! The embedded default: when nothing names a server (no `--database-url`, `DATABASE_URL`, environment URL,
//! `PGHOST` or `PGPORT`) and nothing answers on localhost:5432, a command uses rehab's dev cluster, starting
//! it when needed, and says so in one stderr line. A server that answers on 5432 is used as before.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use super::dev::{self, DevCluster};
use crate::cli::DevStartArgs;
use crate::db::ConnInfo;
use crate::db::local::process;
use crate::settings::Settings;

/// How long the default port may take to accept: loopback answers in microseconds, so this only bounds a
/// firewall that drops packets.
const PROBE: Duration = Duration::from_millis(500);

/// The dev cluster's connection for `settings`' database, when the default target has no server; `None`
/// when a server was named or answers on localhost:5432.
pub fn target(settings: &Settings, cwd: &Path) -> Result<Option<ConnInfo>> {
    if settings.server_named || settings.conn.port != 5432 || settings.conn.host != "localhost" || answers() {
        return Ok(None);
    }
    let env = |k: &str| std::env::var(k).ok();
    let cluster = DevCluster::locate(&settings.dev, &env, cwd)
        .context("no PostgreSQL answers on localhost:5432, and rehab's local cluster cannot be used instead")?;
    let out = &settings.output;
    let started = dev::start(&cluster, &DevStartArgs::default(), out)?;
    let port = started.status.port.unwrap_or(process::SOCKET_ONLY_PORT);
    let url = cluster.layout.socket_url(&settings.conn.dbname, port);
    let conn = ConnInfo::resolve(Some(&url), &env)?;
    out.status(&format!(
        "no PostgreSQL on localhost:5432; using rehab's local cluster at {} (`rehab dev stop` stops it)",
        cluster.layout.data_dir.display()
    ));
    Ok(Some(conn))
}

/// True when something accepts TCP connections on localhost:5432 (IPv4 or IPv6), as libpq's default would try.
fn answers() -> bool {
    ["127.0.0.1:5432", "[::1]:5432"]
        .iter()
        .filter_map(|a| a.parse::<SocketAddr>().ok())
        .any(|addr| TcpStream::connect_timeout(&addr, PROBE).is_ok())
}
