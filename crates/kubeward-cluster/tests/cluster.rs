//! The cluster source against the in-process fake API server: equivalence with file scans,
//! pagination, 403 coverage gaps, timeouts, authentication, metadata-only Secrets, legacy
//! discovery, namespace restriction and snapshots.

use kubeward_cluster::fake::{FakeApiServer, FakeAuth, FakeCluster};
use kubeward_cluster::{
    ClusterError, ClusterOptions, Collected, add_to, read_cluster_async, snapshot,
};
use kubeward_core::config::Config;
use kubeward_core::engine::{Engine, engine_rules};
use kubeward_core::input::{InputArg, LoadOptions, Loaded, load};
use kubeward_core::{Finding, Registry, Status};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn registry() -> Registry {
    let mut r = Registry::new();
    r.extend(engine_rules());
    r.extend(kubeward_rules::rules());
    r.extend(kubeward_analysis::rules());
    r
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture_paths() -> Vec<PathBuf> {
    vec![
        repo().join("examples/insecure-app"),
        repo().join("examples/hardened-app"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/control-plane"),
    ]
}

fn load_files(paths: &[PathBuf]) -> Loaded {
    let args: Vec<InputArg> = paths.iter().map(|p| InputArg::Path(p.clone())).collect();
    let l = load(
        &args,
        &LoadOptions {
            kustomize: false,
            ..LoadOptions::default()
        },
    );
    assert!(!l.has_errors(), "{:?}", l.diagnostics);
    l
}

/// The objects of `loaded` as the API server would store them (namespace filled in).
fn as_server_objects(loaded: &Loaded) -> Vec<Value> {
    loaded
        .inventory
        .objects()
        .iter()
        .map(|o| {
            let mut v = o.root.to_json();
            if let Some(ns) = &o.namespace {
                v["metadata"]["namespace"] = json!(ns.as_str());
            }
            v
        })
        .collect()
}

fn run_rules(loaded: &Loaded) -> Vec<Finding> {
    let reg = registry();
    let config = Config::default();
    Engine {
        registry: &reg,
        config: &config,
    }
    .run(&loaded.inventory, &loaded.duplicates, None)
    .findings
}

/// (rule, Kind namespace/name) of every finding tied to an object.
fn object_findings(loaded: &Loaded, findings: &[Finding]) -> BTreeSet<(String, String, String)> {
    findings
        .iter()
        .filter_map(|f| {
            let id = f.object?;
            // Duplicate keys exist only in files: the API server keeps one value. Kubelet skew
            // needs the API server's /version, which only a cluster (or snapshot) has; files
            // get one UNKNOWN about it instead (checked below).
            if f.rule.id == "KW-GEN-001" || f.rule.id == "KW-NODE-002" {
                return None;
            }
            let o = loaded.inventory.object(id);
            Some((f.rule.id.to_string(), o.display(), f.pointer.clone()))
        })
        .collect()
}

struct Setup {
    server: FakeApiServer,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

async fn start(cluster: FakeCluster, auth: FakeAuth) -> Setup {
    let server = FakeApiServer::start(cluster).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(&kubeconfig, server.kubeconfig(auth)).unwrap();
    Setup {
        server,
        _dir: dir,
        kubeconfig,
    }
}

fn opts(s: &Setup) -> ClusterOptions {
    ClusterOptions {
        kubeconfig: Some(s.kubeconfig.clone()),
        timeout: Duration::from_secs(20),
        ..ClusterOptions::default()
    }
}

fn into_loaded(c: Collected) -> Loaded {
    let mut l = Loaded::default();
    add_to(&mut l, c.info, c.objects, None);
    l
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanning_through_the_api_finds_what_scanning_the_files_finds() {
    let files = load_files(&fixture_paths());
    let file_findings = run_rules(&files);
    assert!(
        file_findings
            .iter()
            .any(|f| f.rule.id == "KW-NODE-002" && f.status == Status::Unknown)
    );
    let from_files = object_findings(&files, &file_findings);
    assert!(
        from_files.len() > 20,
        "the fixture set should exercise many rules: {from_files:?}"
    );

    let s = start(FakeCluster::new(as_server_objects(&files)), FakeAuth::Token).await;
    let collected = read_cluster_async(&opts(&s)).await.unwrap();
    assert!(collected.info.gaps.is_empty(), "{:?}", collected.info.gaps);
    let cluster = into_loaded(collected);
    assert_eq!(cluster.inventory.len(), files.inventory.len());
    let from_cluster = object_findings(&cluster, &run_rules(&cluster));
    let only_files: Vec<_> = from_files.difference(&from_cluster).collect();
    let only_cluster: Vec<_> = from_cluster.difference(&from_files).collect();
    assert!(
        only_files.is_empty() && only_cluster.is_empty(),
        "only in the file scan: {only_files:#?}\nonly in the cluster scan: {only_cluster:#?}"
    );
    // Control-plane flags are found through mirror pods.
    assert!(
        from_cluster
            .iter()
            .any(|(r, o, _)| r == "KW-CP-007" && o == "Pod kube-system/kube-apiserver-cp1")
    );
    assert!(
        from_cluster
            .iter()
            .any(|(r, o, _)| r == "KW-CP-014" && o == "Pod kube-system/kube-scheduler-cp1")
    );
    assert!(from_cluster.iter().any(|(r, _, _)| r == "KW-NODE-003"));
    assert!(from_cluster.iter().any(|(r, _, _)| r == "KW-CP-015"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_name_the_cluster_and_not_a_file() {
    let files =
        load_files(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/control-plane")]);
    let s = start(FakeCluster::new(as_server_objects(&files)), FakeAuth::Token).await;
    let cluster = into_loaded(read_cluster_async(&opts(&s)).await.unwrap());
    let findings = run_rules(&cluster);
    let report = kubeward_core::report::build(
        &cluster.inventory,
        findings.clone(),
        vec![],
        vec![],
        &Default::default(),
    );
    let f = report
        .findings
        .iter()
        .find(|f| f.rule_id == "KW-CP-007")
        .unwrap();
    assert_eq!(
        f.resource.as_ref().unwrap().cluster.as_deref(),
        Some("fake")
    );
    let loc = f.location.as_ref().unwrap();
    assert_eq!(
        (loc.file.as_deref(), loc.line, loc.origin),
        (None, None, "cluster")
    );
    // The cluster runs 1.33, past its end of support in this test's present.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule_id == "KW-NODE-001" && f.message.contains("cluster `fake`"))
    );
    // worker1's kubelet (1.29) is 4 minors behind the API server (1.33).
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule_id == "KW-NODE-002" && f.message.contains("worker1"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_paginated_with_continue_tokens() {
    let objects: Vec<Value> = (0..1234)
        .map(|i| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i:04}"), "namespace": format!("ns-{}", i % 3)}, "data": {"k": "v"}}))
        .collect();
    let s = start(FakeCluster::new(objects), FakeAuth::Token).await;
    let mut o = opts(&s);
    o.page_size = 100;
    let c = read_cluster_async(&o).await.unwrap();
    let cms: Vec<_> = c
        .objects
        .iter()
        .filter(|n| n.str_at("kind") == Some("ConfigMap"))
        .collect();
    assert_eq!(cms.len(), 1234);
    let names: BTreeSet<&str> = cms
        .iter()
        .map(|n| n.path(&["metadata", "name"]).unwrap().as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 1234, "no page is read twice or skipped");
    let reqs: Vec<_> = s
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/configmaps")
        .collect();
    assert_eq!(reqs.len(), 13);
    assert!(reqs.iter().all(|r| r.query.contains("limit=100")));
    assert_eq!(
        reqs.iter()
            .filter(|r| r.query.contains("continue=fake-continue-"))
            .count(),
        12
    );
    // List items carry no apiVersion/kind on the wire; the source fills them in.
    assert!(cms.iter().all(|n| n.str_at("apiVersion") == Some("v1")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_resource_is_one_unknown_coverage_finding() {
    let files =
        load_files(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/control-plane")]);
    let cluster = FakeCluster::new(as_server_objects(&files))
        .forbid("", "secrets", None)
        .forbid("rbac.authorization.k8s.io", "clusterroles", None);
    let s = start(cluster, FakeAuth::Token).await;
    let c = read_cluster_async(&opts(&s)).await.unwrap();
    let gaps: Vec<(&str, &str)> = c
        .info
        .gaps
        .iter()
        .map(|g| (g.group.as_str(), g.resource.as_str()))
        .collect();
    assert_eq!(
        gaps,
        vec![
            ("", "secrets"),
            ("rbac.authorization.k8s.io", "clusterroles")
        ]
    );
    assert!(c.info.gaps[0].reason.contains("403"));
    let loaded = into_loaded(c);
    // Everything else was still read.
    assert!(loaded.inventory.of_kind("Pod").count() >= 4);
    assert_eq!(loaded.inventory.of_kind("Secret").count(), 0);
    let findings = run_rules(&loaded);
    let cov: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule.id == "KW-CP-001")
        .collect();
    assert_eq!(cov.len(), 2, "said once per resource");
    assert!(
        cov.iter()
            .all(|f| f.status == Status::Unknown && f.object.is_none())
    );
    assert!(
        cov[0].message.contains("`list` on `secrets`"),
        "{}",
        cov[0].message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_in_some_namespaces_is_reported_per_namespace() {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "team-a"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "namespace": "team-b"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "team-c"}}),
    ];
    let s = start(
        FakeCluster::new(objects).forbid("", "configmaps", Some("team-b")),
        FakeAuth::Token,
    )
    .await;
    let mut o = opts(&s);
    o.namespaces = vec!["team-a".into(), "team-b".into()];
    let c = read_cluster_async(&o).await.unwrap();
    let names: Vec<&str> = c
        .objects
        .iter()
        .filter(|n| n.str_at("kind") == Some("ConfigMap"))
        .map(|n| n.path(&["metadata", "name"]).unwrap().as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["a"],
        "team-c is outside the scan, team-b refused"
    );
    let cm_gaps: Vec<_> = c
        .info
        .gaps
        .iter()
        .filter(|g| g.resource == "configmaps")
        .collect();
    assert_eq!(cm_gaps.len(), 1);
    assert_eq!(cm_gaps[0].namespace.as_deref(), Some("team-b"));
    assert_eq!(
        c.info.namespaces,
        Some(vec!["team-a".to_string(), "team-b".to_string()])
    );
    // Namespaced lists went to the namespaces only.
    assert!(
        s.server
            .requests()
            .iter()
            .all(|r| r.path != "/api/v1/configmaps")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_hits_the_timeout() {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}}),
    ];
    let mut cluster = FakeCluster::new(objects);
    // Margins wide enough for a busy CI machine: discovery (TLS in a debug build) must fit in
    // the deadline, the listings must not.
    cluster.list_delay = Some(Duration::from_secs(12));
    let s = start(cluster, FakeAuth::Token).await;
    let mut o = opts(&s);
    o.timeout = Duration::from_secs(4);
    let t = Instant::now();
    // Discovery answered; no listing did before the deadline: nothing read, every listing a
    // coverage gap naming the deadline (never a clean, empty cluster).
    let c = read_cluster_async(&o).await.expect("discovery answered");
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    assert!(c.objects.is_empty());
    assert!(!c.info.gaps.is_empty());
    assert!(
        c.info.gaps.iter().all(|g| g.reason.contains("--timeout")),
        "{:?}",
        c.info.gaps
    );
    assert!(c.info.gaps.iter().any(|g| g.resource == "configmaps"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_and_client_certificate_authenticate_and_nothing_else_does() {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}}),
    ];
    for auth in [FakeAuth::Token, FakeAuth::ClientCert, FakeAuth::Exec] {
        let s = start(FakeCluster::new(objects.clone()), auth).await;
        let c = read_cluster_async(&opts(&s))
            .await
            .unwrap_or_else(|e| panic!("{auth:?}: {e}"));
        assert_eq!(c.info.context, "fake");
        let ids: BTreeSet<String> = s
            .server
            .requests()
            .into_iter()
            .map(|r| r.identity)
            .collect();
        let want = if auth == FakeAuth::ClientCert {
            "cert:kubeward-scanner"
        } else {
            "token"
        };
        assert_eq!(ids, BTreeSet::from([want.to_string()]));
    }
    for auth in [FakeAuth::None, FakeAuth::WrongToken] {
        let s = start(FakeCluster::new(objects.clone()), auth).await;
        let err = read_cluster_async(&opts(&s))
            .await
            .err()
            .expect("must fail");
        assert!(
            matches!(err, ClusterError::Api { code: 401, .. }),
            "{auth:?}: {err}"
        );
        assert!(err.to_string().contains("refused the credentials"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_values_are_never_requested() {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "app",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
            "type": "Opaque", "data": {"password": "aHVudGVyMg=="}, "stringData": {"token": "plain-secret-value"}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "app"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}),
    ];
    for aggregated in [true, false] {
        let mut cluster = FakeCluster::new(objects.clone());
        cluster.aggregated_discovery = aggregated;
        let s = start(cluster, FakeAuth::Token).await;
        for namespaces in [vec![], vec!["app".to_string()]] {
            let mut o = opts(&s);
            o.namespaces = namespaces;
            let c = read_cluster_async(&o).await.unwrap();
            let secret = c
                .objects
                .iter()
                .find(|n| n.str_at("kind") == Some("Secret"))
                .expect("secret metadata");
            assert_eq!(secret.str_at("apiVersion"), Some("v1"));
            assert!(secret.get("data").is_none() && secret.get("stringData").is_none());
            let all = serde_json::to_string(&c.objects).unwrap();
            assert!(!all.contains("aHVudGVyMg") && !all.contains("plain-secret-value"));
        }
        let secret_reqs: Vec<_> = s
            .server
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/secrets"))
            .collect();
        assert!(!secret_reqs.is_empty());
        for r in &secret_reqs {
            assert_eq!(
                r.accept,
                kubeward_cluster::collect::ACCEPT_METADATA_ONLY,
                "{r:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_discovery_reads_the_same_objects_and_skips_what_is_not_listable() {
    let files =
        load_files(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/control-plane")]);
    let mut cluster = FakeCluster::new(as_server_objects(&files));
    let aggregated = {
        let s = start(cluster.clone(), FakeAuth::Token).await;
        let c = read_cluster_async(&opts(&s)).await.unwrap();
        assert_eq!(c.discovery.mode, "aggregated");
        let reqs = s.server.requests();
        assert!(
            !reqs
                .iter()
                .any(|r| r.path.ends_with("/events") || r.path.ends_with("/bindings"))
        );
        c
    };
    cluster.aggregated_discovery = false;
    let s = start(cluster, FakeAuth::Token).await;
    let legacy = read_cluster_async(&opts(&s)).await.unwrap();
    assert_eq!(legacy.discovery.mode, "legacy");
    assert!(
        s.server
            .requests()
            .iter()
            .any(|r| r.path == "/apis/apps/v1")
    );
    assert_eq!(
        serde_json::to_value(&aggregated.objects).unwrap(),
        serde_json::to_value(&legacy.objects).unwrap()
    );
    assert!(
        !legacy
            .discovery
            .resources
            .iter()
            .any(|r| r.resource.contains('/'))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_round_trip_and_scan_offline_the_same() {
    let files = load_files(&fixture_paths());
    let s = start(FakeCluster::new(as_server_objects(&files)), FakeAuth::Token).await;
    let c = read_cluster_async(&opts(&s)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cluster.kwsnap");
    snapshot::write(&path, &c.info, &c.discovery, &c.objects).unwrap();
    assert!(snapshot::is_snapshot(&path));
    drop(s); // offline from here on
    let back = snapshot::read(&path).unwrap();
    assert_eq!(back.cluster, c.info);
    assert_eq!(back.discovery.resources, c.discovery.resources);
    assert_eq!(
        serde_json::to_value(&back.objects).unwrap(),
        serde_json::to_value(&c.objects).unwrap()
    );
    let live = into_loaded(c);
    let mut offline = Loaded::default();
    add_to(&mut offline, back.cluster, back.objects, Some(&path));
    let a = run_rules(&live);
    let b = run_rules(&offline);
    let key = |l: &Loaded, f: &[Finding]| -> BTreeSet<(String, String, String, String)> {
        f.iter()
            .map(|f| {
                (
                    f.rule.id.to_string(),
                    f.object
                        .map(|o| l.inventory.object(o).display())
                        .unwrap_or_default(),
                    f.pointer.clone(),
                    f.message.clone(),
                )
            })
            .collect()
    };
    assert_eq!(key(&live, &a), key(&offline, &b));
    // A file that is not a snapshot is refused with a clear message.
    let bogus = dir.path().join("bogus.kwsnap");
    std::fs::write(&bogus, "apiVersion: v1\n").unwrap();
    assert!(
        snapshot::read(&bogus)
            .unwrap_err()
            .to_string()
            .contains("not a kubeward snapshot")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invisible_control_planes_are_not_applicable_on_managed_clusters_and_unknown_elsewhere() {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "ip-10-0-1-5.ec2.internal",
            "labels": {"eks.amazonaws.com/nodegroup": "ng-1"}},
            "spec": {"providerID": "aws:///eu-west-1a/i-0abc"},
            "status": {"nodeInfo": {"kubeletVersion": "v1.33.4-eks-1234"}}}),
    ];
    for (git, want) in [
        ("v1.33.4-eks-2d5f260", Status::NotApplicable),
        ("v1.33.4", Status::NotApplicable),
        ("v1.33.4+k3s1", Status::Unknown),
    ] {
        let mut cluster = FakeCluster::new(if want == Status::Unknown {
            vec![]
        } else {
            objects.clone()
        });
        cluster.git_version = git.into();
        let s = start(cluster, FakeAuth::Token).await;
        let loaded = into_loaded(read_cluster_async(&opts(&s)).await.unwrap());
        let findings = run_rules(&loaded);
        for id in [
            "KW-CP-002",
            "KW-CP-003",
            "KW-CP-007",
            "KW-CP-012",
            "KW-CP-014",
        ] {
            let f: Vec<&Finding> = findings.iter().filter(|f| f.rule.id == id).collect();
            assert!(!f.is_empty(), "{git}: {id} says nothing");
            assert!(
                f.iter().all(|f| f.status == want && f.object.is_none()),
                "{git}: {id}: {:?}",
                f.iter().map(|f| (&f.message, f.status)).collect::<Vec<_>>()
            );
        }
        let node_access: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule.id == "KW-NODE-004")
            .collect();
        if want == Status::NotApplicable {
            assert_eq!(node_access.len(), 1);
            assert_eq!(
                node_access[0].status,
                Status::Unknown,
                "only the EC2 API knows IMDS settings"
            );
        }
    }
}

#[test]
fn the_scanner_cluster_role_only_lists() {
    let l = load_files(&[repo().join("deploy/scanner-rbac.yaml")]);
    let role = l
        .inventory
        .get("ClusterRole", None, "kubeward-scanner")
        .expect("ClusterRole");
    for rule in role.root.get("rules").unwrap().items() {
        let verbs: Vec<&str> = rule
            .get("verbs")
            .unwrap()
            .items()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        if rule.get("nonResourceURLs").is_some() {
            assert_eq!(verbs, vec!["get"]);
        } else {
            // `get` on `*` would include nodes/proxy and WebSocket exec; kubeward only lists.
            assert_eq!(verbs, vec!["list"]);
        }
    }
}
