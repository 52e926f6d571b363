//! `kubeward rbac ...` end to end: the binary on a fixture, outputs pinned with insta.

use assert_cmd::Command;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/rbac/cluster.yaml"
);

fn run(args: &[&str]) -> (String, String, i32) {
    let out = Command::cargo_bin("kubeward")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr)
            .unwrap()
            .replace(FIXTURE, "FIXTURE"),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn who_can_text_in_a_namespace() {
    let (out, err, code) = run(&[
        "rbac", "who-can", "get", "secrets", "-n", "payments", FIXTURE,
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    insta::assert_snapshot!(out);
}

#[test]
fn who_can_json_shape() {
    let (out, _, code) = run(&[
        "rbac",
        "who-can",
        "create",
        "pods/exec",
        "-n",
        "payments",
        FIXTURE,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for s in v["subjects"].as_array().unwrap() {
        let keys: Vec<&str> = s.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, vec!["kind", "name", "namespace", "via"]);
        for via in s["via"].as_array().unwrap() {
            let keys: Vec<&str> = via
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.as_str())
                .collect();
            assert_eq!(keys, vec!["binding", "role"]);
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn who_can_named_objects_and_cluster_scoped_warning() {
    let (out, _, _) = run(&["rbac", "who-can", "get", "configmaps", FIXTURE]);
    insta::assert_snapshot!("named_only", out);
    let (out, _, _) = run(&[
        "rbac",
        "who-can",
        "get",
        "configmaps",
        "--name",
        "shared-config",
        "-n",
        "payments",
        FIXTURE,
    ]);
    assert!(out.contains("User auditor"), "{out}");
    let (out, err, code) = run(&[
        "rbac",
        "who-can",
        "get",
        "nodes/proxy",
        "-n",
        "payments",
        FIXTURE,
    ]);
    assert_eq!(code, 0);
    assert!(err.contains("`nodes` is cluster-scoped"), "{err}");
    assert!(out.contains("cluster-wide"));
}

#[test]
fn can_lists_like_kubectl() {
    let (out, _, code) = run(&["rbac", "can", "pod:payments/api", "-n", "payments", FIXTURE]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
    let (out, _, _) = run(&[
        "rbac",
        "can",
        "sa:payments/api",
        "-n",
        "payments",
        FIXTURE,
        "--format",
        "json",
    ]);
    insta::assert_snapshot!("can_json", out);
}

#[test]
fn can_answers_one_question_with_exit_code() {
    let (out, _, code) = run(&[
        "rbac",
        "can",
        "group:payments-devs",
        "--verb",
        "create",
        "--resource",
        "pods/exec",
        "-n",
        "payments",
        FIXTURE,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("yes (RoleBinding/payments/devs-edit → ClusterRole/system:aggregate-to-edit"),
        "{out}"
    );
    let (out, _, code) = run(&[
        "rbac",
        "can",
        "user:bob",
        "--verb",
        "get",
        "--resource",
        "secrets",
        "-n",
        "payments",
        FIXTURE,
    ]);
    assert_eq!((code, out.as_str()), (1, "User bob: no\n"));
}

#[test]
fn graph_formats() {
    let (dot, _, code) = run(&["rbac", "graph", FIXTURE]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("graph_dot", dot);
    let (m, _, _) = run(&["rbac", "graph", FIXTURE, "--format", "mermaid", "--risky"]);
    insta::assert_snapshot!("graph_mermaid_risky", m);
    let (j, _, _) = run(&[
        "rbac",
        "graph",
        FIXTURE,
        "--format",
        "json",
        "--subject",
        "sa:payments/api",
    ]);
    insta::assert_snapshot!("graph_json_subject", j);
}

#[test]
fn input_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n").unwrap();
    let (out, err, code) = run(&["rbac", "who-can", "get", "pods", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("bad.yaml:"), "{err}");
    let (_, err, code) = run(&["rbac", "can", "nobody", FIXTURE]);
    assert_eq!(code, 2);
    assert!(err.contains("expected user:NAME"), "{err}");
}

#[test]
fn a_pod_without_a_token_cannot_use_its_service_account() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/rbac/no-token.yaml"
    );
    // The ServiceAccount sets automountServiceAccountToken: false: the pod holds no token.
    let (out, _, code) = run(&[
        "rbac",
        "can",
        "pod:shop/web",
        "--verb",
        "get",
        "--resource",
        "secrets",
        fixture,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no (no token mounted; its ServiceAccount could: RoleBinding/shop/rb2 → Role/shop/sec rules[0])"),
        "{out}"
    );
    let (out, _, code) = run(&[
        "rbac",
        "can",
        "pod:shop/web",
        "--verb",
        "get",
        "--resource",
        "secrets",
        "--format",
        "json",
        fixture,
    ]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let entry = &v["Pod shop/web (ServiceAccount shop/api)"];
    assert_eq!(entry["allowed"], false, "{v}");
    assert_eq!(entry["token_mounted"], false, "{v}");
    // The ServiceAccount itself is allowed.
    let (out, _, code) = run(&[
        "rbac",
        "can",
        "sa:shop/api",
        "--verb",
        "get",
        "--resource",
        "secrets",
        fixture,
    ]);
    assert_eq!(code, 0, "{out}");
}
