//! `/validate`: the scan rules on the object of an AdmissionReview, with per-rule actions.

use crate::config::Action;
use crate::error::RequestError;
use crate::log::{DecisionRecord, FindingRecord};
use crate::policy::Policy;
use crate::review::{AdmissionRequest, AdmissionResponse};
use kubeward_core::engine::Engine;
use kubeward_core::input::{Level, LoadOptions, Loaded, load_text};
use kubeward_core::{Finding, Status};
use std::collections::{BTreeMap, HashSet};

/// Warnings are sent as HTTP `Warning` headers: each stays under this many characters.
pub const MAX_WARNING_CHARS: usize = 119;
/// The API server caps the warnings of one response at about 4 KiB.
const MAX_WARNINGS_TOTAL: usize = 3800;
/// Audit annotation values are kept short; the full list is in the decision log.
const MAX_ANNOTATION_VALUE: usize = 1000;

/// An evaluated finding.
#[derive(Clone, Debug)]
pub struct Evaluated {
    pub rule: &'static str,
    pub title: &'static str,
    pub field: String,
    pub message: String,
    pub severity: kubeward_core::Severity,
    pub action: Action,
    /// Also present on the old object of an UPDATE.
    pub preexisting: bool,
}

/// Reads one object (the JSON text of `request.object`) into a one-object inventory.
pub fn load_object(text: &str, namespace: Option<&str>) -> Result<Loaded, RequestError> {
    static BASE: std::sync::OnceLock<LoadOptions> = std::sync::OnceLock::new();
    let base = BASE.get_or_init(|| LoadOptions {
        kustomize: false,
        ..LoadOptions::default()
    });
    let opts = LoadOptions {
        default_namespace: namespace.unwrap_or("default").to_string(),
        ..base.clone()
    };
    let loaded = load_text("admission-request.json", text, &opts);
    if let Some(d) = loaded.diagnostics.iter().find(|d| d.level == Level::Error) {
        return Err(RequestError::Object {
            line: d.line,
            column: d.column,
            message: d.message.clone(),
        });
    }
    if loaded.inventory.is_empty() {
        return Err(RequestError::NoKind);
    }
    Ok(loaded)
}

/// Runs the admission rules over a loaded object: its active findings.
pub fn run_rules(policy: &Policy, loaded: &Loaded) -> Vec<Finding> {
    let out = Engine {
        registry: &policy.registry,
        config: &policy.config,
    }
    .run(&loaded.inventory, &loaded.duplicates, None);
    out.findings
        .into_iter()
        .filter(|f| f.object.is_some() && f.suppressed.is_none() && f.status == Status::Fail)
        .collect()
}

/// `/spec/containers/0/image` → `spec.containers[0].image`.
pub fn field_path(pointer: &str) -> String {
    let mut out = String::new();
    for tok in pointer.split('/').skip(1) {
        let tok = tok.replace("~1", "/").replace("~0", "~");
        if !tok.is_empty() && tok.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(&tok);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&tok);
        }
    }
    if out.is_empty() {
        "(object)".into()
    } else {
        out
    }
}

/// Header-safe (printable ASCII) and at most `max` characters.
pub fn clip(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect();
    if clean.len() <= max {
        clean
    } else {
        format!("{}...", &clean[..max - 3])
    }
}

/// The answer to a validation request and what to log about it.
pub struct Outcome {
    pub response: AdmissionResponse,
    pub record: DecisionRecord,
    pub findings: Vec<Evaluated>,
}

/// Decides one validation request.
pub fn validate(policy: &Policy, req: &AdmissionRequest) -> Outcome {
    let mut record = DecisionRecord::for_request("validate", req);
    let mut resp = AdmissionResponse::allow(&req.uid);
    let done = |mut resp: AdmissionResponse,
                mut record: DecisionRecord,
                findings: Vec<Evaluated>,
                note: Option<String>| {
        record.allowed = resp.allowed;
        if let Some(n) = note {
            resp.audit_annotations.insert("decision".into(), n.clone());
            record.note = Some(n);
        }
        Outcome {
            response: resp,
            record,
            findings,
        }
    };
    if req.operation != "CREATE" && req.operation != "UPDATE" {
        return done(resp, record, Vec::new(), None);
    }
    let ns = req.namespace.as_deref().unwrap_or("");
    if !ns.is_empty()
        && policy
            .admission
            .namespace_exempt(ns, policy.own_namespace.as_deref())
    {
        return done(
            resp,
            record,
            Vec::new(),
            Some(format!("exempt: namespace {ns}")),
        );
    }
    let Some(text) = req.object_text() else {
        return done(resp, record, Vec::new(), None);
    };
    let loaded = match load_object(text, req.namespace.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            let resp = AdmissionResponse::deny(
                &req.uid,
                400,
                format!("kubeward could not read the request object: {e}"),
            );
            return done(resp, record, Vec::new(), None);
        }
    };
    let obj = &loaded.inventory.objects()[0];
    let name = obj.name.as_str();
    if let Some(e) = policy
        .admission
        .exempt
        .iter()
        .find(|e| e.matches(&obj.kind, ns, name))
    {
        let note = format!("exempt: {}", e.reason);
        return done(resp, record, Vec::new(), Some(clip(&note, 200)));
    }
    let display = obj.display();
    let findings = run_rules(policy, &loaded);
    // UPDATE: what the old object already had.
    let mut before: HashSet<(&'static str, String)> = HashSet::new();
    if req.operation == "UPDATE" && policy.admission.grandfather_updates {
        if let Some(old) = req.old_object_text() {
            if let Ok(old_loaded) = load_object(old, req.namespace.as_deref()) {
                for f in run_rules(policy, &old_loaded) {
                    before.insert((f.rule.id, f.pointer));
                }
            }
        }
    }
    let mut evaluated: Vec<Evaluated> = findings
        .into_iter()
        .map(|f| {
            let mut action = policy.admission.action(f.rule.id, f.rule.layer, f.severity);
            let preexisting = before.contains(&(f.rule.id, f.pointer.clone()));
            if preexisting && action == Action::Enforce {
                action = Action::Warn;
            }
            Evaluated {
                rule: f.rule.id,
                title: f.rule.title,
                field: field_path(&f.pointer),
                message: f.message,
                severity: f.severity,
                action,
                preexisting,
            }
        })
        .filter(|e| e.action != Action::Off)
        .collect();
    evaluated.sort_by(|a, b| (a.rule, &a.field).cmp(&(b.rule, &b.field)));

    let enforce: Vec<&Evaluated> = evaluated
        .iter()
        .filter(|e| e.action == Action::Enforce)
        .collect();
    if !enforce.is_empty() {
        let mut msg = format!(
            "kubeward denied {display}: {} finding{} to fix",
            enforce.len(),
            if enforce.len() == 1 { "" } else { "s" }
        );
        for e in &enforce {
            msg.push_str(&format!("\n- {} at {}: {}", e.rule, e.field, e.message));
        }
        resp = AdmissionResponse::deny(&req.uid, 403, msg);
    }
    let mut total = 0;
    let warns: Vec<&Evaluated> = evaluated
        .iter()
        .filter(|e| e.action == Action::Warn)
        .collect();
    for (i, e) in warns.iter().enumerate() {
        let w = clip(
            &format!(
                "{} {}{}: {}",
                e.rule,
                e.field,
                if e.preexisting { " (existing)" } else { "" },
                e.title
            ),
            MAX_WARNING_CHARS,
        );
        if total + w.len() > MAX_WARNINGS_TOTAL {
            resp.warnings.push(format!(
                "kubeward: {} more warnings not shown",
                warns.len() - i
            ));
            break;
        }
        total += w.len();
        resp.warnings.push(w);
    }
    let mut audit: BTreeMap<String, String> = BTreeMap::new();
    for e in evaluated.iter().filter(|e| e.action == Action::Audit) {
        let v = audit.entry(e.rule.to_ascii_lowercase()).or_default();
        if !v.is_empty() {
            v.push_str("; ");
        }
        v.push_str(&format!("{}: {}", e.field, e.message));
    }
    for (k, v) in audit {
        resp.audit_annotations
            .insert(k, clip(&v, MAX_ANNOTATION_VALUE));
    }
    if !enforce.is_empty() {
        let ids: Vec<&str> = enforce.iter().map(|e| e.rule).collect();
        resp.audit_annotations
            .insert("denied-by".into(), ids.join(","));
    }
    record.findings = evaluated
        .iter()
        .map(|e| FindingRecord {
            rule: e.rule,
            action: e.action.as_str(),
            severity: e.severity.as_str(),
            field: e.field.clone(),
            preexisting: e.preexisting,
        })
        .collect();
    done(resp, record, evaluated, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_read_like_kubectl_explain() {
        assert_eq!(
            field_path("/spec/template/spec/containers/0/securityContext/privileged"),
            "spec.template.spec.containers[0].securityContext.privileged"
        );
        assert_eq!(
            field_path("/metadata/annotations/a.io~1b"),
            "metadata.annotations.a.io/b"
        );
        assert_eq!(field_path(""), "(object)");
    }

    #[test]
    fn clip_keeps_warnings_short_and_header_safe() {
        let long = "é".repeat(300);
        let c = clip(&long, MAX_WARNING_CHARS);
        assert!(c.len() <= MAX_WARNING_CHARS && c.is_ascii());
        assert_eq!(clip("short", 10), "short");
    }
}
