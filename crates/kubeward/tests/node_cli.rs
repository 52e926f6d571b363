//! `kubeward node --root DIR` on a fake node root built by the test.

use assert_cmd::Command;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn write(root: &Path, p: &str, text: &str, mode: u32) {
    let f = root.join(p.trim_start_matches('/'));
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    std::fs::write(&f, text).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn fake_node(read_only_port: u16) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "/etc/hostname", "worker-7\n", 0o644);
    write(
        r,
        "/proc/321/cmdline",
        &format!(
            "/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml\0--kubeconfig=/etc/kubernetes/kubelet.conf\0--read-only-port={read_only_port}\0"
        ),
        0o444,
    );
    write(
        r,
        "/var/lib/kubelet/config.yaml",
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\nrotateCertificates: true\nserverTLSBootstrap: true\nseccompDefault: true\nprotectKernelDefaults: true\ntlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n",
        0o600,
    );
    write(
        r,
        "/etc/kubernetes/kubelet.conf",
        "apiVersion: v1\nkind: Config\n",
        0o600,
    );
    write(r, "/etc/kubernetes/pki/ca.crt", "x", 0o644);
    d
}

#[test]
fn text_output_has_the_cis_summary_and_origins() {
    let d = fake_node(10255);
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .args(["node", "--root"])
        .arg(d.path())
        .arg("--kubernetes-version=v1.33.2")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with(
            "node worker-7 (kubeadm layout, Kubernetes v1.33.2, kubelet from process 321)"
        ),
        "{text}"
    );
    assert!(
        text.contains("readOnlyPort: 10255  # flag --read-only-port=10255 (/proc/321/cmdline)"),
        "{text}"
    );
    assert!(
        text.contains("CIS Kubernetes Benchmark summary (cis-1.12)"),
        "{text}"
    );
    let kubelet = text.lines().find(|l| l.starts_with("4.2 ")).unwrap();
    let nums: Vec<usize> = kubelet
        .split_whitespace()
        .rev()
        .take(4)
        .map(|n| n.parse().unwrap())
        .collect();
    // INFO, WARN, FAIL, PASS (reversed): the read-only port fails, the other 12 checks pass.
    assert_eq!(nums, vec![0, 0, 1, 12], "{kubelet}");
    let files = text.lines().find(|l| l.starts_with("4.1 ")).unwrap();
    assert!(files.contains("Worker Node Configuration Files"), "{files}");
}

#[test]
fn json_output_and_clean_exit() {
    let d = fake_node(0);
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .args(["node", "--format", "json", "--fail-on", "high", "--root"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    // The CA file is world-readable: a medium finding on its HostFile fact.
    let ca = findings
        .iter()
        .find(|f| f["rule_id"] == "KW-NODE-203")
        .expect("KW-NODE-203");
    assert!(
        ca["message"]
            .as_str()
            .unwrap()
            .contains("/etc/kubernetes/pki/ca.crt")
    );
    assert_eq!(ca["references"]["cis"], "4.1.7 (cis-1.12)");
    assert!(findings.iter().all(|f| f["rule_id"] != "KW-NODE-104"));
}

#[test]
fn not_a_node() {
    let d = tempfile::tempdir().unwrap();
    Command::cargo_bin("kubeward")
        .unwrap()
        .args(["node", "--root"])
        .arg(d.path())
        .assert()
        .code(2);
}

#[test]
fn the_daemonset_passes_its_own_scan_with_every_exception_explained() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/node-daemonset.yaml"
    );
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .args(["scan", "--no-config", "--format", "json", path])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{}", v["errors"]);
    for f in v["findings"].as_array().unwrap() {
        if f["status"] != "fail" {
            continue;
        }
        let reason = f["suppressed"]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.len() > 40,
            "{} is not suppressed with a reason",
            f["rule_id"]
        );
    }
    // What the header promises.
    let text = std::fs::read_to_string(path).unwrap();
    assert!(!text.contains("hostPID: true") && !text.contains("privileged: true"));
    assert!(!text.contains("/var/lib/etcd\n") && !text.contains("path: /var/lib/kubelet,"));
    let mounts = text.matches("readOnly: true").count();
    assert_eq!(
        mounts,
        text.matches("hostPath: {path:").count(),
        "every host mount is read-only"
    );
}
