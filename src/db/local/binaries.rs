//! Finds the PostgreSQL server programs (`initdb`, `pg_ctl`, `postgres`) that `rehab dev` runs: `[dev] bin_dir`
//! when set, else `PATH`, else the usual install locations, newest major first. Nothing is ever downloaded, so
//! when none is found the error says how to install the server on the common systems.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use crate::error::CliError;

/// The three programs every `rehab dev` command may need, all from one folder.
const PROGRAMS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// A folder holding `initdb`, `pg_ctl` and `postgres`, and their version.
#[derive(Debug, Clone)]
pub struct ServerBinaries {
    pub dir: PathBuf,
    /// `15.14`, as `postgres --version` says it.
    pub version: String,
    /// `15`: the data directory's layout changes with it (PostgreSQL 10 and later).
    pub major: u32,
}

impl ServerBinaries {
    pub fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Where package managers put the server when it is not on `PATH` (Debian/Ubuntu, source builds, Homebrew).
const INSTALL_GLOBS: [(&str, &str, &str); 4] = [
    ("/usr/lib/postgresql", "", "bin"),
    ("/opt/homebrew/opt", "postgresql@", "bin"),
    ("/usr/local/opt", "postgresql@", "bin"),
    ("/usr/pgsql", "", "bin"),
];

/// `[dev] bin_dir` when given (and then only it), else the first folder on `path` holding all three programs,
/// else the newest major among the usual install locations.
pub fn find(bin_dir: Option<&Path>, path: Option<&std::ffi::OsStr>) -> Result<ServerBinaries> {
    if let Some(dir) = bin_dir {
        return probe(dir).ok_or_else(|| {
            not_found(&format!("[dev] bin_dir = {} holds no initdb, pg_ctl and postgres", dir.display())).into()
        });
    }
    let on_path = path.into_iter().flat_map(std::env::split_paths).find_map(|d| probe(&d));
    if let Some(found) = on_path {
        return Ok(found);
    }
    let mut candidates: Vec<ServerBinaries> = install_dirs().iter().filter_map(|d| probe(d)).collect();
    candidates.sort_by_key(|b| std::cmp::Reverse(b.major));
    candidates.into_iter().next().ok_or_else(|| {
        not_found(
            "no PostgreSQL server programs (initdb, pg_ctl, postgres) on PATH, in /usr/lib/postgresql/*/bin, \
             /usr/local/pgsql/bin, /usr/pgsql-*/bin or Homebrew's postgresql@*",
        )
        .into()
    })
}

/// The candidate folders under the usual install locations, in no particular order.
fn install_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("/usr/local/pgsql/bin")];
    for (root, prefix, bin) in INSTALL_GLOBS {
        let Ok(entries) = std::fs::read_dir(root) else { continue };
        dirs.extend(
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                .map(|e| e.path().join(bin)),
        );
    }
    // Fedora/RHEL's PGDG packages: /usr/pgsql-16/bin.
    if let Ok(entries) = std::fs::read_dir("/usr") {
        dirs.extend(
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("pgsql-"))
                .map(|e| e.path().join("bin")),
        );
    }
    dirs
}

/// The binaries in `dir` when all three are there and `postgres --version` answers.
fn probe(dir: &Path) -> Option<ServerBinaries> {
    if !PROGRAMS.iter().all(|p| dir.join(p).is_file()) {
        return None;
    }
    let out = Command::new(dir.join("postgres")).arg("--version").output().ok()?;
    let version = parse_version(&String::from_utf8_lossy(&out.stdout))?;
    let major = version.split('.').next()?.parse().ok()?;
    Some(ServerBinaries { dir: dir.to_path_buf(), version, major })
}

/// `postgres (PostgreSQL) 15.14 (Debian 15.14-1.pgdg120+1)` -> `15.14`; `16beta2` -> `16beta2`.
fn parse_version(text: &str) -> Option<String> {
    let rest = text.split(')').nth(1)?.trim();
    let version = rest.split_whitespace().next()?;
    version.starts_with(|c: char| c.is_ascii_digit()).then(|| version.to_string())
}

/// The error when no server is installed: the install command for each common system.
fn not_found(what: &str) -> CliError {
    CliError::failure(what.to_string()).with_hint(
        "install the PostgreSQL server (rehab downloads nothing): Debian/Ubuntu `sudo apt-get install postgresql`, \
         Fedora `sudo dnf install postgresql-server`, macOS `brew install postgresql@17`; or point [dev] bin_dir in \
         rehab.toml at the folder holding initdb, pg_ctl and postgres",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_banner() {
        assert_eq!(parse_version("postgres (PostgreSQL) 15.14 (Debian 15.14-1.pgdg120+1)\n").as_deref(), Some("15.14"));
        assert_eq!(parse_version("postgres (PostgreSQL) 17.2\n").as_deref(), Some("17.2"));
        assert_eq!(parse_version("something else"), None);
    }

    #[test]
    fn an_empty_bin_dir_names_the_install_commands() {
        let dir = tempfile::tempdir().unwrap();
        let err = find(Some(dir.path()), None).unwrap_err();
        let cli = err.downcast_ref::<CliError>().unwrap();
        assert!(cli.message.contains("bin_dir"), "{}", cli.message);
        let hint = cli.hint.as_deref().unwrap();
        assert!(hint.contains("apt-get") && hint.contains("dnf") && hint.contains("brew"), "{hint}");
    }
}
