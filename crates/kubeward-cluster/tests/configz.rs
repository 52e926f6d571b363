//! The kubelet through the API: `/configz` of each node read through the fake API server's
//! node proxy, checked by the same kubelet rules as a node's effective configuration.

use kubeward_cluster::configz::KubeletOptions;
use kubeward_cluster::fake::{FakeApiServer, FakeAuth, FakeCluster};
use kubeward_cluster::{ClusterOptions, add_to, read_cluster_async};
use kubeward_core::config::Config;
use kubeward_core::engine::Engine;
use kubeward_core::input::Loaded;
use kubeward_core::{Finding, Registry, Status};
use serde_json::{Value, json};
use std::time::Duration;

/// What a kubelet's /configz holds on a hardened node (every checked setting secure).
fn secure() -> Value {
    json!({
        "authentication": {"anonymous": {"enabled": false}, "webhook": {"enabled": true, "cacheTTL": "2m0s"},
                           "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
        "authorization": {"mode": "Webhook"},
        "readOnlyPort": 0,
        "streamingConnectionIdleTimeout": "4h0m0s",
        "protectKernelDefaults": true,
        "makeIPTablesUtilChains": true,
        "eventRecordQPS": 50,
        "rotateCertificates": true,
        "serverTLSBootstrap": true,
        "featureGates": {"RotateKubeletServerCertificate": true},
        "tlsCipherSuites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
        "seccompDefault": true,
        "staticPodPath": "/etc/kubernetes/manifests"
    })
}

/// (rule, pointer, bad value): each node of the test breaks one setting.
fn cases() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "KW-NODE-101",
            "/authentication/anonymous/enabled",
            json!(true),
        ),
        ("KW-NODE-102", "/authorization/mode", json!("AlwaysAllow")),
        (
            "KW-NODE-103",
            "/authentication/x509/clientCAFile",
            json!(""),
        ),
        ("KW-NODE-104", "/readOnlyPort", json!(10255)),
        (
            "KW-NODE-105",
            "/streamingConnectionIdleTimeout",
            json!("0s"),
        ),
        ("KW-NODE-106", "/protectKernelDefaults", json!(false)),
        ("KW-NODE-107", "/makeIPTablesUtilChains", json!(false)),
        ("KW-NODE-109", "/eventRecordQPS", json!(0)),
        ("KW-NODE-110", "/serverTLSBootstrap", json!(false)),
        ("KW-NODE-111", "/rotateCertificates", json!(false)),
        (
            "KW-NODE-112",
            "/featureGates/RotateKubeletServerCertificate",
            json!(false),
        ),
        (
            "KW-NODE-113",
            "/tlsCipherSuites",
            json!(["TLS_RSA_WITH_AES_128_CBC_SHA"]),
        ),
        ("KW-NODE-114", "/seccompDefault", json!(false)),
    ]
}

fn node_name(rule: &str) -> String {
    format!("n{}", rule.trim_start_matches("KW-NODE-"))
}

fn node(name: &str, pool: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"eks.amazonaws.com/nodegroup": pool}},
        "status": {"nodeInfo": {"kubeletVersion": "v1.33.1-eks-abc"}}})
}

async fn scan(
    cluster: FakeCluster,
    kubelet: KubeletOptions,
) -> (Loaded, Vec<Finding>, FakeApiServer) {
    let server = FakeApiServer::start(cluster).await;
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(&kc, server.kubeconfig(FakeAuth::Token)).unwrap();
    let c = read_cluster_async(&ClusterOptions {
        kubeconfig: Some(kc),
        timeout: Duration::from_secs(20),
        kubelet: Some(kubelet),
        ..ClusterOptions::default()
    })
    .await
    .unwrap();
    let mut l = Loaded::default();
    add_to(&mut l, c.info, c.objects, None);
    let mut reg = Registry::new();
    reg.extend(kubeward_rules::rules());
    let config = Config::default();
    let f = Engine {
        registry: &reg,
        config: &config,
    }
    .run(&l.inventory, &l.duplicates, None)
    .findings;
    (l, f, server)
}

fn on<'a>(l: &Loaded, f: &'a [Finding], rule: &str, status: Status) -> Vec<(String, &'a str)> {
    f.iter()
        .filter(|x| x.rule.id == rule && x.status == status)
        .map(|x| {
            (
                l.inventory.object(x.object.unwrap()).name.to_string(),
                x.message.as_str(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kubelet_check_from_configz() {
    let mut objects = vec![node("good", "pool-a")];
    let mut cluster_configz = vec![("good".to_string(), secure())];
    for (rule, ptr, bad) in cases() {
        let n = node_name(rule);
        objects.push(node(&n, "pool-b"));
        let mut c = secure();
        *c.pointer_mut(ptr).unwrap() = bad;
        cluster_configz.push((n, c));
    }
    let mut cluster = FakeCluster::new(objects);
    for (n, c) in cluster_configz {
        cluster = cluster.with_configz(&n, c);
    }
    let (l, f, _server) = scan(cluster, KubeletOptions::default()).await;
    assert_eq!(l.inventory.of_kind("KubeletConfiguration").count(), 14);
    for (rule, _, _) in cases() {
        let hits = on(&l, &f, rule, Status::Fail);
        assert_eq!(hits.len(), 1, "{rule}: {hits:?}");
        assert_eq!(hits[0].0, node_name(rule), "{rule}");
        assert!(hits[0].1.contains("(/configz)"), "{}", hits[0].1);
    }
    // The EKS version selects CIS 1.12 numbering.
    let ro = f.iter().find(|x| x.rule.id == "KW-NODE-104").unwrap();
    assert!(
        ro.references
            .contains(&("cis", "4.2.4 (cis-1.12)".to_string()))
    );
    // Hostname override is a flag: not visible in configz.
    let h = on(&l, &f, "KW-NODE-108", Status::Unknown);
    assert_eq!(h.len(), 14);
    assert!(h[0].1.contains("/configz does not show"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_per_pool_with_bounded_concurrency() {
    let mut cluster = FakeCluster::new(vec![
        node("a1", "pool-a"),
        node("a2", "pool-a"),
        node("a3", "pool-a"),
        node("b1", "pool-b"),
    ]);
    for n in ["a1", "a2", "a3", "b1"] {
        cluster = cluster.with_configz(n, secure());
    }
    let (l, _, server) = scan(
        cluster,
        KubeletOptions {
            sample: Some(1),
            concurrency: 2,
            ..KubeletOptions::default()
        },
    )
    .await;
    let names: Vec<&str> = l
        .inventory
        .of_kind("KubeletConfiguration")
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(names, vec!["a1", "b1"]);
    let asked: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/proxy/configz"))
        .map(|r| r.path)
        .collect();
    assert_eq!(asked.len(), 2, "{asked:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_grant_every_check_is_unknown() {
    let cluster = FakeCluster::new(vec![node("a1", "pool-a"), node("a2", "pool-a")])
        .with_configz("a1", secure())
        .forbid("", "nodes/proxy", None);
    let (l, f, server) = scan(cluster, KubeletOptions::default()).await;
    assert_eq!(l.inventory.of_kind("KubeletConfiguration").count(), 1);
    for n in 101..=114 {
        let rule = format!("KW-NODE-{n}");
        assert!(on(&l, &f, &rule, Status::Fail).is_empty(), "{rule}");
        let u = on(&l, &f, &rule, Status::Unknown);
        assert_eq!(u.len(), 1, "{rule}");
        if rule != "KW-NODE-108" {
            assert!(u[0].1.contains("may not `get nodes/proxy`"), "{}", u[0].1);
            assert!(u[0].1.contains("2 nodes"), "{}", u[0].1);
        }
    }
    // One refused request, not one per node.
    let refused = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/proxy/configz"))
        .count();
    assert_eq!(refused, 1);
}
