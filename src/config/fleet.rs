//! `[fleets.NAME]` in rehab.toml: which databases a fleet holds and how `rehab --fleet NAME` runs them.
//! Checked when the file loads, like every other section, so a broken fleet is found before anything runs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::Environment;

/// `[fleets.NAME]`: the members (exactly one of `environments`, `urls_file`, `urls_env`) and how to run them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSection {
    /// Names of `[environments.*]` sections.
    pub environments: Option<Vec<String>>,
    /// A file (relative to the config file) with one URL or key=value connection string per line.
    pub urls_file: Option<PathBuf>,
    /// An environment variable holding newline-separated URLs.
    pub urls_env: Option<String>,
    /// How many members run at once (default 4).
    pub parallel: Option<i64>,
    /// How many members run first; if any of them fails, no other starts (default 0).
    pub canary: Option<i64>,
    /// After a member fails: `stop` starting others (default) or `continue`.
    #[serde(default)]
    pub on_error: OnError,
}

/// What a fleet does after a member fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    #[default]
    Stop,
    Continue,
}

/// The default of `[fleets.*] parallel`.
pub const DEFAULT_FLEET_PARALLEL: i64 = 4;

impl FleetSection {
    /// Exactly one member source, `parallel` at least 1, `canary` not negative, known environments.
    pub(super) fn validate(&self, environments: &BTreeMap<String, Environment>) -> Result<(), String> {
        let sources = [self.environments.is_some(), self.urls_file.is_some(), self.urls_env.is_some()];
        match sources.iter().filter(|s| **s).count() {
            0 => return Err("names no members: set one of environments, urls_file or urls_env".into()),
            1 => {}
            _ => return Err("sets more than one of environments, urls_file and urls_env: keep one".into()),
        }
        if let Some(p) = self.parallel.filter(|p| *p < 1) {
            return Err(format!("parallel = {p}: at least 1 member must run at a time"));
        }
        if let Some(c) = self.canary.filter(|c| *c < 0) {
            return Err(format!("canary = {c} is negative: use 0 (no canary) or more"));
        }
        for name in self.environments.iter().flatten() {
            if !environments.contains_key(name) {
                let defined: Vec<&str> = environments.keys().map(String::as_str).collect();
                return Err(format!(
                    "names the environment `{name}`, which has no [environments.{name}] section (defined: {})",
                    if defined.is_empty() { "none".to_string() } else { defined.join(", ") }
                ));
            }
        }
        if self.environments.as_ref().is_some_and(Vec::is_empty) {
            return Err("environments = [] names no members".into());
        }
        Ok(())
    }
}
