//! The tracker's steps through the DDL log: what the log's dropped objects and named tables mean for the
//! units they belong to or own.

use std::collections::BTreeSet;

use super::{Changes, Tracker, Unit};
use crate::check::snapshot::{ObjectKey, census, ddl_log};

impl Tracker {
    /// The units of the sequences that a column of one of the `dirty` tables owned at the last step.
    pub(super) fn sequences_owned_by(&self, dirty: &BTreeSet<Unit>) -> Vec<Unit> {
        const TABLES: &[&str] = &["table", "partitioned table", "foreign table"];
        let prefixes: Vec<String> = dirty
            .iter()
            .filter_map(|u| self.units.get(u))
            .flatten()
            .filter(|k| TABLES.contains(&k.kind.as_str()))
            .map(|k| format!("{}.", k.name))
            .collect();
        if prefixes.is_empty() {
            return Vec::new();
        }
        let owned = |k: &ObjectKey| {
            k.kind == "sequence"
                && self
                    .current
                    .objects
                    .get(k)
                    .and_then(|d| d.get("owned by"))
                    .is_some_and(|o| prefixes.iter().any(|p| o.starts_with(p)))
        };
        self.units.iter().filter(|(_, keys)| keys.iter().any(owned)).map(|(u, _)| u.clone()).collect()
    }

    /// Follows an object the DDL log says was dropped: its unit is dirty, and gone if it was the unit's root.
    /// False when the tracker should know it, but does not: only reading everything will do.
    pub(super) fn dropped(&mut self, cat: &str, key: &str, changes: &mut Changes) -> bool {
        match self.rows.get_mut(cat).and_then(|known| known.remove(key)) {
            Some(unit) => {
                if let Some(u) = &unit
                    && census::root_kind(cat).is_some_and(|k| u.strip_prefix(k) == Some(key))
                {
                    changes.vanished.insert(u.clone());
                }
                changes.dirty.extend(unit);
                true
            }
            // Unknown, and there at the last step (its OID is not above the floor).
            None => !(ddl_log::LOGGED.contains(&cat) && key.parse::<u32>().map_or(true, |o| o <= self.floor)),
        }
    }
}
