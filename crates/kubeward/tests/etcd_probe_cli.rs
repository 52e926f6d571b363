//! `kubeward etcd verify`, `kubeward probe`, and the EncryptionConfiguration / audit Policy
//! rules under plain `kubeward scan`. (etcd verify against a real etcd is tested in
//! kubeward-etcd.)

use assert_cmd::Command;
use serde_json::Value;
use std::io::{Read, Write};

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.env("NO_COLOR", "1");
    c
}

#[test]
fn scan_checks_encryption_configuration_and_audit_policy_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("encryption.yaml"),
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n\
         - resources: [secrets]\n  providers:\n  - identity: {}\n  - aescbc:\n      keys:\n      - name: k1\n        secret: c2VjcmV0LWtleS0zMi1ieXRlcy1sb25nLWV4YWN0bHk=\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("audit-policy.yaml"),
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n  resources: [{group: '', resources: [secrets]}]\n- level: None\n",
    )
    .unwrap();
    let out = kubeward()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    for id in [
        "KW-CP-101",
        "KW-MON-002",
        "KW-MON-003",
        "KW-MON-004",
        "KW-MON-007",
    ] {
        assert!(ids.contains(&id), "{id} missing: {ids:?}");
    }
    // The key in the file is never quoted, in JSON or in text (which shows source lines).
    assert!(!String::from_utf8_lossy(&out.stdout).contains("c2VjcmV0"));
    let text = kubeward()
        .args(["scan", "--no-config", "--format", "text"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("KW-CP-101") && !text.contains("c2VjcmV0"),
        "{text}"
    );
}

#[test]
fn probe_reports_a_read_only_kubelet_and_emits_firewall_rules() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().take(4) {
            let Ok(mut s) = s else { return };
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        }
    });
    let out = kubeward()
        .args([
            "probe",
            "127.0.0.1",
            "--services",
            "kubelet-read-only",
            "--format",
            "json",
        ])
        .args([
            "--port-map",
            &format!("127.0.0.1:{port}=kubelet-read-only"),
            "--timeout",
            "3000",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["probed"], 1);
    assert_eq!(r["answers"][0]["state"], "http");
    assert_eq!(r["report"]["findings"][0]["rule_id"], "KW-NODE-303");

    let out = kubeward()
        .args([
            "probe",
            "node-1",
            "--emit",
            "nftables",
            "--role",
            "control-plane",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("table inet kubeward"));
    let out = kubeward()
        .args(["probe", "node-1", "--emit", "security-group"])
        .output()
        .unwrap();
    let sg: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sg["groups"][1]["name"], "worker");

    // A port map for a host that is not a target is refused.
    let out = kubeward()
        .args(["probe", "127.0.0.1", "--port-map", "10.0.0.1:1=etcd"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn etcd_verify_unreachable_is_an_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = kubeward()
        .args([
            "etcd",
            "verify",
            "--endpoints",
            &format!("http://127.0.0.1:{port}"),
            "--timeout",
            "2",
        ])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
