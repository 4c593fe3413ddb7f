//! Two snapshots compared object by object: what only one side has, and for objects on both sides, which
//! attributes differ, in words (`default 0 -> none`, `not null removed`, `definition differs at line 3`).

use super::{Definition, ObjectKey, Snapshot};
use crate::check::Change;

/// One object that differs between an expected and an actual snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub key: ObjectKey,
    /// `Added`: only in the actual snapshot; `Removed`: only in the expected one; `Changed`: in both.
    pub change: Change,
    /// What differs, for `Changed`; empty otherwise.
    pub detail: String,
}

/// Every difference from `expected` to `actual`, sorted by kind then name.
pub fn compare(expected: &Snapshot, actual: &Snapshot) -> Vec<Difference> {
    let mut out = Vec::new();
    for (key, want) in &expected.objects {
        match actual.objects.get(key) {
            None => out.push(Difference { key: key.clone(), change: Change::Removed, detail: String::new() }),
            Some(have) if have != want => {
                out.push(Difference { key: key.clone(), change: Change::Changed, detail: describe(want, have) });
            }
            Some(_) => {}
        }
    }
    for key in actual.objects.keys().filter(|k| !expected.objects.contains_key(*k)) {
        out.push(Difference { key: key.clone(), change: Change::Added, detail: String::new() });
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    without_parts_of_whole_objects(out, expected, actual)
}

/// Leaves out the columns, constraints, indexes and triggers of a table that is itself added or removed, and
/// the objects of a schema that is: the table or schema stands for them (a leftover table is one finding, not
/// one per column; a schema made by hand is one, not one per table in it).
fn without_parts_of_whole_objects(diffs: Vec<Difference>, expected: &Snapshot, actual: &Snapshot) -> Vec<Difference> {
    let whole: std::collections::BTreeSet<(&str, bool)> = diffs
        .iter()
        .filter(|d| d.change != Change::Changed && OWNERS.contains(&d.key.kind.as_str()))
        .map(|d| (d.key.name.as_str(), d.change == Change::Added))
        .collect();
    if whole.is_empty() {
        return diffs;
    }
    let owner_of = |d: &Difference| -> Option<String> {
        if d.key.kind == "index" {
            let side = if d.change == Change::Added { actual } else { expected };
            return side.objects.get(&d.key).and_then(|def| def.get("table")).cloned();
        }
        if IN_SCHEMA.contains(&d.key.kind.as_str()) {
            return d.key.name.split_once('.').map(|(schema, _)| schema.to_string());
        }
        PARTS.contains(&d.key.kind.as_str()).then(|| d.key.name.rsplit_once('.').map(|(o, _)| o.to_string()))?
    };
    let keep = |d: &Difference| {
        d.change == Change::Changed
            || owner_of(d).is_none_or(|o| !whole.contains(&(o.as_str(), d.change == Change::Added)))
    };
    let kept: Vec<bool> = diffs.iter().map(keep).collect();
    diffs.into_iter().zip(kept).filter_map(|(d, k)| k.then_some(d)).collect()
}

/// Kinds whose objects hold parts named after them (`public.t` holds `public.t.c`).
const OWNERS: &[&str] =
    &["table", "partitioned table", "view", "materialized view", "foreign table", "domain", "schema"];
/// Kinds named after the object holding them; indexes name their table in the `table` attribute.
const PARTS: &[&str] = &["column", "constraint", "trigger", "policy", "rule"];
/// Kinds named after their schema first (`public.t`, `public.f(integer)`).
const IN_SCHEMA: &[&str] = &[
    "table",
    "partitioned table",
    "view",
    "materialized view",
    "foreign table",
    "sequence",
    "enum",
    "domain",
    "type",
    "range",
    "function",
    "procedure",
    "aggregate",
    "collation",
    "statistics",
    "operator",
    "text search configuration",
];

/// The differing attributes of one object, in attribute order, joined by `; `.
fn describe(want: &Definition, have: &Definition) -> String {
    let mut names: Vec<&String> = want.keys().chain(have.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let (a, b) = (want.get(name).map(String::as_str), have.get(name).map(String::as_str));
            (a != b).then(|| attribute(name, a, b))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Short values side by side; a flag as added or removed; long or multi-line text (a function's body) by its
/// first differing line.
fn attribute(name: &str, was: Option<&str>, now: Option<&str>) -> String {
    match (was, now) {
        (None, Some("true")) => return format!("{name} added"),
        (Some("true"), None) => return format!("{name} removed"),
        _ => {}
    }
    let short = |v: Option<&str>| v.is_none_or(|v| v.len() <= 60 && !v.contains('\n'));
    if short(was) && short(now) {
        return format!("{name} {} -> {}", shown(was), shown(now));
    }
    let (was, now) = (was.unwrap_or(""), now.unwrap_or(""));
    let (mut a, mut b) = (was.lines(), now.lines());
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                return format!("{name} differs at line {line}: {} -> {}", clip(x), clip(y));
            }
        }
    }
}

fn shown(v: Option<&str>) -> String {
    v.map_or_else(|| "none".to_string(), |v| if v.is_empty() { "''".to_string() } else { v.to_string() })
}

/// A line of a long definition, trimmed and cut to a readable length.
fn clip(line: Option<&str>) -> String {
    let Some(line) = line else { return "(nothing)".to_string() };
    let line = line.trim();
    if line.chars().count() <= 60 {
        format!("`{line}`")
    } else {
        format!("`{}...`", line.chars().take(57).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (kind, name, attributes) of each object.
    type Objects<'a> = [(&'a str, &'a str, &'a [(&'a str, &'a str)])];

    fn snap(objects: &Objects<'_>) -> Snapshot {
        Snapshot {
            objects: objects
                .iter()
                .map(|(kind, name, attrs)| {
                    let key = ObjectKey { kind: (*kind).into(), name: (*name).into() };
                    (key, attrs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect())
                })
                .collect(),
        }
    }

    #[test]
    fn added_removed_and_changed_objects_are_named_with_what_differs() {
        let before = snap(&[
            ("column", "public.t.c", &[("type", "integer"), ("default", "0"), ("not null", "true")]),
            ("enum", "public.gone", &[("values", "'a'")]),
        ]);
        let after = snap(&[
            ("column", "public.t.c", &[("type", "integer")]),
            ("enum", "public.mood", &[("values", "'a', 'b'")]),
        ]);
        let diffs = compare(&before, &after);
        let got: Vec<(String, Change, &str)> =
            diffs.iter().map(|d| (d.key.to_string(), d.change, d.detail.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("column public.t.c".to_string(), Change::Changed, "default 0 -> none; not null removed"),
                ("enum public.gone".to_string(), Change::Removed, ""),
                ("enum public.mood".to_string(), Change::Added, ""),
            ]
        );
    }

    #[test]
    fn long_definitions_are_shown_by_their_first_differing_line() {
        let body = "CREATE FUNCTION f()\n RETURNS integer\nAS $$ SELECT 1 $$";
        let changed = body.replace("SELECT 1", "SELECT 2");
        let d = attribute("definition", Some(body), Some(&changed));
        assert_eq!(d, "definition differs at line 3: `AS $$ SELECT 1 $$` -> `AS $$ SELECT 2 $$`");
        assert!(compare(&snap(&[]), &snap(&[])).is_empty());
    }

    #[test]
    fn the_parts_of_an_added_table_are_left_to_the_table() {
        let before = snap(&[("table", "public.kept", &[]), ("column", "public.kept.a", &[])]);
        let after = snap(&[
            ("table", "public.kept", &[]),
            ("column", "public.kept.a", &[]),
            ("column", "public.kept.b", &[]),
            ("table", "public.new", &[]),
            ("column", "public.new.a", &[]),
            ("index", "public.new_a_idx", &[("table", "public.new")]),
            ("index", "public.kept_b_idx", &[("table", "public.kept")]),
        ]);
        let got: Vec<String> = compare(&before, &after).iter().map(|d| d.key.to_string()).collect();
        assert_eq!(got, ["column public.kept.b", "index public.kept_b_idx", "table public.new"]);
    }

    #[test]
    fn the_objects_of_an_added_schema_are_left_to_the_schema() {
        let before = snap(&[("schema", "public", &[])]);
        let after = snap(&[
            ("schema", "public", &[]),
            ("schema", "by_hand", &[]),
            ("table", "by_hand.t", &[]),
            ("column", "by_hand.t.a", &[]),
            ("index", "by_hand.t_a_idx", &[("table", "by_hand.t")]),
            ("function", "by_hand.f(by_hand.t)", &[]),
            ("table", "public.also_by_hand", &[]),
        ]);
        let got: Vec<String> = compare(&before, &after).iter().map(|d| d.key.to_string()).collect();
        assert_eq!(got, ["schema by_hand", "table public.also_by_hand"]);
    }
}
