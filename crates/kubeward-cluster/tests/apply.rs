//! Server-side apply of wg-policy reports through the client, against the fake API server.

use kubeward_cluster::ClusterOptions;
use kubeward_cluster::apply::apply_async;
use kubeward_cluster::fake::{FakeApiServer, FakeAuth, FakeCluster};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_applied_with_field_manager_kubeward() {
    let server = FakeApiServer::start(FakeCluster::new(Vec::new())).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(&kubeconfig, server.kubeconfig(FakeAuth::Token)).unwrap();
    let opts = ClusterOptions {
        kubeconfig: Some(kubeconfig),
        timeout: Duration::from_secs(20),
        ..ClusterOptions::default()
    };
    let ns_report = json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": "PolicyReport",
        "metadata": {"name": "kubeward", "namespace": "shop"},
        "summary": {"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 0},
        "results": [{"policy": "KW-PSS-003", "result": "fail", "source": "kubeward"}],
    });
    let cluster_report = json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": "ClusterPolicyReport",
        "metadata": {"name": "kubeward"},
        "results": [],
    });
    let done = apply_async(&opts, &[ns_report.clone(), cluster_report.clone()])
        .await
        .unwrap();
    assert_eq!(
        done,
        ["PolicyReport shop/kubeward", "ClusterPolicyReport kubeward"]
    );
    let applied = server.applied();
    assert_eq!(
        applied,
        vec![
            (
                "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/kubeward".to_string(),
                cluster_report
            ),
            (
                "/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/kubeward".to_string(),
                ns_report
            ),
        ]
    );
    let patches: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 2);
    for r in &patches {
        assert_eq!(r.status, 200, "{r:?}");
        assert!(r.query.contains("fieldManager=kubeward"), "{r:?}");
        assert!(r.query.contains("force=true"), "{r:?}");
    }
    // Only report kinds are written.
    let e = apply_async(
        &opts,
        &[json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})],
    )
    .await
    .unwrap_err();
    assert!(format!("{e:?}").contains("only PolicyReport"), "{e:?}");
}

/// The RBAC in deploy/ grants exactly what apply needs: create and patch on the two report
/// kinds, and nothing else (read with kubeward's own RBAC model).
#[test]
fn deploy_rbac_allows_applying_reports_and_nothing_more() {
    use kubeward_analysis::rbac::authz::{Identity, Request, allowed};
    use kubeward_analysis::rbac::model::Model;
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("deploy/policyreport-rbac.yaml")).unwrap();
    let l = kubeward_core::input::load_text(
        "policyreport-rbac.yaml",
        &text,
        &kubeward_core::input::LoadOptions::default(),
    );
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let m = Model::build_with(&l.inventory, false);
    let sa = Identity::service_account("kubeward", "kubeward-scanner");
    let can = |verb: &str, ns: &str, res: &str| {
        !allowed(&m, &sa, &Request::resource(verb, ns, "wgpolicyk8s.io", res)).is_empty()
    };
    for verb in ["create", "patch"] {
        assert!(can(verb, "shop", "policyreports"));
        assert!(can(verb, "", "clusterpolicyreports"));
    }
    for verb in ["get", "list", "update", "delete"] {
        assert!(!can(verb, "shop", "policyreports"), "{verb}");
    }
    assert!(
        allowed(
            &m,
            &sa,
            &Request::resource("patch", "shop", "", "configmaps")
        )
        .is_empty()
    );
}
