//! Migrations written but not in the set this run uses: `rehab new` writes into `./migrations`, while a run
//! without `--migrations` uses the set built into the binary, so a new file would silently never apply
//! ("up to date"). Finds such files in `./migrations` and in the folder the binary was built from.

use std::path::{Path, PathBuf};

use super::MigrationCatalog;

/// A folder holding migrations the active set lacks.
pub struct Unbuilt {
    pub dir: PathBuf,
    /// `V{n} {name}` of each file the active set lacks, in order.
    pub versions: Vec<String>,
    /// True when the folder also holds every migration of the active set, so `--migrations DIR` can replace it.
    pub superset: bool,
}

/// Only for a run on the embedded set: with `--migrations` or `[migrations] dir`, the folder is the set.
pub fn find(active: &MigrationCatalog, configured_dir: Option<&Path>, cwd: &Path) -> Vec<Unbuilt> {
    if configured_dir.is_some() {
        return vec![];
    }
    let mut dirs = vec![cwd.join("migrations")];
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    if !dirs.iter().any(|d| same_dir(d, &built_from)) {
        dirs.push(built_from);
    }
    dirs.into_iter().filter(|d| d.is_dir()).filter_map(|dir| compare(active, dir)).collect()
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

fn compare(active: &MigrationCatalog, dir: PathBuf) -> Option<Unbuilt> {
    // A folder that does not validate is not this run's business (`--migrations` would report it).
    let folder = MigrationCatalog::from_dir(&dir).ok()?;
    let versions: Vec<String> = folder
        .migrations
        .iter()
        .filter(|m| active.get(m.version).is_none())
        .map(|m| format!("V{} {}", m.version, m.name))
        .collect();
    if versions.is_empty() {
        return None;
    }
    let superset = active.migrations.iter().all(|m| folder.get(m.version).is_some());
    Some(Unbuilt { dir, versions, superset })
}

impl Unbuilt {
    /// One status line: what is there and the two ways to apply it.
    pub fn note(&self) -> String {
        let how = if self.superset {
            format!(
                "rebuild rehab (cargo build) to embed them, or pass --migrations {} (or set [migrations] dir) to use the folder",
                self.dir.display()
            )
        } else {
            "rebuild rehab (cargo build) to embed them (the folder lacks some built-in migrations, so --migrations \
             would report those as missing)"
                .to_string()
        };
        format!(
            "note: {} holds {} that the migrations built into rehab lack, so this run does not apply them: {how}",
            self.dir.display(),
            self.versions.join(", ")
        )
    }
}
