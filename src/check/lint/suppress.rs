//! `-- rehab:allow RULE[,RULE] reason...` comments: at the top of a file (before its first statement) they
//! cover the whole file; elsewhere, the statement that starts after them. A suppression without a reason, or
//! naming no rule rehab has, suppresses nothing and is a finding itself.

use super::rules::{self, ALLOW_UNKNOWN_RULE, ALLOW_WITHOUT_REASON, Hit};

const MARKER: &str = "-- rehab:allow";

/// One working suppression.
struct Allow {
    rules: Vec<&'static str>,
    /// The first line of the statement it covers; `None` for the whole file.
    statement_line: Option<u32>,
}

/// The suppressions of one script, and the findings about malformed ones.
pub struct Allows {
    allows: Vec<Allow>,
    pub problems: Vec<Hit>,
}

impl Allows {
    /// Reads the script's suppressions; `statement_lines` are its statements' first lines, in order.
    pub fn read(script: &str, statement_lines: &[u32]) -> Self {
        let mut allows = Vec::new();
        let mut problems = Vec::new();
        for (i, text) in script.lines().enumerate() {
            let trimmed = text.trim_start();
            let Some(rest) = trimmed.strip_prefix(MARKER) else { continue };
            if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
                continue;
            }
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let column = u32::try_from(text.len() - trimmed.len() + 1).unwrap_or(1);
            let rest = rest.trim();
            let (ids, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let mut known = Vec::new();
            for id in ids.split(',').filter(|s| !s.is_empty()) {
                match rules::by_id(id) {
                    Some(r) => known.push(r.id),
                    None => problems.push(Hit {
                        rule: ALLOW_UNKNOWN_RULE,
                        line,
                        column,
                        message: format!("`-- rehab:allow {id}`: there is no rule `{id}`"),
                    }),
                }
            }
            if reason.trim().is_empty() || ids.is_empty() {
                problems.push(Hit {
                    rule: ALLOW_WITHOUT_REASON,
                    line,
                    column,
                    message: format!("`{}` gives no reason, so it suppresses nothing", trimmed.trim_end()),
                });
                continue;
            }
            // Before the first statement: the file's header. Otherwise the next statement.
            let statement_line = match statement_lines.first() {
                Some(first) if line < *first => None,
                _ => Some(statement_lines.iter().copied().find(|l| *l > line).unwrap_or(0)),
            };
            allows.push(Allow { rules: known, statement_line });
        }
        Self { allows, problems }
    }

    /// True when `rule` is suppressed for the statement starting on `statement_line` (`None`: file-level
    /// findings, which only a header suppression covers).
    pub fn covers(&self, rule: &str, statement_line: Option<u32>) -> bool {
        self.allows.iter().any(|a| {
            a.rules.contains(&rule)
                && (a.statement_line.is_none() || (statement_line.is_some() && a.statement_line == statement_line))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_statement_suppressions() {
        let script = "-- rehab:allow rename the view keeps the old name\n\nSELECT 1;\n-- rehab:allow drop,json-not-jsonb moved to V9\nSELECT 2;";
        let a = Allows::read(script, &[3, 5]);
        assert!(a.problems.is_empty());
        assert!(a.covers("rename", None) && a.covers("rename", Some(5)));
        assert!(a.covers("drop", Some(5)) && a.covers("json-not-jsonb", Some(5)));
        assert!(!a.covers("drop", Some(3)) && !a.covers("drop", None));
    }

    #[test]
    fn without_a_reason_or_with_an_unknown_rule_it_is_a_finding() {
        let a = Allows::read(
            "SELECT 1;\n  -- rehab:allow drop\nSELECT 2;\n-- rehab:allow nope because\nSELECT 3;",
            &[1, 3, 5],
        );
        let got: Vec<_> = a.problems.iter().map(|h| (h.rule.id, h.line, h.column)).collect();
        assert_eq!(got, vec![("allow-without-reason", 2, 3), ("allow-unknown-rule", 4, 1)]);
        assert!(!a.covers("drop", Some(3)));
    }
}
