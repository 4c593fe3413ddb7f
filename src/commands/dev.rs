//! `rehab dev start | stop | status | url | destroy`: the private development cluster. The work is in
//! `db::local`; this file picks the cluster from the configuration and turns each action into a report.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::cli::{DevStartArgs, DevUrlArgs};
use crate::config::DevSection;
use crate::db::local::{ClusterLayout, ServerBinaries, ServerState, binaries, layout, process};
use crate::db::{ConnInfo, connect};
use crate::error::CliError;
use crate::output::Output;
use crate::output::prompt::{Confirmation, yes_no};

/// The variable that names the data directory, above `[dev] data_dir` (tests give each cluster its own).
pub const DATA_DIR_VAR: &str = "REHAB_DEV_DIR";

/// The server programs and the cluster's layout, resolved once per run.
pub struct DevCluster {
    pub bins: ServerBinaries,
    pub layout: ClusterLayout,
}

impl DevCluster {
    /// Finds the programs (`[dev] bin_dir`, `PATH`, install locations) and places the cluster
    /// (`REHAB_DEV_DIR`, `[dev] data_dir`, the default), refusing a data directory of another major version.
    /// `dev` is `[dev]` with its folders absolute (`LoadedConfig::dev_section`).
    pub fn locate(dev: &DevSection, env: &dyn Fn(&str) -> Option<String>, cwd: &Path) -> Result<Self> {
        let path = env("PATH");
        let bins = binaries::find(dev.bin_dir.as_deref(), path.as_deref().map(std::ffi::OsStr::new))?;
        let owner = layout::owner(dev.os_user.as_deref())?;
        let data_dir = match (env(DATA_DIR_VAR).filter(|v| !v.is_empty()), &dev.data_dir) {
            (Some(dir), _) => cwd.join(dir),
            (None, Some(dir)) => dir.clone(),
            (None, None) => layout::default_data_dir(bins.major, env, owner.switch)?,
        };
        let layout = ClusterLayout::new(&data_dir, owner)?;
        if let Some(major) = layout.data_major().filter(|m| *m != bins.major) {
            return Err(CliError::failure(format!(
                "the dev cluster in {} was made by PostgreSQL {major}, but the server programs found are {} ({})",
                layout.data_dir.display(),
                bins.version,
                bins.dir.display()
            ))
            .with_hint(format!(
                "point [dev] bin_dir at PostgreSQL {major}'s bin folder, or start over with `rehab dev destroy --yes`"
            ))
            .into());
        }
        Ok(Self { bins, layout })
    }
}

#[derive(Debug, Serialize)]
pub struct DatabaseSize {
    pub name: String,
    pub bytes: i64,
}

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub running: bool,
    pub version: Option<String>,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub port: Option<u16>,
    pub databases: Vec<DatabaseSize>,
    /// False before the first `start` (no data directory yet); the table says so, JSON has `version: null`.
    #[serde(skip)]
    pub(crate) created: bool,
}

#[derive(Debug, Serialize)]
pub struct StartReport {
    /// False when the cluster was running already (nothing was done).
    pub started: bool,
    /// True when this run created the cluster (initdb).
    pub created: bool,
    /// True when a stale postmaster.pid (crash, kill) was cleared first.
    pub recovered: bool,
    pub url: String,
    pub status: StatusReport,
    #[serde(skip)]
    pub(crate) ignored_port: Option<u16>,
}

#[derive(Debug, Serialize)]
pub struct StopReport {
    /// False when it was not running.
    pub stopped: bool,
    pub data_dir: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct UrlReport {
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct DestroyReport {
    /// False when there was no data directory to remove.
    pub removed: bool,
    pub data_dir: PathBuf,
}

pub fn start(c: &DevCluster, args: &DevStartArgs, out: &Output) -> Result<StartReport> {
    let layout = &c.layout;
    layout.ensure_socket_dir()?;
    let created = layout.data_major().is_none();
    if created {
        if std::fs::read_dir(&layout.data_dir).is_ok_and(|mut d| d.next().is_some()) {
            return Err(not_a_cluster(layout));
        }
        out.status(&format!("creating the dev cluster in {} (initdb)", layout.data_dir.display()));
        layout.ensure_data_dir()?;
        process::initdb(&c.bins, layout, &uuid::Uuid::new_v4().simple().to_string())?;
    }
    let (started, recovered) = match process::state(layout) {
        ServerState::Running { .. } => (false, false),
        ServerState::Stale { pid } => {
            out.status(&format!(
                "clearing a stale postmaster.pid{} (the server was killed or crashed)",
                pid.map(|p| format!(" of pid {p}")).unwrap_or_default()
            ));
            process::clear_stale(layout)?;
            process::start_after_crash(&c.bins, layout, args.port)?;
            (true, true)
        }
        ServerState::Stopped => {
            process::start(&c.bins, layout, args.port)?;
            (true, false)
        }
    };
    let status = status(c)?;
    let ignored_port = args.port.filter(|p| !started && status.port != Some(*p));
    let url = layout.socket_url(DEFAULT_DB, status.port.unwrap_or(process::SOCKET_ONLY_PORT));
    Ok(StartReport { started, created, recovered, url, status, ignored_port })
}

/// The database `rehab dev url` names unless told otherwise: the one every command targets by default.
const DEFAULT_DB: &str = "rehab_development";

pub fn stop(c: &DevCluster) -> Result<StopReport> {
    let stopped = match process::state(&c.layout) {
        ServerState::Running { .. } => {
            process::stop(&c.bins, &c.layout)?;
            true
        }
        ServerState::Stale { .. } => {
            process::clear_stale(&c.layout)?;
            false
        }
        ServerState::Stopped => false,
    };
    Ok(StopReport { stopped, data_dir: c.layout.data_dir.clone() })
}

pub fn status(c: &DevCluster) -> Result<StatusReport> {
    let layout = &c.layout;
    let created = layout.data_major().is_some();
    let mut report = StatusReport {
        running: false,
        version: created.then(|| c.bins.version.clone()),
        data_dir: layout.data_dir.clone(),
        socket_dir: layout.socket_dir.clone(),
        port: None,
        databases: vec![],
        created,
    };
    if let ServerState::Running { port, tcp_port, .. } = process::state(layout) {
        let info = ConnInfo::resolve(Some(&layout.socket_url("postgres", port)), &|_| None)?;
        let mut client = connect::connect(&info, "rehab dev status", Duration::from_secs(10))?;
        report.running = true;
        report.port = tcp_port;
        // `15.14 (Debian 15.14-1.pgdg120+1)`: the number is the version, the rest is the packager's.
        let version: String = client.query_one("SHOW server_version", &[])?.get(0);
        report.version = version.split_whitespace().next().map(str::to_string);
        report.databases = client
            .query(
                "SELECT datname::text, pg_database_size(oid) FROM pg_database WHERE datallowconn ORDER BY datname",
                &[],
            )?
            .iter()
            .map(|r| DatabaseSize { name: r.get(0), bytes: r.get(1) })
            .collect();
    }
    Ok(report)
}

pub fn url(c: &DevCluster, args: &DevUrlArgs) -> Result<UrlReport> {
    crate::db::conninfo::check_dbname(&args.dbname)?;
    let ServerState::Running { port, tcp_port, .. } = process::state(&c.layout) else {
        return Err(CliError::failure(format!("the dev cluster in {} is not running", c.layout.data_dir.display()))
            .with_hint("start it with `rehab dev start`")
            .into());
    };
    let url = match tcp_port.filter(|_| !args.socket) {
        None => c.layout.socket_url(&args.dbname, port),
        Some(port) => {
            let password = std::fs::read_to_string(c.layout.password_file())
                .with_context(|| format!("cannot read {}", c.layout.password_file().display()))?;
            format!(
                "postgresql://{}:{}@127.0.0.1:{port}/{}",
                layout::encode(&c.layout.owner.name),
                layout::encode(password.trim()),
                layout::encode(&args.dbname)
            )
        }
    };
    Ok(UrlReport { url })
}

pub fn destroy(c: &DevCluster, yes: bool) -> Result<DestroyReport> {
    let layout = &c.layout;
    let data_dir = layout.data_dir.clone();
    if !data_dir.exists() {
        let _ = std::fs::remove_dir_all(&layout.socket_dir);
        return Ok(DestroyReport { removed: false, data_dir });
    }
    // A mistyped data_dir must never cost someone a folder that is not a cluster.
    if layout.data_major().is_none() && std::fs::read_dir(&data_dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(not_a_cluster(layout));
    }
    if !yes {
        let question = format!("Delete the dev cluster in {} and every database in it?", data_dir.display());
        match yes_no(&question)? {
            Confirmation::Confirmed => {}
            Confirmation::Declined => return Err(CliError::refused("not confirmed: nothing was deleted").into()),
            Confirmation::NotInteractive => {
                return Err(CliError::refused(format!(
                    "refusing to delete the dev cluster in {} without confirmation",
                    data_dir.display()
                ))
                .with_hint("pass --yes: `rehab dev destroy --yes`")
                .into());
            }
        }
    }
    stop(c)?;
    std::fs::remove_dir_all(&data_dir).with_context(|| format!("cannot remove {}", data_dir.display()))?;
    let _ = std::fs::remove_dir_all(&layout.socket_dir);
    Ok(DestroyReport { removed: true, data_dir })
}

fn not_a_cluster(layout: &ClusterLayout) -> anyhow::Error {
    CliError::failure(format!(
        "{} is not empty and holds no PostgreSQL cluster (no PG_VERSION)",
        layout.data_dir.display()
    ))
    .with_hint("point REHAB_DEV_DIR or [dev] data_dir at an empty or missing folder")
    .into()
}
