//! Where the development cluster lives and who runs it: the data directory (`REHAB_DEV_DIR`, `[dev] data_dir`,
//! else the user's data directory), a short private socket directory, and the OS account that owns both
//! (the user running rehab, or, for root, whom `initdb` accepts).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::error::CliError;

/// The account the server runs as when rehab runs as root, unless `[dev] os_user` names another.
pub const DEFAULT_ROOT_OWNER: &str = "postgres";

/// The longest Unix-socket path the kernel takes (`sun_path` is 108 bytes on Linux, 104 on macOS, with its NUL).
const MAX_SOCKET_PATH: usize = 103;

/// The OS account that owns the data directory and runs `initdb`, `pg_ctl` and the server.
#[derive(Debug, Clone)]
pub struct Owner {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// rehab runs as root and switches to this account (`runuser`) for every server program.
    pub switch: bool,
}

/// Everything about the cluster that follows from the configuration, before anything runs.
#[derive(Debug, Clone)]
pub struct ClusterLayout {
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub owner: Owner,
}

impl ClusterLayout {
    /// The layout for `data_dir` (already chosen, see [`default_data_dir`]) run by `owner`.
    pub fn new(data_dir: &Path, owner: Owner) -> Result<Self> {
        let data_dir = std::path::absolute(data_dir)
            .with_context(|| format!("cannot make {} an absolute path", data_dir.display()))?;
        let socket_dir = socket_dir_for(&data_dir, current_uid()?);
        Ok(Self { data_dir, socket_dir, owner })
    }

    /// The generated superuser password, used only over TCP (the socket trusts its few permitted users).
    pub fn password_file(&self) -> PathBuf {
        self.data_dir.join("rehab-password")
    }

    /// The server's log, next to its data (`pg_ctl -l`).
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("rehab-server.log")
    }

    pub fn pid_file(&self) -> PathBuf {
        self.data_dir.join("postmaster.pid")
    }

    /// The major version that created the data directory (`PG_VERSION`), `None` before `initdb`.
    pub fn data_major(&self) -> Option<u32> {
        std::fs::read_to_string(self.data_dir.join("PG_VERSION")).ok().and_then(|v| v.trim().parse().ok())
    }

    /// Creates the socket directory with mode 0700, owned by the server's account, or checks that the one
    /// already there is exactly that: a directory someone else made or opened up is refused, not used.
    pub fn ensure_socket_dir(&self) -> Result<()> {
        let dir = &self.socket_dir;
        match std::fs::symlink_metadata(dir) {
            Err(_) => {
                std::fs::create_dir(dir)
                    .with_context(|| format!("cannot create the socket directory {}", dir.display()))?;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
                if self.owner.switch {
                    std::os::unix::fs::chown(dir, Some(self.owner.uid), Some(self.owner.gid))
                        .with_context(|| format!("cannot hand {} to {}", dir.display(), self.owner.name))?;
                }
                Ok(())
            }
            Ok(meta) if meta.is_dir() && meta.uid() == self.owner.uid && meta.mode() & 0o077 == 0 => Ok(()),
            Ok(_) => Err(CliError::failure(format!(
                "the socket directory {} is not a private directory of {}",
                dir.display(),
                self.owner.name
            ))
            .with_hint(
                "it must be a directory owned by that account with mode 0700: remove it and run the command again",
            )
            .into()),
        }
    }

    /// Creates the (empty) data directory with mode 0700 for the server's account, so `initdb` can fill it.
    pub fn ensure_data_dir(&self) -> Result<()> {
        let dir = &self.data_dir;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        if self.owner.switch {
            std::os::unix::fs::chown(dir, Some(self.owner.uid), Some(self.owner.gid))
                .with_context(|| format!("cannot hand {} to {}", dir.display(), self.owner.name))?;
        }
        Ok(())
    }

    /// The URL rehab and libpq accept for the socket: `postgresql:///DB?host=/tmp/rehab-...&user=NAME`, with
    /// `&port=N` when the socket is not `.s.PGSQL.5432` (a server that also listens on TCP port N).
    pub fn socket_url(&self, dbname: &str, port: u16) -> String {
        let port = if port == super::process::SOCKET_ONLY_PORT { String::new() } else { format!("&port={port}") };
        format!(
            "postgresql:///{}?host={}&user={}{port}",
            encode(dbname),
            percent_encoding::utf8_percent_encode(&self.socket_dir.to_string_lossy(), QUERY_VALUE),
            encode(&self.owner.name)
        )
    }
}

/// Escaped in a URL's user, password and database: everything but letters, digits and `-._~`.
const URL_PART: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Escaped in a query value (`host=/tmp/rehab-...`): the same, except that `/` may stay.
const QUERY_VALUE: &percent_encoding::AsciiSet = &URL_PART.remove(b'/');

/// `text` as one part of a URL (user, password, database name).
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, URL_PART).to_string()
}

/// `/tmp/rehab-<uid>-<hash of the data directory>`: short whatever the data directory's depth (socket paths
/// are limited to about 107 bytes), one per cluster, and named after the user so users never collide.
fn socket_dir_for(data_dir: &Path, uid: u32) -> PathBuf {
    let dir = PathBuf::from(format!("/tmp/rehab-{uid}-{:016x}", fnv1a(data_dir.as_os_str().as_encoded_bytes())));
    debug_assert!(dir.as_os_str().len() + ".s.PGSQL.65535".len() < MAX_SOCKET_PATH);
    dir
}

/// FNV-1a: a hash that stays the same across Rust releases (the standard hasher does not promise to),
/// so a socket directory is found again after rehab is rebuilt.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The data directory when neither `REHAB_DEV_DIR` nor `[dev] data_dir` names one: `$XDG_DATA_HOME/rehab/pgN`,
/// else `$HOME/.local/share/rehab/pgN`; for root `/var/lib/rehab/pgN`, because root's home is closed to the
/// account the server runs as.
pub fn default_data_dir(major: u32, env: &dyn Fn(&str) -> Option<String>, as_root: bool) -> Result<PathBuf> {
    let leaf = Path::new("rehab").join(format!("pg{major}"));
    if as_root {
        return Ok(Path::new("/var/lib").join(leaf));
    }
    let absolute = |v: Option<String>| v.filter(|v| v.starts_with('/')).map(PathBuf::from);
    if let Some(xdg) = absolute(env("XDG_DATA_HOME")) {
        return Ok(xdg.join(leaf));
    }
    match absolute(env("HOME")) {
        Some(home) => Ok(home.join(".local/share").join(leaf)),
        None => Err(CliError::usage("neither $XDG_DATA_HOME nor $HOME is set: rehab cannot place the dev cluster")
            .with_hint("set [dev] data_dir in rehab.toml, or REHAB_DEV_DIR")
            .into()),
    }
}

/// The effective user id of this process (`id -u`: the standard library has no `geteuid`, and rehab
/// forbids `unsafe`).
pub fn current_uid() -> Result<u32> {
    id(&["-u"])
}

/// The account the server runs as: this user, or for root `os_user` (default `postgres`), which must exist.
pub fn owner(os_user: Option<&str>) -> Result<Owner> {
    let uid = current_uid()?;
    if uid != 0 {
        let name = whoami::username().context("cannot tell which OS user runs rehab")?;
        return Ok(Owner { name, uid, gid: id(&["-g"])?, switch: false });
    }
    let name = os_user.unwrap_or(DEFAULT_ROOT_OWNER);
    let lookup = |flag: &str| id(&[flag, name]);
    match (lookup("-u"), lookup("-g")) {
        (Ok(uid), Ok(gid)) if uid != 0 => Ok(Owner { name: name.to_string(), uid, gid, switch: true }),
        _ => Err(CliError::failure(format!(
            "rehab runs as root, and initdb refuses root: the dev cluster needs an unprivileged OS account, but \
             `{name}` does not exist (or is root)"
        ))
        .with_hint(format!(
            "create it (`useradd --system --home-dir /var/lib/postgresql {name}`; installing the postgresql package \
             does), or name another account with [dev] os_user in rehab.toml"
        ))
        .into()),
    }
}

fn id(args: &[&str]) -> Result<u32> {
    let out = Command::new("id").args(args).output().context("cannot run `id`")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        anyhow::bail!("`id {}` failed", args.join(" "));
    }
    text.trim().parse().with_context(|| format!("`id {}` printed `{}`", args.join(" "), text.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_dirs_are_short_and_one_per_data_dir() {
        let deep = PathBuf::from(format!("/{}", "very-long-folder-name/".repeat(20)));
        let a = socket_dir_for(&deep, 1000);
        assert!(a.as_os_str().len() < 40, "{}", a.display());
        assert_ne!(a, socket_dir_for(Path::new("/home/me/.local/share/rehab/pg15"), 1000));
        assert_eq!(a, socket_dir_for(&deep, 1000));
    }

    #[test]
    fn the_default_data_dir_follows_xdg() {
        let env = |k: &str| match k {
            "XDG_DATA_HOME" => Some("/x/data".to_string()),
            "HOME" => Some("/home/me".to_string()),
            _ => None,
        };
        assert_eq!(default_data_dir(15, &env, false).unwrap(), PathBuf::from("/x/data/rehab/pg15"));
        let home_only = |k: &str| (k == "HOME").then(|| "/home/me".to_string());
        assert_eq!(default_data_dir(16, &home_only, false).unwrap(), PathBuf::from("/home/me/.local/share/rehab/pg16"));
        assert_eq!(default_data_dir(16, &home_only, true).unwrap(), PathBuf::from("/var/lib/rehab/pg16"));
    }
}
