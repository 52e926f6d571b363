//! `kubeward audit analyze` end to end: formats, exit codes, config errors.

use assert_cmd::Command;
use serde_json::{Value, json};

fn kubeward(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.current_dir(dir);
    c
}

fn event(user: &str, verb: &str, resource: &str, sub: Option<&str>, body: Option<Value>) -> String {
    let mut e = json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Request", "auditID": "a1",
        "stage": "ResponseComplete", "requestURI": "/api/v1/namespaces/prod/pods", "verb": verb,
        "user": {"username": user}, "sourceIPs": ["10.0.0.9"], "userAgent": "kubectl/v1.31",
        "objectRef": {"resource": resource, "namespace": "prod", "name": "web"},
        "responseStatus": {"code": 201}, "stageTimestamp": "2026-12-05T08:00:00.000001Z"
    });
    if let Some(s) = sub {
        e["objectRef"]["subresource"] = json!(s);
    }
    if let Some(b) = body {
        e["requestObject"] = b;
    }
    format!("{e}\n")
}

#[test]
fn analyze_reports_alerts_with_the_underlying_scan_rule() {
    let dir = tempfile::tempdir().unwrap();
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "x:1"}]}});
    let log = format!(
        "{}{}not json\n",
        event("mallory", "create", "pods", None, Some(pod)),
        event("alice", "create", "pods", Some("exec"), None)
    );
    std::fs::write(dir.path().join("audit.log"), log).unwrap();
    let out = kubeward(dir.path())
        .args([
            "audit",
            "analyze",
            "audit.log",
            "--format",
            "jsonl",
            "--summary",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["rule"], "KW-AUD-004");
    assert_eq!(lines[0]["underlying_rule"], "KW-PSS-002");
    assert_eq!(lines[1]["rule"], "KW-AUD-001");
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["events"], 2);
    assert_eq!(summary["bad_lines"], 1);
    assert_eq!(
        summary["bad_samples"][0],
        "audit.log:3: not JSON (an audit event line starts with `{`)"
    );
    // Nothing at or above critical: exit 0.
    kubeward(dir.path())
        .args(["audit", "analyze", "audit.log", "--fail-on", "critical"])
        .assert()
        .code(0);
    // The rules are in the registry: `explain` knows them.
    kubeward(dir.path())
        .args(["explain", "KW-AUD-004"])
        .assert()
        .success();
}

#[test]
fn analyze_config_errors_and_missing_files_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.log"),
        event("alice", "get", "pods", None, None),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".kubeward.yaml"),
        "audit:\n  allowed_source_ranges: [not-an-ip]\n",
    )
    .unwrap();
    let out = kubeward(dir.path())
        .args(["audit", "analyze", "a.log"])
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains(".kubeward.yaml:2:27"), "{err}");
    kubeward(dir.path())
        .args(["audit", "analyze", "--no-config", "missing.log"])
        .assert()
        .code(2);
    // With the range configured, the request from 10.0.0.9 is outside 192.168.0.0/16.
    std::fs::write(
        dir.path().join(".kubeward.yaml"),
        "audit:\n  allowed_source_ranges: [192.168.0.0/16]\n",
    )
    .unwrap();
    let out = kubeward(dir.path())
        .args(["audit", "analyze", "a.log", "--fail-on", "none"])
        .assert()
        .code(0);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("KW-AUD-019"), "{text}");
}
