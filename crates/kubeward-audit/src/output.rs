//! Alert renderers: JSON lines (streamed), text (streamed), SARIF (one document at the end).

use crate::alert::Alert;
use crate::rules;
use kubeward_core::Severity;
use serde_json::json;
use std::io::{self, Write};

/// One alert as a JSON line.
pub fn write_jsonl(w: &mut dyn Write, a: &Alert) -> io::Result<()> {
    serde_json::to_writer(&mut *w, a)?;
    w.write_all(b"\n")
}

/// One alert as a text line (suppressed alerts say so and why).
pub fn write_text(w: &mut dyn Write, a: &Alert) -> io::Result<()> {
    let sev = a.severity.as_str().to_ascii_uppercase();
    write!(
        w,
        "{sev:<8} {} {} {}",
        a.rule,
        if a.time.is_empty() { "-" } else { &a.time },
        a.message
    )?;
    if !a.source_ips.is_empty() {
        write!(w, " from {}", a.source_ips.join(","))?;
    }
    write!(w, " ({}:{}", a.file, a.line)?;
    if let Some(i) = a.item {
        write!(w, " item {i}")?;
    }
    write!(w, ")")?;
    if let Some(s) = &a.suppressed {
        write!(w, " [suppressed: {} ({})]", s.reason, s.at)?;
    }
    writeln!(w)
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A SARIF 2.1.0 log of `alerts`.
pub fn sarif(alerts: &[Alert]) -> serde_json::Value {
    let rule_list: Vec<serde_json::Value> = rules::ALL
        .iter()
        .map(|r| {
            let m = &r.meta;
            json!({
                "id": m.id,
                "name": m.name,
                "shortDescription": {"text": m.title},
                "fullDescription": {"text": m.why},
                "help": {"text": m.fix},
                "defaultConfiguration": {"level": level(m.severity)},
                "properties": {
                    "security-severity": m.severity.security_score(),
                    "tags": ["security", "kubernetes", "audit"],
                    "mitre": crate::alert::Alert::mitre_of(m),
                }
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = alerts
        .iter()
        .map(|a| {
            let mut r = json!({
                "ruleId": a.rule,
                "ruleIndex": rules::ALL.iter().position(|r| r.meta.id == a.rule).unwrap_or(0),
                "level": level(a.severity),
                "message": {"text": a.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": a.file},
                        "region": {"startLine": a.line.max(1)}
                    }
                }],
                "properties": {
                    "security-severity": a.severity.security_score(),
                    "time": a.time,
                    "user": a.user,
                    "verb": a.verb,
                    "resource": a.resource,
                    "namespace": a.namespace,
                    "name": a.object_name,
                    "sourceIPs": a.source_ips,
                    "underlyingRule": a.underlying_rule,
                    "auditID": a.audit_id,
                }
            });
            if let Some(s) = &a.suppressed {
                r["suppressions"] = json!([{
                    "kind": "external",
                    "justification": s.reason,
                    "location": {"physicalLocation": {"artifactLocation": {"uri": s.at}}}
                }]);
            }
            r
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubeward",
                "informationUri": "https://github.com/kubeward/kubeward",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_list,
            }},
            "results": results,
        }]
    })
}
