//! Resolves `[fleets.NAME]` into members: environments by name, or URLs from a file or a variable. Every
//! member is parsed before anything runs; a line that does not parse is a usage error naming the file (or
//! variable) and the line number, never the line itself, which may hold a password.

use std::path::Path;

use anyhow::Result;

use crate::config::{DEFAULT_FLEET_PARALLEL, FleetSection, LoadedConfig, OnError};
use crate::db::ConnInfo;
use crate::db::conninfo::EnvLookup;
use crate::error::CliError;

/// One database of a fleet.
#[derive(Debug, Clone)]
pub struct Member {
    /// How the summary names it: the environment's name, or the redacted URL.
    pub label: String,
    pub conn: ConnInfo,
    /// For environment members: the environment, its `protected` flag and `seed_profile`.
    pub env_name: Option<String>,
    pub protected: bool,
    pub seed_profile: Option<String>,
}

/// A resolved fleet: its members in the configured order and how to run them.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// The `NAME` of `[fleets.NAME]`.
    pub name: String,
    pub members: Vec<Member>,
    pub parallel: usize,
    pub canary: usize,
    pub stop_on_error: bool,
}

/// The fleet `name` of `config`, every member parsed.
pub fn resolve(config: &LoadedConfig, name: &str, env: EnvLookup<'_>) -> Result<Fleet> {
    let Some(section) = config.file.fleets.get(name).map(toml::Spanned::get_ref) else {
        let defined: Vec<&str> = config.file.fleets.keys().map(String::as_str).collect();
        let place = config
            .path
            .as_ref()
            .map_or_else(|| " (no rehab.toml was found)".into(), |p| format!(" in {}", p.display()));
        return Err(CliError::usage(format!(
            "unknown fleet `{name}`{place}; defined: {}",
            if defined.is_empty() { "none".to_string() } else { defined.join(", ") }
        ))
        .with_hint("add a [fleets.NAME] section to rehab.toml (config.example.toml shows one) or pick a defined one")
        .into());
    };
    let members = members(config, name, section, env)?;
    if members.is_empty() {
        return Err(CliError::usage(format!(
            "fleet `{name}` has no members: its list holds only comments or blank lines"
        ))
        .with_hint("add one URL or key=value connection string per line")
        .into());
    }
    // Validated on load: parallel >= 1, canary >= 0.
    let count = |v: Option<i64>, default: i64| usize::try_from(v.unwrap_or(default)).unwrap_or(usize::MAX);
    Ok(Fleet {
        name: name.to_string(),
        members,
        parallel: count(section.parallel, DEFAULT_FLEET_PARALLEL).max(1),
        canary: count(section.canary, 0),
        stop_on_error: section.on_error == OnError::Stop,
    })
}

fn members(config: &LoadedConfig, name: &str, section: &FleetSection, env: EnvLookup<'_>) -> Result<Vec<Member>> {
    if let Some(names) = &section.environments {
        return names.iter().map(|n| environment_member(config, n, env)).collect();
    }
    if let Some(file) = &section.urls_file {
        let base = config.base_dir().unwrap_or_else(|| Path::new("."));
        let path = base.join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            CliError::usage(format!("fleet `{name}`: cannot read its urls_file {}: {e}", path.display()))
                .with_hint("urls_file is relative to the folder of rehab.toml")
        })?;
        return url_members(&text, &path.display().to_string(), env);
    }
    if let Some(var) = &section.urls_env {
        let text = env(var).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            CliError::usage(format!("fleet `{name}` reads its URLs from ${var}, which is not set"))
                .with_hint(format!("set ${var} to the members' URLs, one per line"))
        })?;
        return url_members(&text, &format!("${var}"), env);
    }
    unreachable!("validated on load: a fleet has exactly one member source")
}

fn environment_member(config: &LoadedConfig, name: &str, env: EnvLookup<'_>) -> Result<Member> {
    let e = config.environment(name, None)?;
    let url = crate::settings::environment_url(name, e, env)?;
    let conn = ConnInfo::resolve(url.as_deref(), env).map_err(|err| err.context(format!("in environment `{name}`")))?;
    Ok(Member {
        label: name.to_string(),
        conn,
        env_name: Some(name.to_string()),
        protected: e.protected,
        seed_profile: e.seed_profile.clone(),
    })
}

/// One member per line of `text` (from `source`): blank lines and `#` comments skipped.
fn url_members(text: &str, source: &str, env: EnvLookup<'_>) -> Result<Vec<Member>> {
    let mut members = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // The parser's messages never repeat a value of the string; the line itself is not quoted.
        let conn = ConnInfo::resolve(Some(line), env).map_err(|e| {
            CliError::usage(format!("{source} line {}: not a usable connection string: {e}", i + 1))
                .with_hint("put one postgresql:// URL or key=value connection string per line; # starts a comment")
        })?;
        members.push(Member { label: conn.redacted(), conn, env_name: None, protected: false, seed_profile: None });
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::url_members;

    #[test]
    fn comments_and_blank_lines_are_skipped_and_a_bad_line_is_named_not_quoted() {
        let env = |_: &str| None;
        let text = "# tenants\n\npostgresql://u:s3cret@h/a\n  host=h dbname=b  \n";
        let members = url_members(text, "t.txt", &env).unwrap();
        assert_eq!(members.len(), 2);
        assert!(!members[0].label.contains("s3cret"), "{}", members[0].label);
        assert_eq!(members[1].conn.dbname, "b");
        let err = format!("{:#}", url_members("postgresql://h/a\nnot a url s3cret\n", "t.txt", &env).unwrap_err());
        assert!(err.contains("t.txt line 2") && !err.contains("s3cret"), "{err}");
    }
}
