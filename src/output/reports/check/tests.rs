//! The renderers on a fixed report, written to a buffer.

use super::*;
use crate::check::{DriftEntry, ProofEntry, Summary};

fn finding(file: &str, line: u32, rule: &'static str, severity: Severity) -> Finding {
    Finding {
        file: file.into(),
        line,
        column: 5,
        rule,
        severity,
        message: format!("{rule} here, with a comma: and a colon"),
        hint: "do the other thing".into(),
    }
}

fn report() -> CheckReport {
    CheckReport {
        findings: vec![
            finding("migrations/V2__a.sql", 3, "index-not-concurrent", Severity::Error),
            finding("migrations/V2__a.sql", 9, "json-not-jsonb", Severity::Warning),
            finding("migrations/V3__b,c.sql", 1, "missing-down-script", Severity::Error),
        ],
        proof: Some(vec![
            ProofEntry {
                version: 2,
                name: "a".into(),
                status: ProofStatus::Ok,
                objects: vec![],
                error: None,
                file: "migrations/V2__a.down.sql".into(),
                line: 1,
            },
            ProofEntry {
                version: 3,
                name: "b".into(),
                status: ProofStatus::Leftover,
                objects: vec!["enum public.mood".into()],
                error: None,
                file: "migrations/V3__b,c.down.sql".into(),
                line: 1,
            },
        ]),
        drift: Some(vec![DriftEntry {
            kind: "table".into(),
            object: "public.by_hand".into(),
            change: Change::Added,
            detail: String::new(),
        }]),
        summary: Summary {
            files: 4,
            errors: 2,
            warnings: 1,
            suppressed: 1,
            unparsed: 2,
            proved: 2,
            proof_failures: 1,
            drifted: 1,
        },
    }
}

fn render(write: fn(&CheckReport, &mut dyn Write) -> io::Result<()>, report: &CheckReport) -> String {
    let mut buf = Vec::new();
    write(report, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn github_annotations_escape_properties_and_cover_proof_and_drift() {
    insta::assert_snapshot!(render(write_github, &report()), @r"
    ::error file=migrations/V2__a.sql,line=3,col=5,title=index-not-concurrent::index-not-concurrent here, with a comma: and a colon (fix: do the other thing)
    ::warning file=migrations/V2__a.sql,line=9,col=5,title=json-not-jsonb::json-not-jsonb here, with a comma: and a colon (fix: do the other thing)
    ::error file=migrations/V3__b%2Cc.sql,line=1,col=5,title=missing-down-script::missing-down-script here, with a comma: and a colon (fix: do the other thing)
    ::error file=migrations/V3__b%2Cc.down.sql,line=1,title=proof V3 b::leftover: enum public.mood
    ::error title=drift::table public.by_hand added
    ");
}

#[test]
fn sarif_has_the_required_fields_and_every_rule() {
    let doc: serde_json::Value = serde_json::from_str(&render(write_sarif, &report())).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    assert!(doc["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "rehab");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    // The lint's rules, then the proof's three verdicts.
    assert_eq!(rules.len(), RULES.len() + 3);
    assert!(rules.iter().all(|r| r["id"].is_string() && r["shortDescription"]["text"].is_string()));
    let results = run["results"].as_array().unwrap();
    // Three findings and the leftover proof; the ok proof and the drift (no file) are not results.
    assert_eq!(results.len(), 4);
    let proof = &results[3];
    assert_eq!(proof["ruleId"], "proof-leftover");
    assert_eq!(rules[usize::try_from(proof["ruleIndex"].as_u64().unwrap()).unwrap()]["id"], "proof-leftover");
    assert_eq!(proof["message"]["text"], "V3 b: enum public.mood");
    assert_eq!(proof["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "migrations/V3__b,c.down.sql");
    assert_eq!(proof["locations"][0]["physicalLocation"]["region"]["startLine"], 1);
    let first = &results[0];
    assert_eq!(first["ruleId"], "index-not-concurrent");
    assert_eq!(first["level"], "error");
    assert_eq!(results[1]["level"], "warning");
    assert_eq!(rules[usize::try_from(first["ruleIndex"].as_u64().unwrap()).unwrap()]["id"], "index-not-concurrent");
    let loc = &first["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "migrations/V2__a.sql");
    assert_eq!(loc["region"]["startLine"], 3);
    assert_eq!(loc["region"]["startColumn"], 5);
}

#[test]
fn the_table_groups_findings_by_file_then_shows_proof_drift_and_the_summary() {
    let text = render(write_table, &report());
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle:?} missing in\n{text}"));
    assert!(at("migrations/V2__a.sql\n") < at("index-not-concurrent"));
    assert!(at("json-not-jsonb") < at("migrations/V3__b,c.sql\n"));
    assert!(at("do the other thing") < at("Proof"));
    assert!(at("enum public.mood") < at("public.by_hand"));
    assert_eq!(text.matches("migrations/V2__a.sql\n").count(), 1, "one heading per file");
    assert!(text.ends_with(
        "Checked 4 files: 2 errors, 1 warning (1 suppressed, 2 statements not parsed, see --verbose). \
         Proof: 2 migrations, 1 failed. Drift: 1 object.\n"
    ));
}

#[test]
fn a_clean_lint_only_run_is_one_line() {
    let mut clean = report();
    clean.findings.clear();
    clean.proof = None;
    clean.drift = None;
    clean.summary = Summary { files: 12, ..Summary::default() };
    assert_eq!(render(write_table, &clean), "Checked 12 files: no findings.\n");
}
