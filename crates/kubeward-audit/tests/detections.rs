//! Golden tests per detection: events written here, one case that fires (snapshot of the
//! alerts) and one that does not.

mod common;
use common::*;
use serde_json::{Value, json};

fn golden(name: &str, rule: &str, firing: &[Value], quiet: &[Value]) {
    let fired = of(&run(firing), rule);
    assert!(!fired.is_empty(), "{rule} did not fire");
    insta::assert_yaml_snapshot!(name, fired);
    let none = of(&run(quiet), rule);
    assert!(none.is_empty(), "{rule} fired on the quiet case: {none:#?}");
}

fn pod(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "prod"}, "spec": spec})
}

#[test]
fn aud_001_exec() {
    let mut e = ev("alice", "create", "pods/exec", Some("prod"), Some("web"));
    e["requestURI"] = json!(
        "/api/v1/namespaces/prod/pods/web/exec?command=sh&command=-c&command=cat%20%2Fetc%2Fshadow&container=app&stdin=true"
    );
    let denied = with(
        ev("alice", "create", "pods/exec", Some("prod"), Some("web")),
        "responseStatus",
        json!({"code": 403}),
    );
    let log = ev("alice", "get", "pods/log", Some("prod"), Some("web"));
    golden("aud_001_exec", "KW-AUD-001", &[e], &[denied, log]);
}

#[test]
fn aud_002_port_forward() {
    let e = ev(
        "bob",
        "create",
        "pods/portforward",
        Some("db"),
        Some("postgres-0"),
    );
    let pods = ev("bob", "get", "pods", Some("db"), Some("postgres-0"));
    golden("aud_002_port_forward", "KW-AUD-002", &[e], &[pods]);
}

#[test]
fn aud_003_ephemeral() {
    let e = with(
        ev(
            "carol",
            "patch",
            "pods/ephemeralcontainers",
            Some("prod"),
            Some("web"),
        ),
        "responseObject",
        pod(
            json!({"containers": [{"name": "app", "image": "app:1"}], "ephemeralContainers": [{"name": "debugger", "image": "busybox:1.36"}]}),
        ),
    );
    let status = ev("kubelet", "patch", "pods/status", Some("prod"), Some("web"));
    golden("aud_003_ephemeral", "KW-AUD-003", &[e], &[status]);
}

#[test]
fn aud_004_dangerous_workload_uses_scan_rules() {
    let bad = with(
        ev("mallory", "create", "pods", Some("prod"), Some("web")),
        "requestObject",
        pod(json!({
            "hostPID": true,
            "hostNetwork": true,
            "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
            "containers": [{"name": "app", "image": "app:1", "securityContext": {"privileged": true},
                            "volumeMounts": [{"name": "root", "mountPath": "/host"}]}]
        })),
    );
    let good = with(
        ev("alice", "create", "pods", Some("prod"), Some("web")),
        "requestObject",
        pod(json!({"containers": [{"name": "app", "image": "app:1"}]})),
    );
    let fired = of(&run(std::slice::from_ref(&bad)), "KW-AUD-004");
    let underlying: Vec<&str> = fired.iter().filter_map(|a| a.underlying_rule).collect();
    for id in ["KW-PSS-002", "KW-PSS-003", "KW-PSS-005", "KW-CTR-007"] {
        assert!(underlying.contains(&id), "{id} missing from {underlying:?}");
    }
    golden("aud_004_dangerous_workload", "KW-AUD-004", &[bad], &[good]);
}

#[test]
fn aud_004_workloads_and_undecided_bodies() {
    let deploy = with(
        ev(
            "mallory",
            "create",
            "deployments",
            Some("prod"),
            Some("api"),
        ),
        "requestObject",
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
               "spec": {"template": {"spec": {"hostIPC": true, "containers": [{"name": "c", "image": "x:1"}]}}}}),
    );
    let fired = of(&run(&[deploy]), "KW-AUD-004");
    assert_eq!(fired.len(), 1, "{fired:#?}");
    assert_eq!(fired[0].underlying_rule, Some("KW-PSS-002"));
    assert_eq!(
        fired[0].pointer.as_deref(),
        Some("/spec/template/spec/hostIPC")
    );
    // Metadata level: no body, counted as undecided rather than passed.
    let text = lines(&[ev("mallory", "create", "pods", Some("prod"), Some("web"))]);
    let (alerts, summary) = run_text(text.as_bytes(), "");
    assert!(alerts.is_empty());
    assert_eq!(summary.undecided.get("KW-AUD-004").map(|u| u.0), Some(1));
}

#[test]
fn aud_005_secret_read() {
    let human = ev(
        "dave@example.com",
        "get",
        "secrets",
        Some("prod"),
        Some("db-password"),
    );
    let controller = ev(
        "system:serviceaccount:kube-system:generic-garbage-collector",
        "get",
        "secrets",
        Some("prod"),
        Some("db-password"),
    );
    // The pod's own service account reading the secret its pod mounts.
    let create = with(
        ev(
            "system:serviceaccount:kube-system:replicaset-controller",
            "create",
            "pods",
            Some("prod"),
            Some("api-1"),
        ),
        "requestObject",
        pod(
            json!({"serviceAccountName": "api", "containers": [{"name": "c", "image": "x:1", "env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "db-password", "key": "p"}}}]}]}),
        ),
    );
    let own = ev(
        "system:serviceaccount:prod:api",
        "get",
        "secrets",
        Some("prod"),
        Some("db-password"),
    );
    let token = ev(
        "system:serviceaccount:prod:api",
        "get",
        "secrets",
        Some("prod"),
        Some("api-token-x7f2"),
    );
    let foreign = ev(
        "system:serviceaccount:prod:web",
        "get",
        "secrets",
        Some("prod"),
        Some("db-password"),
    );
    golden(
        "aud_005_secret_read",
        "KW-AUD-005",
        &[human, foreign],
        &[controller, create, own, token],
    );
}

#[test]
fn aud_005_configured_readers() {
    let e = ev(
        "system:serviceaccount:vault:vault",
        "get",
        "secrets",
        Some("prod"),
        Some("x"),
    );
    assert_eq!(of(&run(std::slice::from_ref(&e)), "KW-AUD-005").len(), 1);
    let cfg = "audit:\n  secret_readers:\n    - {subject: \"system:serviceaccount:vault:*\"}\n";
    assert!(of(&run_cfg(&[e], cfg), "KW-AUD-005").is_empty());
}

#[test]
fn aud_006_secret_list() {
    let all = ev("eve", "list", "secrets", None, None);
    let watch = ev(
        "system:serviceaccount:kube-system:namespace-controller",
        "watch",
        "secrets",
        None,
        None,
    );
    let forbidden = with(
        ev("eve", "list", "secrets", Some("prod"), None),
        "responseStatus",
        json!({"code": 403}),
    );
    golden(
        "aud_006_secret_list",
        "KW-AUD-006",
        &[all],
        &[watch, forbidden],
    );
}

#[test]
fn aud_007_anonymous() {
    let mut e = ev("system:anonymous", "list", "pods", None, None);
    e["user"]["groups"] = json!(["system:unauthenticated"]);
    e["annotations"]["authorization.k8s.io/reason"] = json!(
        "RBAC: allowed by ClusterRoleBinding \"oops\" of ClusterRole \"view\" to Group \"system:unauthenticated\""
    );
    let mut health = json!({"kind": "Event", "stage": "ResponseComplete", "verb": "get", "auditID": "h",
        "requestURI": "/healthz", "user": {"username": "system:anonymous"}, "responseStatus": {"code": 200},
        "annotations": {"authorization.k8s.io/decision": "allow"}});
    let denied = with(
        ev("system:anonymous", "list", "secrets", None, None),
        "responseStatus",
        json!({"code": 403}),
    );
    health["stageTimestamp"] = json!("2026-12-05T08:00:00Z");
    golden("aud_007_anonymous", "KW-AUD-007", &[e], &[health, denied]);
}

fn binding(kind: &str, role: &str, subjects: Value) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "b"},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
           "subjects": subjects})
}

#[test]
fn aud_008_cluster_admin_binding() {
    let e = with(
        ev(
            "mallory",
            "create",
            "clusterrolebindings",
            None,
            Some("backdoor"),
        ),
        "requestObject",
        binding(
            "ClusterRoleBinding",
            "cluster-admin",
            json!([{"kind": "ServiceAccount", "name": "default", "namespace": "prod"}]),
        ),
    );
    let view = with(
        ev(
            "alice",
            "create",
            "clusterrolebindings",
            None,
            Some("readers"),
        ),
        "requestObject",
        binding(
            "ClusterRoleBinding",
            "view",
            json!([{"kind": "Group", "name": "devs"}]),
        ),
    );
    let masters = with(
        ev(
            "alice",
            "create",
            "clusterrolebindings",
            None,
            Some("masters"),
        ),
        "requestObject",
        binding(
            "ClusterRoleBinding",
            "cluster-admin",
            json!([{"kind": "Group", "name": "system:masters"}]),
        ),
    );
    golden(
        "aud_008_cluster_admin_binding",
        "KW-AUD-008",
        &[e],
        &[view, masters],
    );
}

#[test]
fn aud_008_wildcard_role_is_equivalent() {
    let role = with(
        ev(
            "mallory",
            "create",
            "clusterroles",
            None,
            Some("everything"),
        ),
        "requestObject",
        json!({"kind": "ClusterRole", "metadata": {"name": "everything"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
    );
    let bind = with(
        ev("mallory", "create", "clusterrolebindings", None, Some("b")),
        "requestObject",
        binding(
            "ClusterRoleBinding",
            "everything",
            json!([{"kind": "User", "name": "mallory"}]),
        ),
    );
    let fired = of(&run(&[role, bind]), "KW-AUD-008");
    assert_eq!(fired.len(), 1);
    assert!(
        fired[0].message.contains("everything"),
        "{}",
        fired[0].message
    );
}

#[test]
fn aud_009_wildcard_role() {
    let e = with(
        ev("alice", "create", "roles", Some("prod"), Some("all")),
        "requestObject",
        json!({"kind": "Role", "rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}]}),
    );
    let narrow = with(
        ev("alice", "create", "roles", Some("prod"), Some("read")),
        "requestObject",
        json!({"kind": "Role", "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}),
    );
    golden("aud_009_wildcard_role", "KW-AUD-009", &[e], &[narrow]);
}

#[test]
fn aud_010_system_rbac() {
    let e = ev("alice", "patch", "clusterroles", None, Some("system:node"));
    let reconcile = ev(
        "system:apiserver",
        "update",
        "clusterroles",
        None,
        Some("system:node"),
    );
    let own = ev("alice", "patch", "clusterroles", None, Some("team-reader"));
    golden("aud_010_system_rbac", "KW-AUD-010", &[e], &[reconcile, own]);
}

#[test]
fn aud_011_pod_in_kube_system() {
    let e = ev(
        "alice",
        "create",
        "pods",
        Some("kube-system"),
        Some("debug"),
    );
    let ds = ev(
        "system:serviceaccount:kube-system:daemon-set-controller",
        "create",
        "pods",
        Some("kube-system"),
        Some("kube-proxy-x"),
    );
    let elsewhere = ev("alice", "create", "pods", Some("prod"), Some("debug"));
    golden(
        "aud_011_pod_in_kube_system",
        "KW-AUD-011",
        &[e],
        &[ds, elsewhere],
    );
}

#[test]
fn aud_012_sa_in_kube_system() {
    let e = ev(
        "alice",
        "create",
        "serviceaccounts",
        Some("kube-system"),
        Some("helper"),
    );
    let elsewhere = ev(
        "alice",
        "create",
        "serviceaccounts",
        Some("prod"),
        Some("helper"),
    );
    golden(
        "aud_012_sa_in_kube_system",
        "KW-AUD-012",
        &[e],
        &[elsewhere],
    );
}

#[test]
fn aud_013_token_request() {
    let e = ev(
        "alice",
        "create",
        "serviceaccounts/token",
        Some("kube-system"),
        Some("clusterrole-aggregation-controller"),
    );
    let kubelet = ev(
        "system:node:node-1",
        "create",
        "serviceaccounts/token",
        Some("prod"),
        Some("api"),
    );
    golden("aud_013_token_request", "KW-AUD-013", &[e], &[kubelet]);
}

#[test]
fn aud_014_csr_approval() {
    let e = ev(
        "alice",
        "update",
        "certificatesigningrequests/approval",
        None,
        Some("csr-admin"),
    );
    let controller = ev(
        "system:serviceaccount:kube-system:certificate-controller",
        "update",
        "certificatesigningrequests/approval",
        None,
        Some("node-csr-abc"),
    );
    let create = ev(
        "alice",
        "create",
        "certificatesigningrequests",
        None,
        Some("csr-admin"),
    );
    golden(
        "aud_014_csr_approval",
        "KW-AUD-014",
        &[e],
        &[controller, create],
    );
}

#[test]
fn aud_015_admission_changed() {
    let e = ev(
        "mallory",
        "delete",
        "validatingwebhookconfigurations",
        None,
        Some("gatekeeper-validating-webhook-configuration"),
    );
    let create = ev(
        "alice",
        "create",
        "validatingwebhookconfigurations",
        None,
        Some("new"),
    );
    golden("aud_015_admission_changed", "KW-AUD-015", &[e], &[create]);
    // The tool's own controller, configured as such, is not reported.
    let kyverno = ev(
        "system:serviceaccount:kyverno:kyverno-admission-controller",
        "update",
        "validatingwebhookconfigurations",
        None,
        Some("kyverno-resource"),
    );
    let cfg = "audit:\n  controllers: [\"system:serviceaccount:kyverno:*\"]\n";
    assert_eq!(
        of(&run(std::slice::from_ref(&kyverno)), "KW-AUD-015").len(),
        1
    );
    assert!(of(&run_cfg(&[kyverno], cfg), "KW-AUD-015").is_empty());
}

#[test]
fn aud_016_image_policy_failed_open() {
    let mut e = ev("alice", "create", "pods", Some("prod"), Some("web"));
    e["annotations"]["imagepolicywebhook.image-policy.k8s.io/failed-open"] = json!("true");
    let ok = ev("alice", "create", "pods", Some("prod"), Some("web2"));
    golden(
        "aud_016_image_policy_failed_open",
        "KW-AUD-016",
        &[e],
        &[ok],
    );
}

#[test]
fn aud_017_exposed_service() {
    let svc = |ty: &str| {
        with(
            ev("alice", "create", "services", Some("prod"), Some("web")),
            "requestObject",
            json!({"kind": "Service", "spec": {"type": ty, "ports": [{"port": 443}]}}),
        )
    };
    golden(
        "aud_017_exposed_service",
        "KW-AUD-017",
        &[svc("NodePort"), svc("LoadBalancer")],
        &[svc("ClusterIP")],
    );
}

fn failure(user: &str, ip: &str, second: u32, code: i64) -> Value {
    let mut e = ev(user, "get", "secrets", Some("prod"), Some("x"));
    e["responseStatus"] = json!({"code": code});
    e["annotations"] = json!({"authorization.k8s.io/decision": "forbid"});
    e["sourceIPs"] = json!([ip]);
    e["stageTimestamp"] = json!(format!(
        "2026-12-05T08:{:02}:{:02}.000000Z",
        second / 60,
        second % 60
    ));
    e
}

#[test]
fn aud_018_auth_failure_burst() {
    let cfg = "audit:\n  auth_failure_threshold: 5\n  auth_failure_window_seconds: 10\n";
    // Five failures within two seconds: one alert per user and one per IP.
    let burst: Vec<Value> = (0..6)
        .map(|i| failure("scanner", "203.0.113.9", i / 3, 403))
        .collect();
    let fired = of(&run_cfg(&burst, cfg), "KW-AUD-018");
    insta::assert_yaml_snapshot!("aud_018_auth_failure_burst", fired);
    // Five failures spread over a minute: never five within ten seconds.
    let slow: Vec<Value> = (0..5)
        .map(|i| failure("scanner", "203.0.113.9", i * 12, 401))
        .collect();
    assert!(of(&run_cfg(&slow, cfg), "KW-AUD-018").is_empty());
}

#[test]
fn aud_019_source_ip() {
    let cfg = "audit:\n  allowed_source_ranges: [10.0.0.0/8, \"fd00::/8\"]\n";
    let outside = with(
        ev("alice", "get", "pods", Some("prod"), None),
        "sourceIPs",
        json!(["198.51.100.7"]),
    );
    let again = outside.clone();
    let inside = ev("alice", "get", "pods", Some("prod"), None);
    let fired = of(&run_cfg(&[outside, again], cfg), "KW-AUD-019");
    assert_eq!(fired.len(), 1, "reported once per user and address");
    insta::assert_yaml_snapshot!("aud_019_source_ip", fired);
    assert!(of(&run_cfg(std::slice::from_ref(&inside), cfg), "KW-AUD-019").is_empty());
    // Without configured ranges the rule is off.
    let e = with(inside, "sourceIPs", json!(["198.51.100.7"]));
    assert!(of(&run(&[e]), "KW-AUD-019").is_empty());
}

#[test]
fn aud_020_user_agent_change() {
    let sa = "system:serviceaccount:prod:api";
    let a = with(
        ev(sa, "get", "configmaps", Some("prod"), Some("c")),
        "userAgent",
        json!("api-server/1.2.0 (linux/amd64)"),
    );
    let upgrade = with(
        a.clone(),
        "userAgent",
        json!("api-server/1.3.0 (linux/amd64)"),
    );
    let curl = with(a.clone(), "userAgent", json!("curl/8.5.0"));
    golden(
        "aud_020_user_agent_change",
        "KW-AUD-020",
        &[a.clone(), curl],
        &[a, upgrade],
    );
}

#[test]
fn suppression_by_subject_namespace_and_expiry() {
    let e = ev("alice", "create", "pods/exec", Some("dev-1"), Some("web"));
    let cfg = "audit:\n  ignore:\n    - rules: [KW-AUD-001]\n      subject: alice\n      namespace: \"dev-*\"\n      reason: developers debug their own namespaces\n";
    let alerts = of(&run_cfg(std::slice::from_ref(&e), cfg), "KW-AUD-001");
    assert_eq!(alerts.len(), 1);
    let s = alerts[0].suppressed.as_ref().expect("suppressed");
    assert_eq!(s.reason, "developers debug their own namespaces");
    assert_eq!(s.by, "audit-config");
    let expired = format!("{cfg}      expires: 2020-01-01\n");
    assert!(
        of(&run_cfg(std::slice::from_ref(&e), &expired), "KW-AUD-001")[0]
            .suppressed
            .is_none()
    );
    let other_ns = with(
        e.clone(),
        "objectRef",
        json!({"resource": "pods", "subresource": "exec", "namespace": "prod", "name": "web"}),
    );
    assert!(
        of(&run_cfg(&[other_ns], cfg), "KW-AUD-001")[0]
            .suppressed
            .is_none()
    );
    // The top-level `ignore:` applies too (kind = the resource).
    let top = "ignore:\n  - rules: [KW-AUD-001]\n    namespace: dev-1\n    reason: sandbox\n";
    assert_eq!(
        of(&run_cfg(std::slice::from_ref(&e), top), "KW-AUD-001")[0]
            .suppressed
            .as_ref()
            .unwrap()
            .by,
        "config"
    );
    // Disabling the rule removes the alerts.
    assert!(
        of(
            &run_cfg(&[e], "rules:\n  disable: [KW-AUD-001]\n"),
            "KW-AUD-001"
        )
        .is_empty()
    );
}

#[test]
fn non_final_stages_are_not_analyzed() {
    let e = with(
        ev("alice", "create", "pods/exec", Some("prod"), Some("web")),
        "stage",
        json!("RequestReceived"),
    );
    let (alerts, summary) = run_text(lines(&[e]).as_bytes(), "");
    assert!(alerts.is_empty());
    assert_eq!((summary.events, summary.analyzed), (1, 0));
}

#[test]
fn bad_audit_config_is_located() {
    let reg = registry();
    let cfg = config("rules: {}\naudit:\n  allowed_source_ranges: [10.0.0.0/99]\n");
    let e = kubeward_audit::AuditSettings::from_config(&cfg, &reg).unwrap_err();
    assert_eq!((e.line, e.column), (3, 27), "{e}");
    assert!(e.message.contains("prefix"), "{e}");
    let cfg = config("audit:\n  unknown_key: 1\n");
    assert!(kubeward_audit::AuditSettings::from_config(&cfg, &reg).is_err());
}
