//! What the tracker's steps changed in its snapshot, kept so that the proof compares two points of a
//! migration's run by the objects changed between them, not by copying and walking the whole schema twice per
//! migration (which had become a third of the client's time at 200 tables).

use std::collections::BTreeSet;

use anyhow::Result;

use super::Tracker;
use crate::check::snapshot::{Definition, Difference, ObjectKey, Snapshot, compare};

/// A point in the tracker's record of changes (see [`Tracker::mark_fresh`]).
#[derive(Clone, Copy)]
pub struct Mark {
    at: usize,
    #[cfg(debug_assertions)]
    id: usize,
}

/// Each change to the snapshot, in order: the object's key and its definition before the change (`None`:
/// it did not exist). The first entry for a key after a mark holds what the key was at the mark.
#[derive(Default)]
pub(super) struct Journal {
    entries: Vec<(ObjectKey, Option<Definition>)>,
    /// Debug builds keep the whole snapshot of each mark too, and check every comparison against it.
    #[cfg(debug_assertions)]
    marks: Vec<Snapshot>,
}

impl Tracker {
    /// The schema as of now as a point to compare with later, forgetting what was recorded before it.
    pub fn mark_fresh(&mut self) -> Mark {
        self.journal = Journal::default();
        self.mark()
    }

    /// The schema as of now as a point to compare with later, keeping the earlier marks.
    pub fn mark(&mut self) -> Mark {
        #[cfg(debug_assertions)]
        self.journal.marks.push(self.current.clone());
        Mark {
            at: self.journal.entries.len(),
            #[cfg(debug_assertions)]
            id: self.journal.marks.len() - 1,
        }
    }

    /// Every difference between the schema at `mark` and as of the last step, as [`compare`] lists them.
    pub fn since(&self, mark: Mark) -> Result<Vec<Difference>> {
        let (mut then, mut now) = (Snapshot::default(), Snapshot::default());
        let mut seen = BTreeSet::new();
        for (key, before) in &self.journal.entries[mark.at..] {
            if !seen.insert(key) {
                continue;
            }
            if let Some(def) = before {
                then.objects.insert(key.clone(), def.clone());
            }
            if let Some(def) = self.current.objects.get(key) {
                now.objects.insert(key.clone(), def.clone());
            }
        }
        let found = compare(&then, &now);
        #[cfg(debug_assertions)]
        if found != compare(&self.journal.marks[mark.id], &self.current) {
            anyhow::bail!(
                "the objects changed since a mark compare otherwise than the whole snapshots (a bug in rehab)"
            );
        }
        Ok(found)
    }

    /// Puts an object's definition in the snapshot, recording what it replaced.
    pub(super) fn put(&mut self, key: ObjectKey, def: Definition) {
        let before = self.current.objects.insert(key.clone(), def);
        self.journal.entries.push((key, before));
    }

    /// Takes an object out of the snapshot, recording what it was.
    pub(super) fn take(&mut self, key: ObjectKey) {
        let before = self.current.objects.remove(&key);
        if before.is_some() {
            self.journal.entries.push((key, before));
        }
    }

    /// Empties the snapshot for a full read, recording every object it held.
    pub(super) fn take_all(&mut self) {
        let old = std::mem::take(&mut self.current);
        self.journal.entries.extend(old.objects.into_iter().map(|(key, def)| (key, Some(def))));
    }
}
