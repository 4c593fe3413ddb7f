//! Doctor's text for people: lists shortened with a pointer to the JSON, "; "-joined parts, sizes and durations.

/// Where a shortened list points: every check puts the whole list in its `objects`, which JSON prints.
const SEE_ALL: &str = "rehab doctor --format json lists all";

/// Joins `parts` with "; ": the one place doctor text is joined that way, so it alone keeps `;;` out.
/// Parts are trimmed and empty ones dropped; a part that is an SQL statement keeps its one closing `;`
/// and is followed by a space only.
pub fn join<S: AsRef<str>>(parts: &[S]) -> String {
    let mut text = String::new();
    for part in parts {
        let part = part.as_ref().trim().trim_start_matches(';').trim_start();
        let core = part.trim_end_matches(';').trim_end();
        if core.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push_str(if text.ends_with(';') { " " } else { "; " });
        }
        text.push_str(core);
        if part.ends_with(';') {
            text.push(';');
        }
    }
    text
}

/// The first `max` of `items` (objects at fault, also in the check's `objects`), then how many more
/// there are and where to see them all.
pub fn list(items: &[String], max: usize) -> String {
    shortened(items, max, |more| format!("and {more} more ({SEE_ALL})"))
}

/// The first `max` of `statements` (one per object at fault), then how many objects need the same.
pub fn statements(statements: &[String], max: usize) -> String {
    shortened(statements, max, |more| format!("and the same for the other {more} ({SEE_ALL})"))
}

fn shortened(items: &[String], max: usize, more: impl Fn(usize) -> String) -> String {
    if items.len() <= max {
        return join(items);
    }
    let mut parts: Vec<&str> = items[..max].iter().map(String::as_str).collect();
    let rest = more(items.len() - max);
    parts.push(&rest);
    join(&parts)
}

/// A duration in seconds for people: `42 s`, `3 min`, `5 h`, `2 d`.
pub fn human_secs(secs: f64) -> String {
    match secs {
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7200.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.0} h", s / 3600.0),
        s => format!("{:.0} d", s / 86_400.0),
    }
}

/// A size in bytes for people.
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{value:.0} {}", UNITS[0]) } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_format_for_people() {
        let abc = ["a".to_string(), "b".into(), "c".into()];
        assert_eq!(list(&abc, 2), "a; b; and 1 more (rehab doctor --format json lists all)");
        assert_eq!(list(&abc, 3), "a; b; c");
        assert_eq!(human_secs(90.0), "90 s");
        assert_eq!(human_secs(3600.0), "60 min");
        assert_eq!(human_bytes(1536.0), "1.5 kB");
    }

    #[test]
    fn joined_text_never_holds_a_double_semicolon() {
        let drops = ["DROP TYPE a;".to_string(), "DROP TYPE b;".into(), "DROP TYPE c;".into()];
        assert_eq!(
            statements(&drops, 2),
            "DROP TYPE a; DROP TYPE b; and the same for the other 1 (rehab doctor --format json lists all)"
        );
        assert_eq!(join(&["x;;", "", " ; ", ";y", "z"]), "x; y; z");
        assert_eq!(join(&["DROP TYPE a;", "DROP TYPE b;"]), "DROP TYPE a; DROP TYPE b;");
        assert_eq!(join::<&str>(&[]), "");
    }
}
