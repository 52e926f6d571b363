//! `kubeward netpol`: inputs like `scan`, exit codes, formats, and the suggest round trip
//! through the binary.

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
fn connections_of_the_hardened_example() {
    kw().args(["netpol", "connections", "examples/hardened-app"])
        .assert()
        .success()
        .stdout("shop/web[Deployment] => shop/orders-api[Deployment] : TCP 8080\n")
        .stderr(predicate::str::contains("assumed to exist with only the label kubernetes.io/metadata.name: ingress-nginx, kube-system"));
    kw().args([
        "netpol",
        "connections",
        "examples/hardened-app",
        "--format",
        "csv",
    ])
    .assert()
    .success()
    .stdout("src,dst,conn\nshop/web[Deployment],shop/orders-api[Deployment],TCP 8080\n");
    kw().args([
        "netpol",
        "connections",
        "examples/hardened-app",
        "-f",
        "dot",
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains("subgraph \"cluster_shop\""));
}

#[test]
fn stdin_like_scan() {
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: x}\nspec: {template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i}]}}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b, namespace: x}\nspec: {template: {metadata: {labels: {app: b}}, spec: {containers: [{name: c, image: i}]}}}\n";
    kw().args(["netpol", "connections", "-", "-f", "json"])
        .write_stdin(yaml)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"src\": \"x/a[Deployment]\""));
}

#[test]
fn invalid_policy_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    std::fs::write(
        &f,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - {}\n",
    )
    .unwrap();
    kw().args(["netpol", "connections"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.yaml:8:7: NetworkPolicy x/p: a peer must set",
        ));
    // Broken YAML too.
    std::fs::write(&f, "kind: [\n").unwrap();
    kw().args(["netpol", "exposure"]).arg(&f).assert().code(2);
}

#[test]
fn explain_and_exposure() {
    kw().args(["netpol", "explain", "shop/web", "shop/orders-api[Deployment]", "--port", "8080/tcp", "examples/hardened-app"])
        .assert()
        .success()
        .stdout(predicate::str::contains("TCP 8080: ALLOWED"))
        .stdout(predicate::str::contains("NetworkPolicy shop/orders-api-from-web ingress rule #1 (examples/hardened-app/network-policy.yaml:"));
    // The exit code follows the answer: denied is 1, as `rbac can` says no with 1.
    kw().args([
        "netpol",
        "explain",
        "shop/orders-api[Deployment]",
        "shop/web",
        "--port",
        "8080/tcp",
        "examples/hardened-app",
    ])
    .assert()
    .code(1)
    .stdout(predicate::str::contains("TCP 8080: DENIED"));
    kw().args([
        "netpol",
        "explain",
        "shop/nope",
        "shop/web",
        "examples/hardened-app",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains("no workload `shop/nope`"));
    kw().args(["netpol", "exposure", "examples/hardened-app", "-f", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "\"workload\": \"shop/web[Deployment]\"",
        ));
}

#[test]
fn suggest_round_trip_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    // Wanted: what the hardened example allows today, plus the outside reaching web.
    let out = kw()
        .args([
            "netpol",
            "connections",
            "examples/hardened-app",
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    let mut flows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    flows.push(serde_json::json!({"src": "0.0.0.0-255.255.255.255[External]", "dst": "shop/web[Deployment]", "conn": "TCP 8080"}));
    let flows_file = dir.path().join("flows.json");
    std::fs::write(&flows_file, serde_json::to_string(&flows).unwrap()).unwrap();
    let sg = kw()
        .args(["netpol", "suggest", "examples/hardened-app", "--flows"])
        .arg(&flows_file)
        .output()
        .unwrap();
    assert!(
        sg.status.success(),
        "{}",
        String::from_utf8_lossy(&sg.stderr)
    );
    assert!(
        String::from_utf8_lossy(&sg.stderr)
            .contains("kubeward finds exactly the 2 wanted connections")
    );
    // Inventory without its policies + the suggestion gives the wanted connections.
    let inv = dir.path().join("inv");
    std::fs::create_dir(&inv).unwrap();
    for e in std::fs::read_dir(root().join("examples/hardened-app")).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap() != "network-policy.yaml" {
            std::fs::copy(&p, inv.join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(inv.join("suggested.yaml"), &sg.stdout).unwrap();
    kw().args(["netpol", "connections"])
        .arg(&inv)
        .assert()
        .success()
        // The ingress controller is admitted by the suggested 0.0.0.0/0 peer.
        .stdout("0.0.0.0-255.255.255.255[External] => shop/web[Deployment] : TCP 8080\nshop/web[Deployment] => shop/orders-api[Deployment] : TCP 8080\n{ingress-controller} => shop/web[Deployment] : TCP 8080\n");
    // The outside reaching web is reported (medium), nothing fails the default threshold.
    kw().args(["scan"])
        .arg(&inv)
        .assert()
        .success()
        .stdout(predicate::str::contains("KW-NET-112"));
    // Without flows: refused, with what to give instead.
    let refused = kw()
        .args(["netpol", "suggest", "examples/hardened-app"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--flows"));
    // --from-services: Services decide; the result scans without any finding.
    let sg = kw()
        .args([
            "netpol",
            "suggest",
            "examples/hardened-app",
            "--from-services",
        ])
        .output()
        .unwrap();
    assert!(sg.status.success());
    std::fs::write(inv.join("suggested.yaml"), &sg.stdout).unwrap();
    kw().args(["scan"])
        .arg(&inv)
        .assert()
        .success()
        .stdout(predicate::str::contains("0 findings"));
}

#[test]
fn ipblock_matches_pods_from_flag_or_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: server, namespace: x, labels: {app: s}}\nspec: {containers: [{name: c, image: i}]}\nstatus: {podIP: 10.0.0.7}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: client, namespace: x, labels: {app: c}}\nspec: {containers: [{name: c, image: i}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n  podSelector: {matchLabels: {app: c}}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/24}}]}]\n",
    )
    .unwrap();
    let line = "x/client[Pod] => x/server[Pod] : All Connections";
    kw().args(["netpol", "connections", "--no-config"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(line).not());
    kw().args([
        "netpol",
        "connections",
        "--ipblock-matches-pods",
        "--no-config",
    ])
    .arg(dir.path())
    .assert()
    .success()
    .stdout(predicate::str::contains(line));
    std::fs::write(
        dir.path().join(".kubeward.yaml"),
        "settings:\n  ipblock_matches_pods: true\n",
    )
    .unwrap();
    kw().args(["netpol", "connections"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(line));
}

#[test]
fn suggest_from_services_never_opens_a_closed_connection() {
    // api and web share a namespace with a Service for each; the input's policy lets only web
    // reach api. Deriving from Services would add api -> web: it must stay closed.
    let dir = tempfile::tempdir().unwrap();
    let dep = |name: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: s}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: i, ports: [{{containerPort: 8080}}]}}]}}\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: s}}\nspec: {{selector: {{app: {name}}}, ports: [{{port: 80, targetPort: 8080}}]}}\n---\n"
        )
    };
    let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: only-web-to-api, namespace: s}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n";
    std::fs::write(
        dir.path().join("m.yaml"),
        format!("{}{}{policy}", dep("api"), dep("web")),
    )
    .unwrap();
    let out = kw()
        .args(["netpol", "suggest", "--no-config", "--from-services"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("never opens a closed connection"), "{err}");
    assert!(err.contains("exactly the 1 wanted connection"), "{err}");
    // The suggestion, in place of the input's policy, allows web -> api only.
    let inv = dir.path().join("after");
    std::fs::create_dir(&inv).unwrap();
    std::fs::write(inv.join("m.yaml"), format!("{}{}", dep("api"), dep("web"))).unwrap();
    std::fs::write(inv.join("suggested.yaml"), &out.stdout).unwrap();
    let conns = kw()
        .args(["netpol", "connections", "--no-config"])
        .arg(&inv)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&conns.stdout);
    assert!(
        text.contains("s/web[Deployment] => s/api[Deployment] : TCP 8080"),
        "{text}"
    );
    assert!(
        !text.contains("s/api[Deployment] => s/web[Deployment]"),
        "{text}"
    );
}

#[test]
fn ingress_controller_from_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  defaultBackend: {service: {name: web, port: {number: 80}}}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]\n",
    )
    .unwrap();
    let line = "{ingress-controller} => shop/web[Deployment] : TCP 8080\n";
    // Unknown location: a peer naming one namespace does not admit the controller.
    kw().args(["netpol", "connections", "--no-config"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("{ingress-controller}").not());
    std::fs::write(
        dir.path().join(".kubeward.yaml"),
        "settings:\n  ingress_controller:\n    namespace: ingress-nginx\n    labels: {app.kubernetes.io/name: ingress-nginx}\n",
    )
    .unwrap();
    kw().args(["netpol", "connections"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(line));
    kw().args(["netpol", "connections", "-f", "json"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "\"src\": \"{ingress-controller}\",\n    \"dst\": \"shop/web[Deployment]\",\n    \"conn\": \"TCP 8080\"",
        ));
    kw().args(["netpol", "exposure"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("ingress controller: TCP 8080"));
}
