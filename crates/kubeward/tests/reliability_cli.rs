//! Hostile input and faults, end to end: closed and full standard output, diagnostics on
//! standard error, unreadable inputs, folder walks, coverage gaps.

use assert_cmd::Command;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn raw() -> std::process::Command {
    let mut c = std::process::Command::new(bin());
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("kubeward")
}

/// Runs the binary with standard output a pipe whose reader goes away after one byte
/// (`| head -c1`); returns the exit code and standard error.
fn closed_stdout(args: &[&str]) -> (i32, String) {
    let mut child = std::process::Command::new(bin())
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    out.read_exact(&mut one).unwrap();
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code().expect("exited, not killed by a signal"), err)
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_usual_status() {
    // The rule list in JSON is larger than a pipe's buffer, so the write does fail.
    let (code, err) = closed_stdout(&["rules", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.is_empty(), "{err}");
    let (code, err) = closed_stdout(&["rules", "--format", "markdown"]);
    assert_eq!((code, err.as_str()), (0, ""));
    // scan's usual status on the insecure example is 1 (findings).
    let (code, err) = closed_stdout(&[
        "scan",
        "examples/insecure-app",
        "--no-config",
        "--format",
        "sarif",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_report_that_cannot_be_written_is_an_error() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full");
        return;
    }
    for format in ["text", "json", "sarif", "junit"] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = raw()
            .args([
                "scan",
                "examples/hardened-app",
                "--no-config",
                "--format",
                format,
            ])
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}: {err}");
        assert!(err.contains("cannot write"), "{format}: {err}");
    }
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = raw()
        .args(["rules", "--format", "json"])
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // --output to a full device as well.
    let out = kubeward()
        .args([
            "scan",
            "examples/hardened-app",
            "--no-config",
            "--output",
            "json=/dev/full",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/dev/full"));
}

#[test]
fn diagnostics_go_to_stderr_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: v1\nkind: [\n").unwrap();
    for format in ["text", "json", "sarif", "junit"] {
        let out = kubeward()
            .args(["scan", "--no-config", "--format", format])
            .arg(&bad)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(
            stderr.contains("bad.yaml:3:") && stderr.contains("invalid YAML"),
            "{format}: {stderr}"
        );
        if format == "text" {
            assert!(!stdout.contains("invalid YAML"), "{stdout}");
        }
    }
}

mod coverage {
    use super::*;
    use kubeward_cluster::fake::{FakeApiServer, FakeAuth, FakeCluster, FaultKind};
    use serde_json::{Value, json};

    fn objects() -> Vec<Value> {
        vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "securityContext": {"privileged": true}}]}}),
        ]
    }

    /// A cluster whose credentials may list no workload kind.
    fn no_workloads() -> FakeCluster {
        let mut c = FakeCluster::new(objects());
        for (g, r) in [
            ("", "pods"),
            ("apps", "deployments"),
            ("apps", "daemonsets"),
            ("apps", "statefulsets"),
            ("apps", "replicasets"),
            ("batch", "jobs"),
            ("batch", "cronjobs"),
        ] {
            c = c.forbid(g, r, None);
        }
        c
    }

    fn scan(kc: &Path, extra: &[&str]) -> std::process::Output {
        raw()
            .args(["scan", "--no-config", "--timeout", "30s", "--kubeconfig"])
            .arg(kc)
            .args(extra)
            .output()
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn missing_coverage_fails_the_run_unless_allowed() {
        let server = FakeApiServer::start(no_workloads()).await;
        let dir = tempfile::tempdir().unwrap();
        let kc = dir.path().join("kubeconfig");
        std::fs::write(&kc, server.kubeconfig(FakeAuth::Token)).unwrap();

        let out = scan(&kc, &["--fail-on", "info", "--format", "json"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("--allow-partial"), "{err}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["summary"]["coverage_gaps"], 7, "{report}");
        let unknown: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "KW-CP-001")
            .collect();
        assert!(unknown.iter().any(|f| {
            f["status"] == "unknown" && f["message"].as_str().unwrap().contains("pods")
        }));

        let out = scan(&kc, &["--format", "sarif"]);
        assert_eq!(out.status.code(), Some(2));
        let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            sarif["runs"][0]["invocations"][0]["executionSuccessful"],
            false
        );

        let out = scan(&kc, &["--format", "junit"]);
        assert_eq!(out.status.code(), Some(2));
        let xml = String::from_utf8_lossy(&out.stdout);
        // A rule that found nothing did not run on the pods: not a pass.
        assert!(
            xml.contains("classname=\"KW-PSS-003\" name=\"not run on the whole cluster\"")
                && xml.contains("<error message="),
            "{xml}"
        );
        assert!(!xml.contains("name=\"no findings\""), "{xml}");

        // Accepted: the findings decide.
        let out = scan(
            &kc,
            &["--allow-partial", "--fail-on", "none", "--format", "json"],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fault_mid_listing_is_partial_coverage_never_a_clean_result() {
        let server = FakeApiServer::start(FakeCluster::new(objects()).fault(
            "",
            "pods",
            0,
            FaultKind::Reset,
            1,
        ))
        .await;
        let dir = tempfile::tempdir().unwrap();
        let kc = dir.path().join("kubeconfig");
        std::fs::write(&kc, server.kubeconfig(FakeAuth::Token)).unwrap();
        let out = scan(&kc, &["--fail-on", "none", "--format", "json"]);
        assert_eq!(out.status.code(), Some(2));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        // The namespace was read; the pods were not, and KW-CP-001 says so.
        assert_eq!(report["summary"]["objects_by_kind"]["Namespace"], 1);
        assert!(report["summary"]["objects_by_kind"]["Pod"].is_null());
        let cp: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "KW-CP-001" && f["status"] == "unknown")
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        assert!(
            cp.iter()
                .any(|m| m.contains("list pods") && m.contains("the listing failed")),
            "{cp:?}"
        );
        let out = scan(&kc, &["--fail-on", "none", "--allow-partial"]);
        assert_eq!(out.status.code(), Some(0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_exec_plugin_is_never_echoed_into_a_report() {
        let server = FakeApiServer::start(FakeCluster::new(objects())).await;
        let dir = tempfile::tempdir().unwrap();
        let kc = dir.path().join("kubeconfig");
        let base = server.kubeconfig(FakeAuth::Token);
        let start = base.find("  user:\n").unwrap() + "  user:\n".len();
        let end = base.find("contexts:").unwrap();
        let exec = "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      interactiveMode: Never\n      command: /bin/sh\n      args: [-c, \"echo '{\\\"status\\\":{\\\"token\\\":\\\"stdout-token-2718281828\\\"}}'; exit 1\"]\n      env:\n      - name: PLUGIN_SECRET\n        value: env-secret-3141592653\n";
        std::fs::write(&kc, format!("{}{exec}{}", &base[..start], &base[end..])).unwrap();
        for format in ["text", "json", "sarif", "junit"] {
            let out = scan(&kc, &["--format", format]);
            assert_eq!(out.status.code(), Some(2));
            for stream in [&out.stdout, &out.stderr] {
                let t = String::from_utf8_lossy(stream);
                assert!(!t.contains("stdout-token-2718281828"), "{format}: {t}");
                assert!(!t.contains("env-secret-3141592653"), "{format}: {t}");
            }
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("exec credential plugin `sh` failed"),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
