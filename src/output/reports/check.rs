//! `rehab check`'s report in its four forms for people and machines: tables grouped by file, SARIF 2.1.0 for
//! code-scanning uploads, and GitHub Actions annotations (JSON is the report's own serialisation). Each writes
//! to a passed-in writer, so each is tested on a buffer.

use std::io::{self, Write};

use serde_json::json;

use crate::check::lint::rules::RULES;
use crate::check::{Change, CheckReport, Finding, ProofEntry, ProofStatus, Severity};
use crate::cli::Format;
use crate::output::{Report, table};

const INFORMATION_URI: &str = "https://github.com/rehab-cli/rehab#rehab-check";
const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Findings grouped by file, then the proof and drift tables when they ran, then one summary line.
pub fn write_table(report: &CheckReport, out: &mut dyn Write) -> io::Result<()> {
    // Findings come file by file (lint's order), so each run of one file is its table.
    for group in report.findings.chunk_by(|a, b| a.file == b.file) {
        writeln!(out, "{}", group[0].file)?;
        let mut t = table::new(&["At", "Severity", "Rule", "Finding", "Fix"]);
        for f in group {
            t.add_row(vec![
                format!("{}:{}", f.line, f.column),
                severity(f.severity).to_string(),
                f.rule.to_string(),
                f.message.clone(),
                f.hint.clone(),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    if let Some(proof) = &report.proof
        && !proof.is_empty()
    {
        let mut t = table::new(&["Version", "Name", "Proof", "Objects"]);
        for p in proof {
            let mut objects = p.objects.join("\n");
            if let Some(e) = &p.error {
                objects = if objects.is_empty() { e.clone() } else { format!("{e}\n{objects}") };
            }
            t.add_row(vec![p.version.to_string(), p.name.clone(), proof_status(p.status).to_string(), objects]);
        }
        writeln!(out, "{t}")?;
    }
    if let Some(drift) = &report.drift
        && !drift.is_empty()
    {
        let mut t = table::new(&["Kind", "Object", "Change", "Detail"]);
        for d in drift {
            t.add_row(vec![d.kind.clone(), d.object.clone(), change(d.change).to_string(), d.detail.clone()]);
        }
        writeln!(out, "{t}")?;
    }
    writeln!(out, "{}", summary_line(report))
}

/// `Checked 12 files: 1 error, 2 warnings (1 suppressed, 3 statements not parsed). Proof: 6 migrations, all ok.`
fn summary_line(report: &CheckReport) -> String {
    let s = &report.summary;
    let mut line = format!("Checked {} {}: ", s.files, plural(s.files, "file", "files"));
    if s.errors + s.warnings == 0 {
        line.push_str("no findings");
    } else {
        line.push_str(&format!(
            "{} {}, {} {}",
            s.errors,
            plural(s.errors, "error", "errors"),
            s.warnings,
            plural(s.warnings, "warning", "warnings")
        ));
    }
    let mut notes = Vec::new();
    if s.suppressed > 0 {
        notes.push(format!("{} suppressed", s.suppressed));
    }
    if s.unparsed > 0 {
        notes.push(format!(
            "{} {} not parsed, see --verbose",
            s.unparsed,
            plural(s.unparsed, "statement", "statements")
        ));
    }
    if !notes.is_empty() {
        line.push_str(&format!(" ({})", notes.join(", ")));
    }
    line.push('.');
    if report.proof.is_some() {
        let verdict = if s.proof_failures == 0 { "all ok".to_string() } else { format!("{} failed", s.proof_failures) };
        line.push_str(&format!(" Proof: {} {}, {verdict}.", s.proved, plural(s.proved, "migration", "migrations")));
    }
    if report.drift.is_some() {
        line.push_str(&match s.drifted {
            0 => " Drift: none.".to_string(),
            n => format!(" Drift: {n} {}.", plural(n, "object", "objects")),
        });
    }
    line
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn proof_status(s: ProofStatus) -> &'static str {
    match s {
        ProofStatus::Ok => "ok",
        ProofStatus::Failed => "failed",
        ProofStatus::Leftover => "leftover",
        ProofStatus::Changed => "changed",
    }
}

fn change(c: Change) -> &'static str {
    match c {
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Changed => "changed",
    }
}

/// The proof's verdicts as SARIF rules, after the lint's: (id, what it means, the fix).
const PROOF_RULES: [(&str, &str, &str); 3] = [
    (
        "proof-failed",
        "a script failed in the up, down, up proof",
        "fix the script so it runs on the schema the migrations before it build",
    ),
    (
        "proof-leftover",
        "the down script leaves objects behind that the up script created",
        "drop in the down script what the up script creates",
    ),
    (
        "proof-changed",
        "after the down script the schema differs from before the up, or the second up builds something else",
        "make the down script restore what the up script changed",
    ),
];

/// SARIF 2.1.0: one run, every rule in the driver (the lint's, then the proof's), one result per finding and
/// per proof that is not ok, at the script it is about. Drift has no file to point at and is left out.
pub fn write_sarif(report: &CheckReport, out: &mut dyn Write) -> io::Result<()> {
    let mut rules: Vec<_> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "shortDescription": { "text": r.reason },
                "help": { "text": r.fix },
                "defaultConfiguration": { "level": sarif_level(r.severity) },
            })
        })
        .collect();
    rules.extend(PROOF_RULES.iter().map(|(id, reason, fix)| {
        json!({
            "id": id,
            "shortDescription": { "text": reason },
            "help": { "text": fix },
            "defaultConfiguration": { "level": "error" },
        })
    }));
    let mut results: Vec<_> = report.findings.iter().map(sarif_result).collect();
    results.extend(report.proof.iter().flatten().filter(|p| p.status != ProofStatus::Ok).map(sarif_proof));
    let doc = json!({
        "version": "2.1.0",
        "$schema": SARIF_SCHEMA,
        "runs": [{
            "tool": { "driver": {
                "name": "rehab",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn sarif_result(f: &Finding) -> serde_json::Value {
    let mut result = json!({
        "ruleId": f.rule,
        "level": sarif_level(f.severity),
        "message": { "text": format!("{} (fix: {})", f.message, f.hint) },
        "locations": [{ "physicalLocation": {
            "artifactLocation": { "uri": f.file.replace('\\', "/") },
            "region": { "startLine": f.line, "startColumn": f.column },
        }}],
    });
    if let Some(index) = RULES.iter().position(|r| r.id == f.rule) {
        result["ruleIndex"] = json!(index);
    }
    result
}

/// A proof that is not ok, at the line its script's error names (else the first).
fn sarif_proof(p: &ProofEntry) -> serde_json::Value {
    let id = format!("proof-{}", proof_status(p.status));
    let index = PROOF_RULES.iter().position(|(r, _, _)| *r == id).map(|i| RULES.len() + i);
    json!({
        "ruleId": id,
        "ruleIndex": index,
        "level": "error",
        "message": { "text": format!("V{} {}: {}", p.version, p.name, proof_what(p)) },
        "locations": [{ "physicalLocation": {
            "artifactLocation": { "uri": p.file.replace('\\', "/") },
            "region": { "startLine": p.line, "startColumn": 1 },
        }}],
    })
}

/// What a proof that is not ok found: the differing objects, then the failing script's error.
fn proof_what(p: &ProofEntry) -> String {
    let mut what = p.objects.clone();
    what.extend(p.error.clone());
    what.join("; ")
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// GitHub Actions workflow commands: one `::error` / `::warning` line per finding, proof failure and drifted
/// object, which the runner turns into annotations on the files.
pub fn write_github(report: &CheckReport, out: &mut dyn Write) -> io::Result<()> {
    for f in &report.findings {
        writeln!(
            out,
            "::{} file={},line={},col={},title={}::{}",
            severity(f.severity),
            property(&f.file),
            f.line,
            f.column,
            property(f.rule),
            data(&format!("{} (fix: {})", f.message, f.hint))
        )?;
    }
    for p in report.proof.iter().flatten().filter(|p| p.status != ProofStatus::Ok) {
        let title = property(&format!("proof V{} {}", p.version, p.name));
        let message = data(&format!("{}: {}", proof_status(p.status), proof_what(p)));
        writeln!(out, "::error file={},line={},title={title}::{message}", property(&p.file), p.line)?;
    }
    for d in report.drift.iter().flatten() {
        let detail = if d.detail.is_empty() { String::new() } else { format!(": {}", d.detail) };
        let message = data(&format!("{} {} {}{detail}", d.kind, d.object, change(d.change)));
        writeln!(out, "::error title=drift::{message}")?;
    }
    Ok(())
}

/// A workflow command's message: `%`, CR and LF escaped.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value: as `data`, plus `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

impl Report for CheckReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        write_table(self, out)
    }

    fn write_annotations(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Sarif => write_sarif(self, out),
            _ => write_github(self, out),
        }
    }
}

#[cfg(test)]
mod tests;
