//! wg-policy reports: one `PolicyReport` (wgpolicyk8s.io/v1alpha2) per namespace with the
//! results about its objects, and one `ClusterPolicyReport` for cluster-scoped objects and
//! scan-wide findings, so Policy Reporter, Kyverno's UI and other report viewers show
//! kubeward results. Written as a JSON `v1/List` (`kubectl apply -f` takes it), or applied to
//! the cluster by `scan --cluster --apply-reports`.
//!
//! Results: an active failed finding is `fail`, a suppressed one `skip`, a finding kubeward
//! could not decide `warn`, one that does not apply `skip`. No timestamps: the output is
//! deterministic.

use kubeward_core::finding::Status;
use kubeward_core::report::{Report, ReportFinding};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const API_VERSION: &str = "wgpolicyk8s.io/v1alpha2";

/// The name every report gets (one per namespace, so one name is enough).
pub const NAME: &str = "kubeward";

fn result(f: &ReportFinding) -> Value {
    let outcome = match (f.status, &f.suppressed) {
        (_, Some(_)) => "skip",
        (Status::Fail, None) => "fail",
        (Status::Unknown, None) => "warn",
        (Status::NotApplicable, None) => "skip",
    };
    let mut props = serde_json::Map::new();
    props.insert("fingerprint".into(), json!(f.fingerprint));
    if let Some(l) = &f.location {
        props.insert("pointer".into(), json!(l.pointer));
        if let (Some(file), Some(line)) = (&l.file, l.line) {
            props.insert("location".into(), json!(format!("{file}:{line}")));
        }
    }
    if let Some(s) = &f.suppressed {
        props.insert(
            "suppressed".into(),
            json!(format!("{}: {}", s.by, s.reason)),
        );
    }
    for (k, v) in f.references.merged() {
        props.insert(format!("ref.{k}"), json!(v));
    }
    let mut r = json!({
        "source": "kubeward",
        "policy": f.rule_id,
        "rule": f.rule_name,
        "category": f.layer.as_str(),
        "severity": f.severity.as_str(),
        "result": outcome,
        "scored": true,
        "message": f.message,
        "properties": props,
    });
    if let Some(res) = &f.resource {
        let mut o = json!({
            "apiVersion": res.api_version,
            "kind": res.kind,
            "name": res.name,
        });
        if let Some(ns) = &res.namespace {
            o["namespace"] = json!(ns);
        }
        r["resources"] = json!([o]);
    }
    r
}

/// The report objects: PolicyReports by namespace (sorted), then the ClusterPolicyReport
/// (only when it has results).
pub fn objects(report: &Report) -> Vec<Value> {
    let mut by_ns: BTreeMap<Option<&str>, Vec<&ReportFinding>> = BTreeMap::new();
    for f in &report.findings {
        let ns = f.resource.as_ref().and_then(|r| r.namespace.as_deref());
        by_ns.entry(ns).or_default().push(f);
    }
    let mut out = Vec::new();
    let mut cluster = None;
    for (ns, fs) in by_ns {
        let results: Vec<Value> = fs.iter().map(|f| result(f)).collect();
        let count = |r: &str| results.iter().filter(|x| x["result"] == r).count();
        let summary = json!({
            "pass": 0,
            "fail": count("fail"),
            "warn": count("warn"),
            "error": 0,
            "skip": count("skip"),
        });
        let mut metadata = json!({
            "name": NAME,
            "labels": {"app.kubernetes.io/managed-by": "kubeward"},
        });
        let kind = match ns {
            Some(ns) => {
                metadata["namespace"] = json!(ns);
                "PolicyReport"
            }
            None => "ClusterPolicyReport",
        };
        let o = json!({
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": metadata,
            "summary": summary,
            "results": results,
        });
        if ns.is_none() {
            cluster = Some(o);
        } else {
            out.push(o);
        }
    }
    out.extend(cluster);
    out
}

/// `{"apiVersion": "v1", "kind": "List", "items": [...]}`.
pub fn render(report: &Report) -> String {
    serde_json::to_string_pretty(&json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": objects(report),
    }))
    .expect("json")
        + "\n"
}
