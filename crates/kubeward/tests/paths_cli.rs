//! `kubeward paths` on the examples: the insecure app has complete paths, the hardened twin
//! none; every format.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kw() -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.current_dir(root());
    c
}

#[test]
fn insecure_example_has_a_complete_path() {
    kw().args(["paths", "examples/insecure-app", "--top", "3"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "#1 score 30: Internet → cluster-admin equivalent",
        ))
        .stdout(predicate::str::contains(
            "KW-RBAC-001 ClusterRoleBinding orders-api-admin at examples/insecure-app/rbac.yaml:",
        ))
        .stdout(predicate::str::contains("Fix first"));
    let out = kw()
        .args(["paths", "examples/insecure-app", "-f", "json", "--top", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["total_paths"].as_u64().unwrap() >= 1);
    assert_eq!(v["shown"], 5);
    let first = &v["paths"][0];
    assert_eq!(first["entry"], "Internet");
    assert_eq!(first["target"], "cluster-admin equivalent");
    // Every step a path names is listed with its findings.
    for hop in first["hops"].as_array().unwrap() {
        for s in hop["steps"].as_array().unwrap() {
            let step = v["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == *s)
                .unwrap();
            assert!(!step["findings"].as_array().unwrap().is_empty());
        }
    }
    kw().args(["paths", "examples/insecure-app", "-f", "mermaid"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("flowchart LR\n"))
        .stdout(predicate::str::contains("[[\"cluster-admin equivalent\"]]"));
    kw().args(["paths", "examples/insecure-app", "-f", "dot"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("digraph attack_paths {"))
        .stdout(predicate::str::contains("\"internet\" -> "));
}

#[test]
fn hardened_example_has_none() {
    kw().args(["paths", "examples/hardened-app"])
        .assert()
        .success()
        .stdout("No attack path found from an entry point to a target.\n");
    let out = kw()
        .args(["paths", "examples/hardened-app", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total_paths"], 0);
}

#[test]
fn bad_input_is_exit_2() {
    kw().args(["paths", "does/not/exist"]).assert().code(2);
}

#[test]
fn scan_sort_risk_counts_paths_and_orders_by_them() {
    let json = |extra: &[&str]| -> serde_json::Value {
        let out = kw()
            .args([
                "scan",
                "examples/insecure-app",
                "-f",
                "json",
                "--fail-on",
                "none",
            ])
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let plain = json(&[]);
    assert!(
        plain["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("paths").is_none())
    );
    let risk = json(&["--sort", "risk"]);
    let counts: Vec<u64> = risk["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["paths"].as_u64().unwrap())
        .collect();
    assert_eq!(counts.len(), plain["findings"].as_array().unwrap().len());
    assert!(counts[0] > 0);
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    // The privileged container of the exposed API is on paths.
    assert!(risk["findings"].as_array().unwrap().iter().any(|f| {
        f["rule_id"] == "KW-PSS-003"
            && f["resource"]["name"] == "orders-api"
            && f["paths"].as_u64().unwrap() > 0
    }));
    // `--sort file` is the default order, byte for byte.
    let a = kw()
        .args([
            "scan",
            "examples/insecure-app",
            "-f",
            "sarif",
            "--fail-on",
            "none",
        ])
        .output()
        .unwrap();
    let b = kw()
        .args([
            "scan",
            "examples/insecure-app",
            "-f",
            "sarif",
            "--fail-on",
            "none",
            "--sort",
            "file",
        ])
        .output()
        .unwrap();
    assert_eq!(a.stdout, b.stdout);
    let sarif = kw()
        .args([
            "scan",
            "examples/insecure-app",
            "-f",
            "sarif",
            "--fail-on",
            "none",
            "--sort",
            "risk",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert!(
        v["runs"][0]["results"][0]["properties"]["attack-paths"]
            .as_u64()
            .unwrap()
            > 0
    );
    kw().args(["scan", "examples/insecure-app", "--sort", "risk"])
        .assert()
        .stdout(predicate::str::contains("━━ on attack paths"))
        .stdout(predicate::str::contains("on 8 attack paths"));
}
