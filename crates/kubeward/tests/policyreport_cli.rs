//! `scan --format policyreport`: a PolicyReport per namespace and a ClusterPolicyReport.

use assert_cmd::Command;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn one_report_per_namespace_and_one_for_the_cluster() {
    let run = |fmt: &str| {
        Command::cargo_bin("kubeward")
            .unwrap()
            .current_dir(root())
            .args([
                "scan",
                "examples/insecure-app",
                "--fail-on",
                "none",
                "-f",
                fmt,
            ])
            .output()
            .unwrap()
    };
    let out = run("policyreport");
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "List");
    let items = v["items"].as_array().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&run("json").stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    // Every finding is in exactly one report, in the report of its namespace.
    let total: usize = items
        .iter()
        .map(|i| i["results"].as_array().unwrap().len())
        .sum();
    assert_eq!(total, findings.len());
    let kinds: Vec<(&str, Option<&str>)> = items
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap(),
                i["metadata"]["namespace"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("PolicyReport", Some("default")),
            // The forgotten debug pod of the example.
            ("PolicyReport", Some("kube-system")),
            ("PolicyReport", Some("monitoring")),
            ("PolicyReport", Some("shop")),
            ("ClusterPolicyReport", None)
        ]
    );
    for i in items {
        assert_eq!(i["apiVersion"], "wgpolicyk8s.io/v1alpha2");
        assert_eq!(i["metadata"]["name"], "kubeward");
        let results = i["results"].as_array().unwrap();
        let fails = results.iter().filter(|r| r["result"] == "fail").count();
        assert_eq!(i["summary"]["fail"], fails);
        for r in results {
            assert!(r["policy"].as_str().unwrap().starts_with("KW-"));
            assert_eq!(r["source"], "kubeward");
            if let Some(ns) = i["metadata"]["namespace"].as_str() {
                assert_eq!(r["resources"][0]["namespace"], ns);
            }
            // Properties are a string map, as the CRD requires.
            assert!(
                r["properties"]
                    .as_object()
                    .unwrap()
                    .values()
                    .all(|x| x.is_string())
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_reports_writes_them_to_the_cluster() {
    use kubeward_cluster::fake::{FakeApiServer, FakeAuth, FakeCluster};
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"containers": [{"name": "a", "image": "nginx", "securityContext": {"privileged": true}}]},
    });
    let server = FakeApiServer::start(FakeCluster::new(vec![pod])).await;
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(&kc, server.kubeconfig(FakeAuth::Token)).unwrap();
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .args(["scan", "--kubeconfig"])
        .arg(&kc)
        .args([
            "--apply-reports",
            "--fail-on",
            "none",
            "--timeout",
            "30s",
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("applied "), "{stderr}");
    let applied = server.applied();
    let (path, report) = applied
        .iter()
        .find(|(p, _)| p.ends_with("/namespaces/shop/policyreports/kubeward"))
        .expect("shop report applied");
    assert!(path.starts_with("/apis/wgpolicyk8s.io/v1alpha2/"));
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["policy"] == "KW-PSS-003" && r["result"] == "fail")
    );
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.method == "PATCH")
            .all(|r| r.query.contains("fieldManager=kubeward") && r.status == 200)
    );
    // Without a cluster there is nothing to write to.
    Command::cargo_bin("kubeward")
        .unwrap()
        .current_dir(root())
        .args(["scan", "examples/insecure-app", "--apply-reports"])
        .assert()
        .code(2);
}
