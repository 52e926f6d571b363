//! deploy/audit-policy.yaml: first-match evaluation of the sample policy, checking that it
//! logs what the detections need and never a Secret's body.

use kubeward_core::Node;
use kubeward_core::yaml::{Limits, load_stream};

fn policy() -> Node {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/audit-policy.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let docs = load_stream(&text, &Limits::default());
    docs.into_iter().next().unwrap().result.unwrap().unwrap()
}

fn strs(n: Option<&Node>) -> Vec<String> {
    n.map(|n| {
        n.items()
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    })
    .unwrap_or_default()
}

/// The level of the first matching rule (subset of the Policy semantics the sample uses).
fn level(p: &Node, user: &str, groups: &[&str], verb: &str, group: &str, resource: &str) -> String {
    for r in p.get("rules").unwrap().items() {
        let users = strs(r.get("users"));
        if !users.is_empty() && !users.iter().any(|u| u == user) {
            continue;
        }
        let ug = strs(r.get("userGroups"));
        if !ug.is_empty() && !ug.iter().any(|g| groups.contains(&g.as_str())) {
            continue;
        }
        let verbs = strs(r.get("verbs"));
        if !verbs.is_empty() && !verbs.iter().any(|v| v == verb) {
            continue;
        }
        if r.get("nonResourceURLs").is_some() {
            continue;
        }
        if let Some(res) = r.get("resources") {
            let hit = res.items().iter().any(|g| {
                g.str_at("group").unwrap_or("") == group && {
                    let names = strs(g.get("resources"));
                    names.is_empty() || names.iter().any(|n| n == resource)
                }
            });
            if !hit {
                continue;
            }
        }
        return r.str_at("level").unwrap().to_string();
    }
    "None".into()
}

#[test]
fn sample_policy_logs_what_detections_need_without_secret_values() {
    let p = policy();
    assert_eq!(p.str_at("kind"), Some("Policy"));
    let admin = ("alice", &["system:authenticated"][..]);
    for (verb, group, resource) in [
        ("get", "", "secrets"),
        ("create", "", "secrets"),
        ("update", "", "secrets"),
        ("create", "", "configmaps"),
        ("create", "authentication.k8s.io", "tokenreviews"),
        ("create", "", "serviceaccounts/token"),
    ] {
        assert_eq!(
            level(&p, admin.0, admin.1, verb, group, resource),
            "Metadata",
            "{verb} {resource}"
        );
    }
    for (verb, group, resource) in [
        ("create", "", "pods"),
        ("update", "apps", "deployments"),
        ("create", "rbac.authorization.k8s.io", "clusterrolebindings"),
        ("create", "", "services"),
        ("patch", "", "pods/ephemeralcontainers"),
        (
            "delete",
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations",
        ),
    ] {
        assert_eq!(
            level(&p, admin.0, admin.1, verb, group, resource),
            "Request",
            "{verb} {resource}"
        );
    }
    assert_eq!(
        level(&p, admin.0, admin.1, "create", "", "pods/exec"),
        "Metadata"
    );
    assert_eq!(
        level(
            &p,
            "system:node:n1",
            &["system:nodes"],
            "patch",
            "",
            "nodes/status"
        ),
        "None"
    );
}
