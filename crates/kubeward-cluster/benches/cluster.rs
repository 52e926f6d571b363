//! Cluster-source benchmark (a command, not criterion: one run is minutes of wall clock).
//!
//! `cargo bench -p kubeward-cluster --bench cluster` generates a 10,000-pod cluster (about
//! 40,000 objects), serves it from the in-process fake API server, and measures:
//! 1. list (discovery + paginated lists) and analyse (every rule + the report), in process;
//! 2. the `kubeward` release binary scanning the same server (`scan --kubeconfig`), with its
//!    peak RSS from `/usr/bin/time -v` (build it first: `cargo build --release`);
//! 3. writing and loading a 100,000-object snapshot.
//!
//! `KUBEWARD_BENCH_PODS=N` changes the size.

use kubeward_cluster::fake::{FakeApiServer, FakeAuth, FakeCluster};
use kubeward_cluster::{ClusterOptions, add_to, read_cluster_async, snapshot};
use kubeward_core::config::Config;
use kubeward_core::engine::{Engine, engine_rules};
use kubeward_core::input::Loaded;
use kubeward_core::{Node, Registry};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn pod(ns: &str, app: &str, i: usize, node: usize) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": format!("{app}-7d9f8c6b5-{i:05x}"), "namespace": ns,
            "uid": format!("0f1e2d3c-4b5a-6978-8a9b-{i:012x}"), "resourceVersion": "123456",
            "creationTimestamp": "2026-11-01T10:00:00Z",
            "labels": {"app.kubernetes.io/name": app, "pod-template-hash": "7d9f8c6b5", "team": ns},
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-01T10:00:00Z", "prometheus.io/scrape": "true"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-7d9f8c6b5"), "uid": "x", "controller": true}],
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {"f:containers": {}}}}]
        },
        "spec": {
            "serviceAccountName": app, "nodeName": format!("node-{node}"),
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": app, "image": format!("registry.example.com/shop/{app}:1.{i}"),
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": format!("{app}-db"), "key": "password"}}}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
                "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}],
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10},
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5}
            }],
            "volumes": [{"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}, {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
        },
        "status": {
            "phase": "Running", "podIP": format!("10.244.{}.{}", i / 250 % 250, i % 250), "hostIP": format!("10.0.{}.{}", node / 250, node % 250),
            "conditions": [{"type": "Ready", "status": "True"}, {"type": "ContainersReady", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": app, "ready": true, "restartCount": 0, "image": format!("registry.example.com/shop/{app}:1.{i}"), "imageID": "registry.example.com/shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "containerID": "containerd://abcdef", "started": true, "state": {"running": {"startedAt": "2026-11-01T10:00:05Z"}}}]
        }
    })
}

/// A cluster with `pods` pods: per app of 4 replicas a Deployment, ReplicaSet, Service,
/// Endpoints, HorizontalPodAutoscaler, ConfigMap, Secret, ServiceAccount, Role, RoleBinding,
/// NetworkPolicy and PodDisruptionBudget; nodes and namespaces.
fn corpus(pods: usize) -> Vec<Value> {
    let apps = pods.div_ceil(4);
    let nodes = (pods / 100).max(3);
    let mut v = Vec::with_capacity(pods * 4);
    for n in 0..nodes {
        v.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": format!("node-{n}"), "labels": {"kubernetes.io/os": "linux"}},
            "status": {"addresses": [{"type": "InternalIP", "address": format!("10.0.{}.{}", n / 250, n % 250)}], "nodeInfo": {"kubeletVersion": "v1.33.1"}}}));
    }
    let mut pod_no = 0;
    for a in 0..apps {
        let ns = format!("team-{}", a % 50);
        let app = format!("svc-{a}");
        if a < 50 {
            v.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}));
        }
        let labels = json!({"app.kubernetes.io/name": app});
        let template = pod(&ns, &app, a, 0);
        v.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": app, "namespace": ns, "labels": labels},
            "spec": {"replicas": 4, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": template["spec"]}}}));
        v.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": format!("{app}-7d9f8c6b5"), "namespace": ns, "labels": labels},
            "spec": {"replicas": 4, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": template["spec"]}}}));
        for _ in 0..4 {
            if pod_no < pods {
                v.push(pod(&ns, &app, pod_no, pod_no % nodes));
                pod_no += 1;
            }
        }
        v.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns}, "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}}));
        v.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("{app}-config"), "namespace": ns}, "data": {"config.yaml": "log: info\n"}}));
        v.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("{app}-db"), "namespace": ns}, "type": "Opaque", "data": {"password": "c2VjcmV0"}}));
        v.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": app, "namespace": ns}, "automountServiceAccountToken": false}));
        v.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": app, "namespace": ns}, "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}));
        v.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": app, "namespace": ns}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": app}, "subjects": [{"kind": "ServiceAccount", "name": app, "namespace": ns}]}));
        v.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": app, "namespace": ns}, "spec": {"podSelector": {"matchLabels": labels}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]}}));
        v.push(json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": app, "namespace": ns}, "subsets": [{"addresses": [{"ip": "10.244.0.1"}], "ports": [{"port": 8080}]}]}));
        v.push(json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": app, "namespace": ns}, "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app}, "minReplicas": 4, "maxReplicas": 8}}));
        v.push(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": app, "namespace": ns}, "spec": {"minAvailable": 2, "selector": {"matchLabels": labels}}}));
    }
    v
}

fn registry() -> Registry {
    let mut r = Registry::new();
    r.extend(engine_rules());
    r.extend(kubeward_rules::rules());
    r.extend(kubeward_analysis::rules());
    r
}

fn analyse(loaded: &Loaded) -> (usize, Duration) {
    let t = Instant::now();
    let reg = registry();
    let config = Config::default();
    let out = Engine {
        registry: &reg,
        config: &config,
    }
    .run(&loaded.inventory, &loaded.duplicates, None);
    let report = kubeward_core::report::build(
        &loaded.inventory,
        out.findings,
        vec![],
        vec![],
        &loaded.stats,
    );
    (report.findings.len(), t.elapsed())
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` probes; nothing to list.
    }
    let pods: usize = std::env::var("KUBEWARD_BENCH_PODS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let objects = corpus(pods);
    let n = objects.len();
    println!("corpus: {pods} pods, {n} objects");
    let server = rt.block_on(FakeApiServer::start(FakeCluster::new(objects)));
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(&kc, server.kubeconfig(FakeAuth::Token)).unwrap();
    let opts = ClusterOptions {
        kubeconfig: Some(kc.clone()),
        timeout: Duration::from_secs(300),
        ..ClusterOptions::default()
    };
    let rss_server = peak_rss_mib();

    let t = Instant::now();
    let collected = rt.block_on(read_cluster_async(&opts)).expect("list");
    let list = t.elapsed();
    let listed = collected.objects.len();
    let (info, discovery, objs) = (collected.info, collected.discovery, collected.objects);
    let snap40 = dir.path().join("c40.kwsnap");
    let t = Instant::now();
    snapshot::write(&snap40, &info, &discovery, &objs).unwrap();
    let write40 = t.elapsed();
    let mut loaded = Loaded::default();
    add_to(&mut loaded, info.clone(), objs, None);
    let (findings, analyse_t) = analyse(&loaded);
    println!(
        "in process: list {listed} objects {:.2}s + analyse {:.2}s ({findings} findings) = {:.2}s; peak RSS {:.0} MiB (fake server with its fixtures alone: {:.0} MiB)",
        list.as_secs_f64(),
        analyse_t.as_secs_f64(),
        (list + analyse_t).as_secs_f64(),
        peak_rss_mib(),
        rss_server
    );
    println!(
        "snapshot of {listed} objects: write {:.2}s, {:.1} MiB",
        write40.as_secs_f64(),
        std::fs::metadata(&snap40).unwrap().len() as f64 / 1048576.0
    );
    drop(loaded);

    // The release CLI against the same server, measured from outside.
    let bin =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/kubeward");
    if bin.is_file() && std::path::Path::new("/usr/bin/time").is_file() {
        let out = std::process::Command::new("/usr/bin/time")
            .arg("-v")
            .arg(&bin)
            .args(["scan", "--kubeconfig"])
            .arg(&kc)
            .args(["--format", "json", "--fail-on", "none", "--no-config"])
            .stdout(std::process::Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let field = |name: &str| {
            err.lines()
                .find(|l| l.trim_start().starts_with(name))
                .and_then(|l| l.rsplit(": ").next())
                .unwrap_or("?")
                .trim()
                .to_string()
        };
        let rss_kib: f64 = field("Maximum resident set size").parse().unwrap_or(0.0);
        println!(
            "kubeward scan --kubeconfig (release binary): wall {} , peak RSS {:.0} MiB, exit {:?}",
            field("Elapsed (wall clock) time"),
            rss_kib / 1024.0,
            out.status.code()
        );
    } else {
        println!(
            "(skipped the CLI measurement: build target/release/kubeward and install /usr/bin/time)"
        );
    }
    drop(server);

    // 100k-object snapshot: load time.
    let big: Vec<Node> = corpus(25_000)
        .iter()
        .take(100_000)
        .map(Node::from_json)
        .collect();
    let snap100 = dir.path().join("c100.kwsnap");
    let t = Instant::now();
    snapshot::write(&snap100, &info, &discovery, &big).unwrap();
    let w = t.elapsed();
    let count = big.len();
    drop(big);
    let t = Instant::now();
    let s = snapshot::read(&snap100).unwrap();
    let mut loaded = Loaded::default();
    add_to(&mut loaded, s.cluster, s.objects, Some(&snap100));
    let load = t.elapsed();
    println!(
        "snapshot of {count} objects ({:.1} MiB): write {:.2}s, load into the inventory {:.2}s",
        std::fs::metadata(&snap100).unwrap().len() as f64 / 1048576.0,
        w.as_secs_f64(),
        load.as_secs_f64()
    );
}
