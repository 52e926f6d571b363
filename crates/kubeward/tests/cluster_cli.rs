//! The cluster commands end to end: `scan --kubeconfig` against the in-process fake API
//! server, `snapshot -o`, an offline `scan FILE.kwsnap`, and `kubeconfig` hygiene without
//! ever printing a credential.

use assert_cmd::Command;
use kubeward_cluster::fake::{FakeApiServer, FakeAuth, FakeCluster};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;

fn kubeward() -> Command {
    Command::cargo_bin("kubeward").unwrap()
}

fn fixture_objects() -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "kube-apiserver-cp1", "namespace": "kube-system"},
            "spec": {"containers": [{"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.33.1",
                "command": ["kube-apiserver", "--authorization-mode=AlwaysAllow", "--anonymous-auth=true"]}]}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "securityContext": {"privileged": true}}]}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"},
            "data": {"password": "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"}}),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "worker1"},
            "status": {"addresses": [{"type": "ExternalIP", "address": "34.140.1.20"}], "nodeInfo": {"kubeletVersion": "v1.33.1"}}}),
    ]
}

fn fingerprints(json_out: &[u8]) -> BTreeSet<(String, String)> {
    let v: Value = serde_json::from_slice(json_out).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["fingerprint"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_a_cluster_snapshot_it_and_scan_the_snapshot_offline() {
    let server = FakeApiServer::start(FakeCluster::new(fixture_objects())).await;
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(&kc, server.kubeconfig(FakeAuth::Token)).unwrap();

    let live = kubeward()
        .args(["scan", "--kubeconfig"])
        .arg(&kc)
        .args(["--format", "json", "--timeout", "30s"])
        .output()
        .unwrap();
    assert_eq!(
        live.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    let report: Value = serde_json::from_slice(&live.stdout).unwrap();
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "KW-PSS-003")
        .expect("privileged pod found through the API");
    assert_eq!(f["resource"]["cluster"], "fake");
    assert_eq!(f["location"]["origin"], "cluster");
    assert!(f["location"]["file"].is_null());
    let rules: BTreeSet<String> = fingerprints(&live.stdout)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    for r in ["KW-CP-002", "KW-CP-003", "KW-NODE-003"] {
        assert!(rules.contains(r), "{r} missing: {rules:?}");
    }
    assert!(!String::from_utf8_lossy(&live.stdout).contains("c3VwZXItc2VjcmV0"));

    // The text summary says where the objects came from (it used to say "in 0 files").
    let text = kubeward()
        .args(["scan", "--kubeconfig"])
        .arg(&kc)
        .args(["--timeout", "30s"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("5 objects from cluster context fake"),
        "{text}"
    );
    assert!(!text.contains("in 0 files"), "{text}");

    let snap = dir.path().join("cluster.kwsnap");
    let out = kubeward()
        .args(["snapshot", "--cluster", "--kubeconfig"])
        .arg(&kc)
        .arg("-o")
        .arg(&snap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    // 4 listed objects and the node's kubelet configuration (its /configz).
    assert!(said.contains("5 objects from context fake"), "{said}");
    // A small snapshot's size is shown in a unit that shows it, not as "0.0 MiB".
    assert!(!said.contains("0.0 MiB"), "{said}");
    assert!(said.contains(" KiB)") || said.contains(" bytes)"), "{said}");
    drop(server);

    let offline = kubeward()
        .arg("scan")
        .arg(&snap)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        offline.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&offline.stderr)
    );
    assert_eq!(fingerprints(&live.stdout), fingerprints(&offline.stdout));
    let report: Value = serde_json::from_slice(&offline.stdout).unwrap();
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "KW-PSS-003")
        .unwrap();
    assert_eq!(f["location"]["origin"], "snapshot");

    // The cluster is gone: scanning it again is an input error, not a crash.
    let gone = kubeward()
        .args(["scan", "--kubeconfig"])
        .arg(&kc)
        .args(["--timeout", "5s"])
        .output()
        .unwrap();
    assert_eq!(gone.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_contexts_scans_each_cluster_on_its_own() {
    let a = FakeApiServer::start(FakeCluster::new(fixture_objects())).await;
    let b = FakeApiServer::start(FakeCluster::new(vec![fixture_objects()[1].clone()])).await;
    // One kubeconfig with two contexts.
    let ka = a.kubeconfig(FakeAuth::Token);
    let kb = b
        .kubeconfig(FakeAuth::Token)
        .replace("name: fake", "name: other")
        .replace("cluster: fake", "cluster: other")
        .replace("current-context: fake", "current-context: other")
        .replace("scanner", "scanner-b");
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::write(&pa, ka).unwrap();
    std::fs::write(&pb, kb).unwrap();
    let out = kubeward()
        .env("KUBECONFIG", format!("{}:{}", pa.display(), pb.display()))
        .args(["scan", "--all-contexts", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let clusters: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "KW-PSS-003")
        .filter_map(|f| f["resource"]["cluster"].as_str())
        .collect();
    assert_eq!(clusters, BTreeSet::from(["fake", "other"]));
    // 5 listed objects and the kubelet configuration (/configz) of the one node.
    assert_eq!(report["summary"]["objects"], 6);
}

const TOKEN: &str = "tok-9f8e7d6c5b4a39281706";
const KEY: &str = "S0VZLU1BVEVSSUFMLWRvLW5vdC1wcmludA==";
const PASSWORD: &str = "pw-hunter2-never-shown";

fn leaky_kubeconfig(dir: &Path) -> std::path::PathBuf {
    // Flow style puts the credential on the same line as the key a finding points at.
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://10.0.0.1:6443', insecure-skip-tls-verify: true}}\nusers:\n- {{name: a, user: {{token: {TOKEN}}}}}\n- name: b\n  user: {{client-certificate-data: Zm9v, client-key-data: {KEY}}}\n- name: c\n  user:\n    username: admin\n    password: {PASSWORD}\n- {{name: d, user: {{token: {TOKEN}}}}}\ncontexts:\n- {{name: x, context: {{cluster: c, user: a}}}}\n"
    );
    let p = dir.join("config.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn credentials_never_appear_in_any_output_format() {
    let dir = tempfile::tempdir().unwrap();
    let p = leaky_kubeconfig(dir.path());
    for cmd in ["kubeconfig", "scan"] {
        for format in ["text", "json", "sarif", "junit"] {
            let out = kubeward()
                .arg(cmd)
                .arg(&p)
                .args(["--format", format])
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(1),
                "{cmd} {format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            for secret in [TOKEN, KEY, PASSWORD] {
                assert!(
                    !all.contains(secret),
                    "{cmd} --format {format} printed a credential:\n{all}"
                );
            }
            assert!(all.contains("KW-KCFG-001"), "{cmd} {format}");
        }
    }
}

#[cfg(unix)]
#[test]
fn file_mode_and_owner_are_checked() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("config");
    std::fs::write(
        &p,
        "apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: u\n  user:\n    token: t\ncontexts: []\n",
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = kubeward()
        .arg("kubeconfig")
        .arg(&p)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mode_finding = |v: &Value| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == "KW-KCFG-004")
            .cloned()
    };
    let f = mode_finding(&v).expect("KW-KCFG-004");
    assert!(f["message"].as_str().unwrap().contains("0640"), "{f}");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = kubeward()
        .arg("kubeconfig")
        .arg(&p)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(mode_finding(&v).is_none(), "{v}");
    // Not a kubeconfig: an input error.
    let m = dir.path().join("m.yaml");
    std::fs::write(&m, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n").unwrap();
    kubeward().arg("kubeconfig").arg(&m).assert().code(2);
}

#[test]
fn default_kubeconfig_comes_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let p = leaky_kubeconfig(dir.path());
    let out = kubeward()
        .arg("kubeconfig")
        .env("KUBECONFIG", &p)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = kubeward()
        .arg("kubeconfig")
        .env_remove("KUBECONFIG")
        .env("HOME", dir.path().join("nowhere"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no kubeconfig found"));
}

#[test]
fn folder_scans_find_kubeconfigs_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let kc = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'http://10.0.0.1:8080'}\nusers:\n- {name: a, user: {}}\ncontexts:\n- {name: x, context: {cluster: c, user: a}}\n";
    std::fs::write(dir.path().join("admin.conf"), kc).unwrap();
    std::fs::create_dir(dir.path().join(".kube")).unwrap();
    std::fs::write(
        dir.path().join("notes"),
        "kind: Config is mentioned in prose\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("Makefile"), "all:\n\techo hi\n").unwrap();
    std::fs::write(dir.path().join("binary.cfg"), [0u8, 159, 146, 150]).unwrap();
    let out = kubeward()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json", "--no-config"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let rules: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["resource"]["kind"] == "Config")
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains("KW-KCFG-003"),
        "plain-http server found: {report}"
    );
    assert_eq!(
        report["summary"]["files"], 1,
        "only admin.conf is read: {report}"
    );
}
