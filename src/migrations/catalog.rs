//! The set of migrations rehab knows: embedded in the binary or read from a folder, paired with their
//! down scripts, and validated before anything touches the database (refinery silently skips misnamed
//! files and runs both bodies of a duplicated version; rehab refuses both, naming the file).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::CliError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_migrations.rs"));
}

/// First-line marker: run the script statement by statement outside a transaction.
pub const NO_TRANSACTION_MARKER: &str = "-- rehab:no-transaction";
/// First-line marker of a down script: this migration cannot be undone.
pub const IRREVERSIBLE_MARKER: &str = "-- rehab:irreversible";

/// Where the catalog came from, for messages.
#[derive(Debug, Clone)]
pub enum Source {
    Embedded,
    Dir(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Embedded => f.write_str("the migrations built into rehab"),
            Self::Dir(p) => write!(f, "{}", p.display()),
        }
    }
}

/// One SQL script and how it must be run.
#[derive(Debug, Clone)]
pub struct Script {
    pub file_name: String,
    pub sql: String,
    pub no_transaction: bool,
}

impl Script {
    fn new(file_name: &str, sql: &str) -> Self {
        Self {
            file_name: file_name.to_string(),
            sql: sql.to_string(),
            no_transaction: first_line(sql) == NO_TRANSACTION_MARKER,
        }
    }

    /// True when the script's first line is the irreversible marker.
    pub fn irreversible(&self) -> bool {
        first_line(&self.sql) == IRREVERSIBLE_MARKER
    }
}

fn first_line(sql: &str) -> &str {
    sql.lines().next().unwrap_or("").trim()
}

/// A versioned migration with its optional down script.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: i32,
    pub name: String,
    pub up: Script,
    pub down: Option<Script>,
    /// refinery's view of the up script: it computes the checksum stored in the history table.
    pub refinery: refinery::Migration,
}

impl Migration {
    pub fn checksum(&self) -> u64 {
        self.refinery.checksum()
    }

    /// Has a down script that can actually undo it.
    pub fn reversible(&self) -> bool {
        self.down.as_ref().is_some_and(|d| !d.irreversible())
    }
}

#[derive(Debug, Clone)]
pub struct MigrationCatalog {
    pub source: Source,
    /// Sorted by version, versions unique.
    pub migrations: Vec<Migration>,
}

impl MigrationCatalog {
    /// The migrations built into the binary.
    pub fn embedded() -> Result<Self> {
        Self::from_files(
            Source::Embedded,
            embedded::EMBEDDED.iter().map(|(n, s)| ((*n).to_string(), (*s).to_string())).collect(),
        )
    }

    /// The migrations in `dir`, read now.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let listing = Listing::of(dir)?;
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for sub in &listing.sql_subfolders {
            problems.push(format!(
                "{}/: a sub-folder with .sql files; refinery would run them as forward migrations. \
                 Keep migrations and their .down.sql scripts side by side in one folder",
                sub.file_name().unwrap_or_default().to_string_lossy()
            ));
        }
        for (name, path) in listing.sql_files {
            match std::fs::read_to_string(&path) {
                Ok(sql) => files.push((name, sql)),
                Err(e) => problems.push(format!("{name}: cannot be read as UTF-8 text: {e}")),
            }
        }
        if !problems.is_empty() {
            return Err(invalid(&Source::Dir(dir.to_path_buf()), &problems));
        }
        Self::from_files(Source::Dir(dir.to_path_buf()), files)
    }

    /// Validates and pairs the files; every problem is reported at once, each naming its file.
    pub fn from_files(source: Source, mut files: Vec<(String, String)>) -> Result<Self> {
        files.sort();
        let mut ups: BTreeMap<i32, (String, Script)> = BTreeMap::new();
        let mut downs: Vec<(i32, String, Script)> = Vec::new();
        let mut problems = Vec::new();
        for (file, sql) in &files {
            if !file.to_ascii_lowercase().ends_with(".sql") {
                continue;
            }
            match parse_file_name(file) {
                Ok(ParsedName { version, name, down: false }) => {
                    if let Some((_, other)) = ups.get(&version) {
                        problems.push(format!(
                            "{file}: version {version} is also used by {}; each version must be unique",
                            other.file_name
                        ));
                    } else {
                        ups.insert(version, (name, Script::new(file, sql)));
                    }
                }
                Ok(ParsedName { version, name, down: true }) => downs.push((version, name, Script::new(file, sql))),
                Err(why) => problems.push(format!("{file}: {why}")),
            }
        }
        let mut down_by_version: BTreeMap<i32, Script> = BTreeMap::new();
        for (version, name, script) in downs {
            match ups.get(&version) {
                Some((up_name, _)) if *up_name == name => {
                    down_by_version.insert(version, script);
                }
                Some((up_name, up)) => problems.push(format!(
                    "{}: down script for `{name}`, but version {version} is `{up_name}` ({}); rename it to V{version}__{up_name}.down.sql",
                    script.file_name, up.file_name
                )),
                None => problems.push(format!(
                    "{}: down script with no up script; add V{version}__{name}.sql or remove it",
                    script.file_name
                )),
            }
        }
        if !problems.is_empty() {
            return Err(invalid(&source, &problems));
        }
        let migrations = ups
            .into_iter()
            .map(|(version, (name, up))| {
                let refinery = refinery::Migration::unapplied(&format!("V{version}__{name}"), &up.sql)
                    .with_context(|| format!("{}: refinery rejected the migration", up.file_name))?;
                Ok(Migration { version, name, down: down_by_version.remove(&version), up, refinery })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { source, migrations })
    }

    #[must_use]
    pub fn get(&self, version: i32) -> Option<&Migration> {
        self.migrations.binary_search_by_key(&version, |m| m.version).ok().map(|i| &self.migrations[i])
    }

    #[must_use]
    pub fn latest_version(&self) -> Option<i32> {
        self.migrations.last().map(|m| m.version)
    }
}

fn invalid(source: &Source, problems: &[String]) -> anyhow::Error {
    let mut msg = format!("invalid migrations in {source}:");
    for p in problems {
        write!(msg, "\n  - {p}").unwrap();
    }
    CliError::usage(msg)
        .with_hint("name migrations V{version}__{name}.sql (letters, digits and _ only) with an optional V{version}__{name}.down.sql beside each")
        .into()
}

/// A migrations folder as listed: its `.sql` files (name and path) and the sub-folders holding `.sql` files,
/// which refinery would also run. Shared by the catalog (which refuses those) and the lint (which reports them).
pub struct Listing {
    pub sql_files: Vec<(String, PathBuf)>,
    pub sql_subfolders: Vec<PathBuf>,
}

impl Listing {
    pub fn of(dir: &Path) -> Result<Self> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            CliError::usage(format!("cannot read the migrations folder {}: {e}", dir.display()))
                .with_hint("pass an existing folder with --migrations or set [migrations] dir in rehab.toml")
        })?;
        let mut listing = Self { sql_files: Vec::new(), sql_subfolders: Vec::new() };
        for entry in entries {
            let path = entry.with_context(|| format!("cannot list {}", dir.display()))?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if path.is_dir() {
                if contains_sql(&path) {
                    listing.sql_subfolders.push(path);
                }
            } else if name.to_ascii_lowercase().ends_with(".sql") {
                listing.sql_files.push((name, path));
            }
        }
        Ok(listing)
    }
}

fn contains_sql(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.filter_map(Result::ok).any(|e| {
            let p = e.path();
            (p.is_dir() && contains_sql(&p)) || p.to_string_lossy().to_ascii_lowercase().ends_with(".sql")
        })
    })
}

/// Refuses a migration name refinery would silently skip (anything but ASCII letters, digits and `_`).
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "name `{name}` may hold only letters, digits and `_` (a hyphen or dot makes refinery silently skip the file)"
        ));
    }
    Ok(())
}

/// Why refinery would skip or reject a `.sql` file of this name, or `None` for a valid migration name.
#[must_use]
pub fn file_name_problem(file: &str) -> Option<String> {
    parse_file_name(file).err()
}

struct ParsedName {
    version: i32,
    name: String,
    down: bool,
}

/// Parses `V{n}__{name}.sql` / `V{n}__{name}.down.sql`, saying exactly why any other `.sql` name is refused.
fn parse_file_name(file: &str) -> std::result::Result<ParsedName, String> {
    let (stem, down) = if let Some(s) = file.strip_suffix(".down.sql") {
        (s, true)
    } else if let Some(s) = file.strip_suffix(".sql") {
        (s, false)
    } else {
        return Err("the extension must be lower-case `.sql`; refinery would silently skip this file".into());
    };
    let rest = match stem.as_bytes().first() {
        Some(b'V') => &stem[1..],
        Some(b'U') => {
            return Err("`U` (unversioned) migrations may run out of order; rehab supports only `V` migrations".into());
        }
        Some(b'v') => return Err("the prefix must be an upper-case `V`; refinery would silently skip this file".into()),
        _ => return Err("the name must start with `V{version}__`; refinery would silently skip this file".into()),
    };
    let Some((version, name)) = rest.split_once("__") else {
        return Err(
            "the version must be followed by two underscores (`V1__name.sql`); refinery would silently skip this file"
                .into(),
        );
    };
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("version `{version}` is not a whole number; refinery rejects it"));
    }
    let version: i32 = version
        .parse()
        .map_err(|_| format!("version `{version}` is larger than {} (refinery stores versions as int4)", i32::MAX))?;
    check_name(name)?;
    Ok(ParsedName { version, name: name.to_string(), down })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<(String, String)> {
        names.iter().map(|n| ((*n).to_string(), "SELECT 1;".to_string())).collect()
    }

    fn error_of(names: &[&str]) -> String {
        format!("{:#}", MigrationCatalog::from_files(Source::Embedded, files(names)).unwrap_err())
    }

    #[test]
    fn the_bundled_migrations_are_valid_and_all_reversible() {
        let catalog = MigrationCatalog::embedded().unwrap();
        assert!(!catalog.migrations.is_empty());
        for m in &catalog.migrations {
            assert!(m.reversible(), "V{}__{} has no down script", m.version, m.name);
        }
    }

    #[test]
    fn pairs_down_scripts_and_sorts_by_version() {
        let c = MigrationCatalog::from_files(
            Source::Embedded,
            files(&["V10__b.sql", "V2__a.sql", "V2__a.down.sql", "README.md"]),
        )
        .unwrap();
        let v: Vec<_> = c.migrations.iter().map(|m| (m.version, m.down.is_some())).collect();
        assert_eq!(v, vec![(2, true), (10, false)]);
    }

    #[test]
    fn names_refinery_would_skip_are_errors_naming_the_file() {
        for bad in [
            "V2__add-users.sql",
            "v3__x.sql",
            "V4_x.sql",
            "V7__x.SQL",
            "V1.5__x.sql",
            "V99999999999__x.sql",
            "init.sql",
        ] {
            let msg = error_of(&["V1__ok.sql", bad]);
            assert!(msg.contains(bad), "{bad}: {msg}");
        }
    }

    #[test]
    fn duplicate_versions_and_orphan_down_scripts_are_errors() {
        let msg = error_of(&["V1__a.sql", "V1__b.sql"]);
        assert!(msg.contains("V1__b.sql") && msg.contains("V1__a.sql"), "{msg}");
        let msg = error_of(&["V1__a.sql", "V2__b.down.sql"]);
        assert!(msg.contains("V2__b.down.sql: down script with no up script"), "{msg}");
    }

    #[test]
    fn markers_are_read_from_the_first_line() {
        let c = MigrationCatalog::from_files(
            Source::Embedded,
            vec![
                ("V1__a.sql".into(), "-- rehab:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);".into()),
                ("V1__a.down.sql".into(), "-- rehab:irreversible\n".into()),
            ],
        )
        .unwrap();
        assert!(c.migrations[0].up.no_transaction);
        assert!(!c.migrations[0].reversible());
    }
}
