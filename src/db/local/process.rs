//! Runs the development cluster's server programs (`initdb`, `pg_ctl`) as its owner, and tells a running
//! server from a stale `postmaster.pid` left by a crash or `kill -9`, which it clears so `start` recovers.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};

use super::binaries::ServerBinaries;
use super::layout::ClusterLayout;
use crate::error::CliError;

/// How long `pg_ctl -w` waits for the server to come up or shut down.
const PG_CTL_TIMEOUT_SECS: &str = "60";

/// The port in the socket's name (`.s.PGSQL.5432`) when the server takes no TCP connections.
pub const SOCKET_ONLY_PORT: u16 = 5432;

/// What `postmaster.pid` says about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerState {
    /// No `postmaster.pid`: the server is stopped.
    Stopped,
    /// A live postgres process serves this data directory. `port` names its socket (`.s.PGSQL.PORT`); it is
    /// also `tcp_port` when the server listens on TCP.
    Running { pid: u32, port: u16, tcp_port: Option<u16> },
    /// `postmaster.pid` names a process that is gone, a zombie, or not this cluster's postgres.
    Stale { pid: Option<u32> },
}

/// Reads `postmaster.pid` (pid, data dir, start time, port, socket dir, listen address, ...).
pub fn state(layout: &ClusterLayout) -> ServerState {
    let Ok(text) = std::fs::read_to_string(layout.pid_file()) else { return ServerState::Stopped };
    let lines: Vec<&str> = text.lines().collect();
    let Some(pid) = lines.first().and_then(|l| l.trim().parse::<u32>().ok()) else {
        return ServerState::Stale { pid: None };
    };
    if !is_our_postmaster(pid, &layout.data_dir) {
        return ServerState::Stale { pid: Some(pid) };
    }
    let port = lines.get(3).and_then(|l| l.trim().parse::<u16>().ok()).unwrap_or(SOCKET_ONLY_PORT);
    let listens = lines.get(5).is_some_and(|l| !l.trim().is_empty());
    ServerState::Running { pid, port, tcp_port: listens.then_some(port) }
}

/// True when `pid` is alive (not a zombie) and is a postgres working in `data_dir`. On Linux `/proc` says
/// all of it; elsewhere `ps` says whether it lives and what it runs.
fn is_our_postmaster(pid: u32, data_dir: &Path) -> bool {
    let proc_dir = Path::new("/proc").join(pid.to_string());
    if Path::new("/proc/self").exists() {
        let Ok(stat) = std::fs::read_to_string(proc_dir.join("stat")) else { return false };
        // `pid (comm) STATE ...`: the state follows the last `)`.
        let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
        let comm = stat.split_once('(').and_then(|(_, rest)| rest.rsplit_once(')')).map(|(c, _)| c.to_string());
        if matches!(state, Some("Z" | "X")) || !comm.is_some_and(|c| c.starts_with("postgres") || c == "postmaster") {
            return false;
        }
        // The postmaster works in its data directory; a reused pid of another cluster does not.
        return match (std::fs::read_link(proc_dir.join("cwd")), std::fs::canonicalize(data_dir)) {
            (Ok(cwd), Ok(data)) => cwd == data,
            _ => true,
        };
    }
    let out = Command::new("ps").args(["-o", "stat=,comm=", "-p", &pid.to_string()]).output();
    out.is_ok_and(|o| {
        let text = String::from_utf8_lossy(&o.stdout);
        o.status.success() && !text.trim_start().starts_with('Z') && text.contains("postgres")
    })
}

/// Removes what a dead server left behind: `postmaster.pid`, and the socket and its lock file, whose pid
/// the new server would otherwise take for a live one.
pub fn clear_stale(layout: &ClusterLayout) -> Result<()> {
    let mut leftovers = vec![layout.pid_file()];
    if let Ok(entries) = std::fs::read_dir(&layout.socket_dir) {
        leftovers.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".s.PGSQL."))),
        );
    }
    for path in leftovers {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove the stale {}", path.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// `initdb` into the (empty) data directory: trust on the socket only, SCRAM with `password_file` over TCP,
/// UTF-8 with the C locale (the same sort order on every machine), the owner's name as the superuser.
pub fn initdb(bins: &ServerBinaries, layout: &ClusterLayout, password: &str) -> Result<()> {
    // The socket directory is private to the owner: the one place the password may wait for initdb.
    let pwfile = layout.socket_dir.join("initdb-password");
    write_private(&pwfile, password, layout)?;
    let result = run_as_owner(
        layout,
        Command::new(bins.program("initdb"))
            .arg("-D")
            .arg(&layout.data_dir)
            .args(["-U", &layout.owner.name, "-E", "UTF8", "--locale=C", "--auth-local=trust"])
            .args(["--auth-host=scram-sha-256", "--no-instructions"])
            .arg(format!("--pwfile={}", pwfile.display())),
        "initdb",
    );
    let _ = std::fs::remove_file(&pwfile);
    result?;
    write_private(&layout.password_file(), password, layout)
}

/// Writes `text` into a file only the owner may read (mode 0600, handed to the owner when rehab is root).
fn write_private(path: &Path, text: &str, layout: &ClusterLayout) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    if layout.owner.switch {
        std::os::unix::fs::chown(path, Some(layout.owner.uid), Some(layout.owner.gid))?;
    }
    Ok(())
}

/// `pg_ctl start -w`: the socket in the private directory, TCP on 127.0.0.1 only when `tcp_port` is given.
pub fn start(bins: &ServerBinaries, layout: &ClusterLayout, tcp_port: Option<u16>) -> Result<()> {
    // pg_ctl hands these to /bin/sh: the socket directory is rehab's own short path, quoted anyway.
    let options = format!(
        "-k '{}' -p {} -c listen_addresses='{}' -c unix_socket_permissions=0700",
        layout.socket_dir.display(),
        tcp_port.unwrap_or(SOCKET_ONLY_PORT),
        if tcp_port.is_some() { "127.0.0.1" } else { "" },
    );
    run_as_owner(
        layout,
        Command::new(bins.program("pg_ctl"))
            .arg("-D")
            .arg(&layout.data_dir)
            .args(["-w", "-t", PG_CTL_TIMEOUT_SECS, "-l"])
            .arg(layout.log_file())
            .args(["-o", &options, "start"]),
        "pg_ctl start",
    )
    .map_err(|e| e.context(log_tail(layout)))
}

/// `pg_ctl stop -m fast -w`: sessions are disconnected, a checkpoint is written, and rehab waits for the end.
pub fn stop(bins: &ServerBinaries, layout: &ClusterLayout) -> Result<()> {
    run_as_owner(
        layout,
        Command::new(bins.program("pg_ctl")).arg("-D").arg(&layout.data_dir).args([
            "-m",
            "fast",
            "-w",
            "-t",
            PG_CTL_TIMEOUT_SECS,
            "stop",
        ]),
        "pg_ctl stop",
    )
}

/// Waits out the old server's children after a crash: a new postmaster refuses to start while they still
/// hold the shared memory, and they leave within moments of noticing their parent is gone.
pub fn start_after_crash(bins: &ServerBinaries, layout: &ClusterLayout, tcp_port: Option<u16>) -> Result<()> {
    let mut attempt = 0;
    loop {
        match start(bins, layout, tcp_port) {
            Ok(()) => return Ok(()),
            Err(_) if attempt < 5 => {
                attempt += 1;
                std::thread::sleep(Duration::from_secs(1));
                if let ServerState::Stale { .. } = state(layout) {
                    clear_stale(layout)?;
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// The last lines of the server log, for an error that says why the server did not start.
fn log_tail(layout: &ClusterLayout) -> String {
    let text = std::fs::read_to_string(layout.log_file()).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(8)..].join("\n");
    format!("the server did not start; the end of {}:\n{tail}", layout.log_file().display())
}

/// Runs `cmd` as the cluster's owner (through `runuser` when rehab is root), from `/` so a private working
/// directory cannot stop the program, and turns a failure into an error holding its output.
fn run_as_owner(layout: &ClusterLayout, cmd: &mut Command, what: &str) -> Result<()> {
    let mut wrapped;
    let cmd = if layout.owner.switch {
        wrapped = Command::new("runuser");
        wrapped.args(["-u", &layout.owner.name, "--"]).arg(cmd.get_program()).args(cmd.get_args());
        &mut wrapped
    } else {
        cmd
    };
    let out = cmd
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    if out.status.success() {
        return Ok(());
    }
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Err(CliError::failure(format!("{what} failed: {}", text.trim())).into())
}
