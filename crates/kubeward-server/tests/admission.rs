//! End to end over TLS: what the API server sends for a Deployment, a Pod, a CronJob and an
//! ephemeral-container update; every rule action; exemptions; dryRun; bad requests.

mod common;

use common::*;
use kubeward_core::config::Settings;
use serde_json::{Value, json};
use std::time::Duration;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn pod_spec(privileged: bool) -> Value {
    json!({
        "automountServiceAccountToken": false,
        "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "runAsGroup": 10001,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "web",
            "image": format!("registry.example.com/shop/web@{DIGEST}"),
            "securityContext": {"allowPrivilegeEscalation": privileged, "privileged": privileged,
                                "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"},
                          "requests": {"cpu": "100m", "memory": "64Mi"}}
        }]
    })
}

fn pod(name: &str, privileged: bool) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "shop", "labels": {"app": "web"}},
           "spec": pod_spec(privileged)})
}

fn deployment(privileged: bool) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec(privileged)}}})
}

fn cronjob(privileged: bool) -> Value {
    let mut spec = pod_spec(privileged);
    spec["restartPolicy"] = "OnFailure".into();
    json!({"apiVersion": "batch/v1", "kind": "CronJob",
           "metadata": {"name": "report", "namespace": "shop"},
           "spec": {"schedule": "0 * * * *",
                    "jobTemplate": {"spec": {"template": {"spec": spec}}}}})
}

fn settings() -> Settings {
    Settings {
        allowed_registries: Some(vec!["registry.example.com/".into()]),
        ..Settings::default()
    }
}

async fn server(yaml: &str) -> (Running, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let r = start(
        policy(settings(), admission(yaml)),
        dir.path(),
        Duration::from_secs(1),
    )
    .await;
    (r, dir)
}

fn response(v: &Value) -> &Value {
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["kind"], "AdmissionReview");
    &v["response"]
}

#[tokio::test]
async fn compliant_objects_are_allowed_without_warnings() {
    let (srv, _d) = server("").await;
    let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
    for (i, (obj, kind, res)) in [
        (pod("web", false), ("", "v1", "Pod"), "pods"),
        (
            deployment(false),
            ("apps", "v1", "Deployment"),
            "deployments",
        ),
        (cronjob(false), ("batch", "v1", "CronJob"), "cronjobs"),
    ]
    .into_iter()
    .enumerate()
    {
        let uid = format!("uid-{i}");
        let v = c
            .post_json(
                "/validate",
                &review(
                    &uid,
                    "CREATE",
                    kind,
                    res,
                    None,
                    "shop",
                    Some(obj),
                    None,
                    false,
                ),
            )
            .await;
        let r = response(&v);
        assert_eq!(r["uid"], uid.as_str(), "uid echoed");
        assert_eq!(r["allowed"], true, "{r}");
    }
}

#[tokio::test]
async fn enforce_denies_naming_rule_and_field_for_each_workload_kind() {
    let (srv, _d) = server("").await;
    let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
    let cases = [
        (
            pod("web", true),
            ("", "v1", "Pod"),
            "pods",
            "spec.containers[0]",
        ),
        (
            deployment(true),
            ("apps", "v1", "Deployment"),
            "deployments",
            "spec.template.spec.containers[0]",
        ),
        (
            cronjob(true),
            ("batch", "v1", "CronJob"),
            "cronjobs",
            "spec.jobTemplate.spec.template.spec.containers[0]",
        ),
    ];
    for (obj, kind, res, field) in cases {
        let v = c
            .post_json(
                "/validate",
                &review(
                    "u",
                    "CREATE",
                    kind,
                    res,
                    None,
                    "shop",
                    Some(obj),
                    None,
                    false,
                ),
            )
            .await;
        let r = response(&v);
        assert_eq!(r["allowed"], false, "{r}");
        assert_eq!(r["status"]["code"], 403);
        let msg = r["status"]["message"].as_str().unwrap();
        assert!(
            msg.contains(&format!("{field}.securityContext.privileged")),
            "{msg}"
        );
        assert!(msg.contains("KW-"), "{msg}");
        insta::assert_json_snapshot!(format!("enforce-{}", kind.2), r);
    }
}

#[tokio::test]
async fn warn_and_audit_actions() {
    // Every rule that fires on the privileged pod, warned; then audited.
    let (srv, _d) = server("admission:\n  enforce_severity: critical\n  default_action: warn\n  actions: {pod-to-node: warn, containers: warn}\n").await;
    let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
    let v = c
        .post_json(
            "/validate",
            &review(
                "w",
                "CREATE",
                ("", "v1", "Pod"),
                "pods",
                None,
                "shop",
                Some(pod("web", true)),
                None,
                false,
            ),
        )
        .await;
    let r = response(&v);
    assert_eq!(r["allowed"], true, "{r}");
    let warnings = r["warnings"].as_array().unwrap();
    assert!(!warnings.is_empty());
    for w in warnings {
        let w = w.as_str().unwrap();
        assert!(w.len() < 120 && w.is_ascii(), "{w}");
    }
    insta::assert_json_snapshot!("warn-Pod", r);

    let (srv, _d) = server("admission:\n  enforce_severity: critical\n  default_action: audit\n  actions: {pod-to-node: audit, containers: audit}\n").await;
    let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
    let v = c
        .post_json(
            "/validate",
            &review(
                "a",
                "CREATE",
                ("", "v1", "Pod"),
                "pods",
                None,
                "shop",
                Some(pod("web", true)),
                None,
                false,
            ),
        )
        .await;
    let r = response(&v);
    assert_eq!(r["allowed"], true, "{r}");
    assert!(r.get("warnings").is_none());
    let ann = r["auditAnnotations"].as_object().unwrap();
    assert!(!ann.is_empty());
    for k in ann.keys() {
        assert!(
            k.len() <= 63
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'),
            "{k}"
        );
    }
    insta::assert_json_snapshot!("audit-Pod", r);

    // off: nothing at all.
    let (srv, _d) = server("admission:\n  enforce_severity: critical\n  default_action: off\n  actions: {pod-to-node: off, containers: off}\n").await;
    let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
    let v = c
        .post_json(
            "/validate",
            &review(
                "o",
                "CREATE",
                ("", "v1", "Pod"),
                "pods",
                None,
                "shop",
                Some(pod("web", true)),
                None,
                false,
            ),
        )
        .await;
    assert_eq!(response(&v), &json!({"uid": "o", "allowed": true}));
}

#[tokio::test]
async fn ephemeral_container_update_is_checked_and_old_findings_only_warn() {
    let (srv, _d) = server("").await;
    let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
    let old = pod("web", false);
    let mut new = old.clone();
    new["spec"]["ephemeralContainers"] = json!([{
        "name": "debugger", "image": "docker.io/library/busybox:1.36", "targetContainerName": "web",
        "securityContext": {"privileged": true}
    }]);
    let v = c
        .post_json(
            "/validate",
            &review(
                "e",
                "UPDATE",
                ("", "v1", "Pod"),
                "pods",
                Some("ephemeralcontainers"),
                "shop",
                Some(new.clone()),
                Some(old),
                false,
            ),
        )
        .await;
    let r = response(&v);
    assert_eq!(r["allowed"], false, "{r}");
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(
        msg.contains("spec.ephemeralContainers[0].securityContext.privileged"),
        "{msg}"
    );
    assert!(
        msg.contains("KW-IMG-004"),
        "the registry allow-list applies to ephemeral containers: {msg}"
    );
    insta::assert_json_snapshot!("enforce-ephemeral-update", r);

    // An UPDATE that leaves an existing violation as it was: warned, not denied.
    let old = pod("web", true);
    let mut new = old.clone();
    new["metadata"]["labels"]["tier"] = "front".into();
    let v = c
        .post_json(
            "/validate",
            &review(
                "g",
                "UPDATE",
                ("", "v1", "Pod"),
                "pods",
                None,
                "shop",
                Some(new),
                Some(old),
                false,
            ),
        )
        .await;
    let r = response(&v);
    assert_eq!(r["allowed"], true, "{r}");
    assert!(
        r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("(existing)"))
    );
}

#[tokio::test]
async fn exemptions_dry_run_and_other_operations() {
    let (srv, _d) = server("admission:\n  exempt_namespaces: [\"legacy-*\"]\n  exempt:\n    - {kind: Pod, namespace: shop, name: \"debug-*\", reason: break-fix pods of the on-call team}\n").await;
    let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
    for (ns, name) in [
        ("kube-system", "web"),
        ("kubeward", "web"),
        ("legacy-a", "web"),
        ("shop", "debug-1"),
    ] {
        let mut p = pod(name, true);
        p["metadata"]["namespace"] = ns.into();
        let v = c
            .post_json(
                "/validate",
                &review(
                    "x",
                    "CREATE",
                    ("", "v1", "Pod"),
                    "pods",
                    None,
                    ns,
                    Some(p),
                    None,
                    false,
                ),
            )
            .await;
        let r = response(&v);
        assert_eq!(r["allowed"], true, "{ns}/{name}: {r}");
        assert!(
            r["auditAnnotations"]["decision"]
                .as_str()
                .unwrap()
                .starts_with("exempt")
        );
    }
    // dryRun: the same decision (the API server makes no change anyway).
    let v = c
        .post_json(
            "/validate",
            &review(
                "d",
                "CREATE",
                ("", "v1", "Pod"),
                "pods",
                None,
                "shop",
                Some(pod("web", true)),
                None,
                true,
            ),
        )
        .await;
    assert_eq!(response(&v)["allowed"], false);
    // DELETE has no object: allowed.
    let v = c
        .post_json(
            "/validate",
            &review(
                "del",
                "DELETE",
                ("", "v1", "Pod"),
                "pods",
                None,
                "shop",
                None,
                Some(pod("web", true)),
                false,
            ),
        )
        .await;
    assert_eq!(response(&v), &json!({"uid": "del", "allowed": true}));
}

#[tokio::test]
async fn malformed_and_oversized_requests_get_a_clear_status() {
    let (srv, _d) = server("admission:\n  max_body_bytes: 65536\n").await;
    let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"{not json".to_vec(), 400, "cannot decode the AdmissionReview"),
        (br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#.to_vec(), 400, "expected an AdmissionReview of apiVersion admission.k8s.io/v1"),
        (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.to_vec(), 400, "has no request"),
        (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":5}}"#.to_vec(), 400, "cannot decode"),
        (vec![b' '; 70_000], 413, ""),
    ];
    for (body, code, text) in cases {
        for path in ["/validate", "/mutate"] {
            let (status, resp) = c.request("POST", path, body.clone()).await;
            let resp = String::from_utf8_lossy(&resp);
            assert_eq!(status, code, "{path}: {resp}");
            assert!(resp.contains(text), "{path}: {resp}");
        }
    }
    // An object the API server could not have sent still gets an answer, not a panic.
    let mut bad = review(
        "b",
        "CREATE",
        ("", "v1", "Pod"),
        "pods",
        None,
        "shop",
        None,
        None,
        false,
    );
    bad["request"]["object"] = json!({"metadata": {"name": "x"}});
    let v = c.post_json("/validate", &bad).await;
    assert_eq!(response(&v)["allowed"], false);
    assert_eq!(response(&v)["status"]["code"], 400);
    // The server is still healthy afterwards.
    let (s, b) = c.request("GET", "/healthz", vec![]).await;
    assert_eq!((s, b.as_slice()), (200, b"ok".as_slice()));
    let (s, _) = c.request("GET", "/readyz", vec![]).await;
    assert_eq!(s, 200);
    let (s, m) = c.request("GET", "/metrics", vec![]).await;
    let m = String::from_utf8(m).unwrap();
    assert_eq!(s, 200);
    assert!(
        m.contains("kubeward_admission_requests_total{endpoint=\"/validate\",code=\"400\"}"),
        "{m}"
    );
    assert!(
        m.contains("kubeward_admission_request_duration_seconds_bucket"),
        "{m}"
    );
}

#[tokio::test]
async fn image_policy_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(
        policy(
            settings(),
            admission("admission:\n  image_policy: {require_digest: true}\n"),
        ),
        dir.path(),
        Duration::from_secs(1),
    )
    .await;
    let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
    let ir = |images: &[&str], ann: Value| {
        json!({"apiVersion": "imagepolicy.k8s.io/v1alpha1", "kind": "ImageReview",
               "spec": {"containers": images.iter().map(|i| json!({"image": i})).collect::<Vec<_>>(),
                        "annotations": ann, "namespace": "shop"}})
    };
    let pinned = format!("registry.example.com/shop/web@{DIGEST}");
    let v = c
        .post_json("/imagepolicy", &ir(&[&pinned], json!({})))
        .await;
    assert_eq!(v["status"]["allowed"], true, "{v}");
    let v = c
        .post_json(
            "/imagepolicy",
            &ir(
                &[
                    &pinned,
                    "docker.io/library/nginx:1.27",
                    "registry.example.com/shop/api:2",
                ],
                json!({}),
            ),
        )
        .await;
    assert_eq!(v["status"]["allowed"], false);
    let reason = v["status"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("nginx:1.27 is not from an allowed registry (docker.io/library/nginx)"),
        "{reason}"
    );
    assert!(
        reason.contains("registry.example.com/shop/api:2 is not pinned by digest"),
        "{reason}"
    );
    insta::assert_json_snapshot!("imagereview-denied", v);
    // Break-glass: allowed and recorded.
    let v = c
        .post_json(
            "/imagepolicy",
            &ir(
                &["docker.io/library/nginx:1.27"],
                json!({"oncall.image-policy.k8s.io/break-glass": "true"}),
            ),
        )
        .await;
    assert_eq!(v["status"]["allowed"], true);
    assert_eq!(v["status"]["auditAnnotations"]["break-glass"], "true");
    assert!(
        v["status"]["auditAnnotations"]["would-deny"]
            .as_str()
            .unwrap()
            .contains("nginx")
    );
    // A wrong kind is a clear 400.
    let (s, b) = c
        .request(
            "POST",
            "/imagepolicy",
            br#"{"apiVersion":"v1","kind":"Pod","spec":{}}"#.to_vec(),
        )
        .await;
    assert_eq!(s, 400, "{}", String::from_utf8_lossy(&b));
}

#[tokio::test]
async fn extra_routes_are_served_on_the_same_listener() {
    let dir = tempfile::tempdir().unwrap();
    let extra = axum::Router::new().route("/audit", axum::routing::post(|| async { "received" }));
    let srv = start_with(
        policy(settings(), admission("")),
        dir.path(),
        Duration::from_secs(1),
        Some(extra),
    )
    .await;
    let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
    let (s, b) = c.request("POST", "/audit", b"{}".to_vec()).await;
    assert_eq!((s, b.as_slice()), (200, b"received".as_slice()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_webhook_shares_the_listener_and_the_metrics() {
    use kubeward_audit::{Analyzer, AuditSettings, WebhookConfig, webhook_router};
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let mut reg = full_registry();
    reg.extend(kubeward_audit::rules());
    let config = kubeward_core::config::Config::default();
    let audit = AuditSettings::from_config(&config, &reg).unwrap();
    let mut cfg = WebhookConfig::new(Analyzer::new(&reg, &config, audit));
    cfg.stdout = false;
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen_w = Arc::clone(&seen);
    cfg.on_alert = Some(Arc::new(move |a| {
        seen_w.lock().unwrap().push(a.rule.to_string())
    }));
    let (router, handle) = webhook_router(cfg);
    let srv = start_with(
        policy(settings(), admission("")),
        dir.path(),
        Duration::from_secs(1),
        Some(router),
    )
    .await;
    let counters = Arc::clone(&handle.metrics);
    srv.state
        .set_extra_metrics(Arc::new(move || counters.openmetrics()));
    let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
    // kubectl exec into a pod, as the API server's webhook backend sends it.
    let batch = json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": [{
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
        "auditID": "a1", "stage": "ResponseComplete",
        "requestURI": "/api/v1/namespaces/shop/pods/web-0/exec?command=sh&stdin=true&tty=true",
        "verb": "create",
        "user": {"username": "alice", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.5"],
        "objectRef": {"resource": "pods", "namespace": "shop", "name": "web-0",
                      "apiVersion": "v1", "subresource": "exec"},
        "responseStatus": {"metadata": {}, "code": 201},
        "requestReceivedTimestamp": "2026-12-05T08:00:00.000000Z",
        "stageTimestamp": "2026-12-05T08:00:00.010000Z"
    }]});
    let (s, _) = c
        .request("POST", "/audit", serde_json::to_vec(&batch).unwrap())
        .await;
    assert_eq!(s, 202);
    assert!(handle.wait_idle(Duration::from_secs(10)).await);
    assert_eq!(*seen.lock().unwrap(), vec!["KW-AUD-001".to_string()]);
    // Admission still answers on the same listener.
    let (s, _) = c.request("GET", "/healthz", Vec::new()).await;
    assert_eq!(s, 200);
    let (s, body) = c.request("GET", "/metrics", Vec::new()).await;
    assert_eq!(s, 200);
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains("# TYPE kubeward_audit_webhook_batches_received counter"),
        "{text}"
    );
    assert!(
        text.contains("kubeward_audit_webhook_batches_received_total 1\n"),
        "{text}"
    );
    assert!(
        text.contains("kubeward_audit_webhook_alerts_total 1\n"),
        "{text}"
    );
    // One OpenMetrics document: a single terminator, at the end.
    assert_eq!(text.matches("# EOF").count(), 1, "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}
