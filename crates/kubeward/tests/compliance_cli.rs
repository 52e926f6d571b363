//! `scan --framework`: every control listed, failed / passed / not checked with the reason,
//! and never passed without a rule.

use assert_cmd::Command;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn view(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .current_dir(root())
        .args(["scan", "--fail-on", "none", "-f", "json"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn control<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("control {id}"))
}

#[test]
fn every_framework_lists_every_control_and_never_passes_one_without_a_rule() {
    for fw in ["cis", "nsa", "pss", "mitre"] {
        let v = view(&["examples/insecure-app", "--framework", fw]);
        let cs = v["controls"].as_array().unwrap();
        let n = |s: &str| cs.iter().filter(|c| c["status"] == s).count() as u64;
        assert_eq!(v["passed"].as_u64().unwrap(), n("passed"));
        assert_eq!(v["failed"].as_u64().unwrap(), n("failed"));
        assert_eq!(v["not_checked"].as_u64().unwrap(), n("not_checked"));
        assert_eq!(
            n("passed") + n("failed") + n("not_checked"),
            cs.len() as u64
        );
        for c in cs {
            if c["rules"].as_array().unwrap().is_empty() {
                assert_ne!(c["status"], "passed", "{fw} {}", c["id"]);
            }
            if c["status"] == "not_checked" {
                assert!(!c["why"].as_str().unwrap().is_empty());
            }
            if c["status"] == "failed" {
                assert!(c["failed"].as_u64().unwrap() > 0);
            }
        }
    }
}

#[test]
fn cis_view_of_the_insecure_example() {
    let v = view(&["examples/insecure-app", "--framework", "cis"]);
    assert_eq!(v["framework"], "cis");
    let priv_ = control(&v, "5.2.2");
    assert_eq!(priv_["status"], "failed");
    assert!(
        priv_["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "KW-PSS-003")
    );
    // Node files: kubeward cannot see them from manifests.
    let c = control(&v, "1.1.1");
    assert_eq!(c["status"], "not_checked");
    assert!(c["why"].as_str().unwrap().contains("node-only"));
    // etcd TLS has a rule, but manifests of an app hold no control plane.
    let c = control(&v, "2.1");
    assert_eq!(c["status"], "not_checked");
    assert!(
        c["why"]
            .as_str()
            .unwrap()
            .contains("control-plane configuration"),
        "{c}"
    );
    // External secret stores are a cloud matter.
    assert!(
        control(&v, "5.4.2")["why"]
            .as_str()
            .unwrap()
            .contains("cloud-only")
    );
}

#[test]
fn pss_view_passes_the_hardened_example_and_needs_workloads() {
    let v = view(&["examples/hardened-app", "--framework", "pss"]);
    assert_eq!(v["failed"], 0);
    assert_eq!(control(&v, "privileged")["status"], "passed");
    let v = view(&["examples/insecure-app", "--framework", "pss"]);
    assert_eq!(control(&v, "privileged")["status"], "failed");
    // No workload: nothing to pass.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cm.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\ndata: {x: y}\n",
    )
    .unwrap();
    let v = view(&[f.to_str().unwrap(), "--framework", "pss"]);
    assert_eq!(v["passed"], 0);
    assert_eq!(control(&v, "privileged")["why"], "no workload in the input");
}

#[test]
fn text_view_and_format_errors() {
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .current_dir(root())
        .args(["scan", "examples/insecure-app", "--framework", "mitre"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("MITRE ATT&CK for Containers: "), "{text}");
    assert!(text.contains("\nfailed:\n") && text.contains("T1611"));
    // Exit code still follows --fail-on.
    assert_eq!(out.status.code(), Some(1));
    Command::cargo_bin("kubeward")
        .unwrap()
        .current_dir(root())
        .args([
            "scan",
            "examples/insecure-app",
            "--framework",
            "cis",
            "-f",
            "sarif",
        ])
        .assert()
        .code(2);
}
