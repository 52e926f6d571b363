//! End-to-end: `kubeward scan --pod-security LEVEL[:VERSION]` selects the Pod Security profile,
//! and every Pod Security finding carries the upstream check ID in `references.pss`.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;

/// A Deployment that breaks baseline (hostPort, SYS_ADMIN) and the restricted controls.
const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsUser: 0}
      initContainers:
      - {name: init, image: 'busybox:1.36', securityContext: {capabilities: {add: [SYS_ADMIN]}}}
      containers:
      - name: web
        image: 'nginx:1.27'
        ports: [{containerPort: 80, hostPort: 80}]
        readinessProbe: {httpGet: {host: 169.254.169.254, port: 80}}
";

fn scan(profile: Option<&str>) -> Value {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.args([
        "scan",
        "-",
        "--format",
        "json",
        "--no-config",
        "--fail-on",
        "none",
    ]);
    if let Some(p) = profile {
        c.args(["--pod-security", p]);
    }
    let out = c.write_stdin(DEPLOY).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (rule ID, references.pss) of the Pod Security findings.
fn pss(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("KW-PSS-"))
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["references"]["pss"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn set(v: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn default_is_restricted_latest() {
    assert_eq!(
        pss(&scan(None)),
        set(&[
            ("KW-PSS-006", "hostPorts"),
            ("KW-PSS-012", "hostProbesAndHostLifecycle"),
            ("KW-PSS-102", "allowPrivilegeEscalation"),
            ("KW-PSS-103", "runAsNonRoot"),
            ("KW-PSS-104", "runAsUser"),
            ("KW-PSS-105", "seccompProfile_restricted"),
            ("KW-PSS-106", "capabilities_restricted"),
        ])
    );
    assert_eq!(pss(&scan(None)), pss(&scan(Some("restricted:latest"))));
}

#[test]
fn baseline_and_old_versions() {
    assert_eq!(
        pss(&scan(Some("baseline"))),
        set(&[
            ("KW-PSS-004", "capabilities_baseline"),
            ("KW-PSS-006", "hostPorts"),
            ("KW-PSS-012", "hostProbesAndHostLifecycle"),
        ])
    );
    // Before v1.34 the probe host check does not exist.
    assert_eq!(
        pss(&scan(Some("baseline:v1.33"))),
        set(&[
            ("KW-PSS-004", "capabilities_baseline"),
            ("KW-PSS-006", "hostPorts"),
        ])
    );
    // Restricted v1.21: no runAsUser (v1.23), capabilities still the baseline check (v1.22),
    // seccomp already the restricted one (v1.19).
    assert_eq!(
        pss(&scan(Some("restricted:v1.21"))),
        set(&[
            ("KW-PSS-004", "capabilities_baseline"),
            ("KW-PSS-006", "hostPorts"),
            ("KW-PSS-102", "allowPrivilegeEscalation"),
            ("KW-PSS-103", "runAsNonRoot"),
            ("KW-PSS-105", "seccompProfile_restricted"),
        ])
    );
    assert!(pss(&scan(Some("privileged"))).is_empty());
}

#[test]
fn findings_point_at_the_field_and_name_the_level_that_set_it() {
    let report = scan(None);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "KW-PSS-104")
        .unwrap();
    assert_eq!(
        f["location"]["pointer"],
        "/spec/template/spec/securityContext/runAsUser"
    );
    assert_eq!(f["location"]["line"], 9);
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("pod-level securityContext"),
        "{f}"
    );
    let caps: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "KW-PSS-106")
        .collect();
    let pointers: BTreeSet<&str> = caps
        .iter()
        .map(|f| f["location"]["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/spec/template/spec/containers/0/securityContext/capabilities/drop",
            "/spec/template/spec/initContainers/0/securityContext/capabilities/add",
            "/spec/template/spec/initContainers/0/securityContext/capabilities/drop",
        ]
        .into_iter()
        .collect()
    );
}

#[test]
fn an_invalid_profile_is_a_usage_error() {
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .args([
            "scan",
            "-",
            "--no-config",
            "--pod-security",
            "restricted:v1.99",
        ])
        .write_stdin(DEPLOY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
