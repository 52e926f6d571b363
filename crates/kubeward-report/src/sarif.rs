//! SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
//!
//! One run; `tool.driver.rules` lists every enabled rule with its help text and a
//! `security-severity` score; each result has a physical location (columns counted in Unicode
//! code points, declared in `columnKind`), a logical location naming the Kubernetes object, and
//! a partial fingerprint that survives line moves. Suppressed findings carry `suppressions`;
//! undecided ones are `kind: review`. Input errors become tool execution notifications.

use kubeward_core::RuleMeta;
use kubeward_core::finding::{Severity, Status};
use kubeward_core::input::Level;
use kubeward_core::report::{LocationOut, Report, ReportFinding};
use serde_json::{Value, json};
use std::collections::HashMap;

fn level(f: &ReportFinding) -> &'static str {
    if f.status != Status::Fail {
        return "none";
    }
    match f.severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn default_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A relative path as a URI reference: forward slashes, reserved characters escaped.
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p);
    let mut o = String::with_capacity(p.len());
    for b in p.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                o.push(b as char)
            }
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    if p.starts_with('/') {
        format!("file://{o}")
    } else {
        o
    }
}

fn artifact(loc: &LocationOut) -> Option<Value> {
    let file = loc.file.as_deref()?;
    let (path, region) = match loc.origin {
        // Lines of a Kustomize rendering are not lines of any file: point at the root.
        "kustomize" => (
            format!(
                "{}/kustomization.yaml",
                file.strip_suffix(" (kustomize)").unwrap_or(file)
            ),
            false,
        ),
        "stdin" => return None,
        _ => (file.to_string(), true),
    };
    let u = uri(&path);
    let mut art = json!({ "uri": u });
    if !u.starts_with("file://") {
        art["uriBaseId"] = json!("%SRCROOT%");
    }
    let mut phys = json!({ "artifactLocation": art });
    if region {
        if let (Some(l), Some(c)) = (loc.line, loc.column) {
            phys["region"] = json!({ "startLine": l, "startColumn": c });
        }
    }
    Some(phys)
}

fn rule_json(r: &RuleMeta) -> Value {
    let refs: Vec<String> = r
        .references
        .iter()
        .map(|(k, v)| format!("- {k}: {v}"))
        .collect();
    let markdown = format!(
        "**{}**\n\n{}\n\n**Fix:** {}\n\n**Layer:** {}\n\n**References:**\n{}",
        r.title,
        r.why,
        r.fix,
        r.layer.as_str(),
        refs.join("\n")
    );
    let help_uri = r
        .references
        .iter()
        .find(|(k, v)| *k == "docs" && v.starts_with("https://"))
        .map(|(_, v)| *v);
    let mut v = json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": r.why },
        "help": { "text": format!("{}\n\nFix: {}", r.why, r.fix), "markdown": markdown },
        "defaultConfiguration": { "level": default_level(r.severity) },
        "properties": {
            "tags": ["security", "kubernetes", r.layer.as_str()],
            "security-severity": r.severity.security_score(),
            "precision": "high",
        }
    });
    if let Some(u) = help_uri {
        v["helpUri"] = json!(u);
    }
    v
}

/// Renders `report`. `rules` are the rules that ran (their metadata fills `tool.driver.rules`).
pub fn render(report: &Report, rules: &[&'static RuleMeta]) -> String {
    let mut out = Vec::new();
    write(report, rules, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("SARIF is UTF-8")
}

/// Writes `report` as SARIF to `w`, one result at a time: a large scan's results are never
/// all held as JSON values at once (the whole document was 1.5 GB for 10k Deployments).
pub fn write(
    report: &Report,
    rules: &[&'static RuleMeta],
    w: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let mut rules: Vec<&RuleMeta> = rules.to_vec();
    // Every rule that produced a result must be listed, even if it was not passed in.
    let mut index: HashMap<&str, usize> = HashMap::new();
    rules.sort_by_key(|r| r.id);
    rules.dedup_by_key(|r| r.id);
    for (i, r) in rules.iter().enumerate() {
        index.insert(r.id, i);
    }
    // Every finding is a result. Findings about the scan as a whole (no object) carry a
    // logical location naming the scan, so no viewer drops them for lack of a location.
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut n = json!({
                "level": if e.level == Level::Error { "error" } else { "warning" },
                "message": { "text": e.message },
            });
            if e.line > 0 {
                let loc = LocationOut {
                    file: Some(e.file.as_str().into()),
                    line: Some(e.line),
                    column: Some(e.column.max(1)),
                    pointer: String::new(),
                    origin: if e.file == "-" { "stdin" } else { "file" },
                };
                if let Some(p) = artifact(&loc) {
                    n["locations"] = json!([{ "physicalLocation": p }]);
                }
            }
            n
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "kubeward",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://github.com/kubeward/kubeward",
                "rules": rules.iter().map(|r| rule_json(r)).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                // Input errors, or part of a cluster not read (KW-CP-001): not a complete run.
                "executionSuccessful": report.summary.errors == 0 && report.summary.coverage_gaps == 0,
                "toolExecutionNotifications": notifications,
            }],
            "results": [],
        }]
    });
    // The document is written around its results: everything before `"results": [` and
    // after it comes from the pretty printer, each result is printed on its own and indented
    // to its depth, so the bytes are those of printing the whole document at once.
    let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
    let marker = "\"results\": []";
    let at = text.rfind(marker).expect("results key");
    w.write_all(&text.as_bytes()[..at])?;
    w.write_all(b"\"results\": [")?;
    let mut first = true;
    for f in &report.findings {
        let item =
            serde_json::to_string_pretty(&result(f, &index)).map_err(std::io::Error::other)?;
        w.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        for (i, line) in item.lines().enumerate() {
            if i > 0 {
                w.write_all(b"\n")?;
            }
            w.write_all(RESULT_INDENT.as_bytes())?;
            w.write_all(line.as_bytes())?;
        }
    }
    if !first {
        w.write_all(b"\n")?;
        w.write_all(&RESULT_INDENT.as_bytes()[2..])?;
    }
    w.write_all(b"]")?;
    w.write_all(&text.as_bytes()[at + marker.len()..])?;
    w.write_all(b"\n")
}

/// Results sit at depth 4 (document, `runs`, the run, `results`).
const RESULT_INDENT: &str = "        ";

/// One result. Every finding is a result; findings about the scan as a whole (no object) carry
/// a logical location naming the scan, so no viewer drops them for lack of a location.
fn result(f: &ReportFinding, index: &HashMap<&str, usize>) -> Value {
    let mut r = json!({
        "ruleId": f.rule_id,
        "level": level(f),
        "kind": match f.status {
            Status::Fail => "fail",
            Status::Unknown => "review",
            Status::NotApplicable => "notApplicable",
        },
        "message": { "text": match &f.resource {
            Some(res) => format!("{} {}: {}", res.kind, match &res.namespace {
                Some(ns) => format!("{ns}/{}", res.name),
                None => res.name.clone(),
            }, f.message),
            None => f.message.clone(),
        }},
        "partialFingerprints": { "kubeward/v1": f.fingerprint },
        "properties": {
            "severity": f.severity.as_str(),
            "layer": f.layer.as_str(),
            "security-severity": f.severity.security_score(),
        }
    });
    if let Some(n) = f.paths {
        r["properties"]["attack-paths"] = json!(n);
    }
    if let Some(i) = index.get(f.rule_id) {
        r["ruleIndex"] = json!(i);
    }
    let mut location = json!({});
    if let Some(phys) = f.location.as_ref().and_then(artifact) {
        location["physicalLocation"] = phys;
    }
    if let Some(res) = &f.resource {
        let fq = match &res.namespace {
            Some(ns) => format!("{}/{}/{}", res.kind, ns, res.name),
            None => format!("{}/{}", res.kind, res.name),
        };
        location["logicalLocations"] = json!([{
            "fullyQualifiedName": fq,
            "name": res.name,
            "kind": "resource",
        }]);
    } else {
        location["logicalLocations"] = json!([{
            "fullyQualifiedName": "kubeward scan",
            "name": "scan",
            "kind": "module",
        }]);
    }
    if location.as_object().is_some_and(|o| !o.is_empty()) {
        r["locations"] = json!([location]);
    }
    let related: Vec<Value> = f
        .related
        .iter()
        .enumerate()
        .filter_map(|(i, rel)| {
            artifact(&rel.location).map(
                |p| json!({ "id": i, "physicalLocation": p, "message": { "text": rel.message } }),
            )
        })
        .collect();
    if !related.is_empty() {
        r["relatedLocations"] = json!(related);
    }
    if let Some(s) = &f.suppressed {
        r["suppressions"] = json!([{
            "kind": if s.by == "annotation" { "inSource" } else { "external" },
            "status": "accepted",
            "justification": format!("{}: {}", s.by, s.reason),
        }]);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn uris() {
        assert_eq!(uri("./a b/c.yaml"), "a%20b/c.yaml");
        assert_eq!(uri("/abs/x.yaml"), "file:///abs/x.yaml");
        assert_eq!(uri("dir\\x.yaml"), "dir/x.yaml");
    }
}
