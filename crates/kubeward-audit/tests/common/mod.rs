//! Helpers: events written by the tests, and a run of the analyzer over them.

#![allow(dead_code)]

use kubeward_audit::{Alert, Analyzer, AnalyzerSink, AuditSettings, Summary};
use kubeward_core::Registry;
use kubeward_core::config::Config;
use serde_json::{Value, json};

pub fn registry() -> Registry {
    let mut r = Registry::new();
    r.extend(kubeward_rules::rules());
    r.extend(kubeward_audit::rules());
    r
}

/// A final-stage, successful event.
pub fn ev(user: &str, verb: &str, resource: &str, ns: Option<&str>, name: Option<&str>) -> Value {
    let (resource, sub) = match resource.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (resource, None),
    };
    let mut object_ref = json!({"resource": resource, "apiVersion": "v1"});
    if let Some(ns) = ns {
        object_ref["namespace"] = json!(ns);
    }
    if let Some(n) = name {
        object_ref["name"] = json!(n);
    }
    if let Some(s) = sub {
        object_ref["subresource"] = json!(s);
    }
    let mut uri = format!("/api/v1/{resource}");
    if let Some(ns) = ns {
        uri = format!("/api/v1/namespaces/{ns}/{resource}");
    }
    if let Some(n) = name {
        uri.push('/');
        uri.push_str(n);
    }
    json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": format!("id-{user}-{verb}-{resource}"),
        "stage": "ResponseComplete",
        "requestURI": uri,
        "verb": verb,
        "user": {"username": user, "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.5"],
        "userAgent": "kubectl/v1.31.0 (linux/amd64) kubernetes/abc",
        "objectRef": object_ref,
        "responseStatus": {"metadata": {}, "code": if verb == "create" { 201 } else { 200 }},
        "requestReceivedTimestamp": "2026-12-05T08:00:00.000000Z",
        "stageTimestamp": "2026-12-05T08:00:00.010000Z",
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "RBAC: allowed"}
    })
}

pub fn with(mut e: Value, key: &str, v: Value) -> Value {
    e[key] = v;
    e
}

pub fn lines(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

pub fn config(yaml: &str) -> Config {
    Config::parse(yaml, ".kubeward.yaml", &registry()).expect("config")
}

/// Runs the analyzer over `text` (any accepted format) with `config_yaml`.
pub fn run_text(text: &[u8], config_yaml: &str) -> (Vec<Alert>, Summary) {
    let reg = registry();
    let cfg = config(config_yaml);
    let settings = AuditSettings::from_config(&cfg, &reg).expect("audit settings");
    let mut analyzer = Analyzer::new(&reg, &cfg, settings);
    let mut alerts = Vec::new();
    let mut out = |a: Alert| alerts.push(a);
    let mut sink = AnalyzerSink {
        analyzer: &mut analyzer,
        out: &mut out,
    };
    kubeward_audit::reader::read_bytes("audit.log", text, &mut sink).expect("read");
    (alerts, analyzer.into_summary())
}

pub fn run(events: &[Value]) -> Vec<Alert> {
    run_text(lines(events).as_bytes(), "").0
}

pub fn run_cfg(events: &[Value], config_yaml: &str) -> Vec<Alert> {
    run_text(lines(events).as_bytes(), config_yaml).0
}

/// Alerts of one rule.
pub fn of(alerts: &[Alert], rule: &str) -> Vec<Alert> {
    alerts.iter().filter(|a| a.rule == rule).cloned().collect()
}
