//! KW-CTR-013: pods that mount a service-account token they have no use for.

use crate::support::service_accounts::{Token, identities};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity, Status};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-013",
        name: "service-account-token-automounted",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Pod mounts a service-account token it does not appear to need",
        why: "Unless the pod or its ServiceAccount sets `automountServiceAccountToken: false`, \
              every container gets a token for the Kubernetes API at \
              /var/run/secrets/kubernetes.io/serviceaccount. Whoever compromises the container \
              can use it: to read what the ServiceAccount may read, to probe the API server, \
              and to move on as soon as anyone grants that account more. The pod's own field \
              wins over the ServiceAccount's. A pod whose ServiceAccount is a subject of a \
              RoleBinding or ClusterRoleBinding in the scanned input, or that projects a token \
              itself, is taken to need the API and is not reported; when the pod does not decide \
              and its ServiceAccount is not in the input, the result is UNKNOWN.",
        fix: "Set `automountServiceAccountToken: false` on the pod spec, or on the ServiceAccount \
              so every pod using it inherits the setting. Pods that do call the API should use \
              a dedicated ServiceAccount with a binding that grants exactly what they need.",
        references: &[
            ("cis", "5.1.6"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, service account tokens",
            ),
            ("checkov", "CKV_K8S_38"),
            ("kubescape", "C-0034"),
            ("mitre", "T1528"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let ids = identities(ctx.inventory);
    for p in &ids.pods {
        if p.projected_token {
            continue;
        }
        if ids
            .bound
            .contains_key(&(p.namespace.clone(), p.sa_name.clone()))
        {
            continue;
        }
        let obj = ctx.inventory.object(p.object);
        let sa = p.sa_name.as_str();
        match p.token {
            Token::Off => {}
            Token::On {
                pod_field,
                sa: sa_obj,
            } => {
                let (pointer, why) = if pod_field {
                    (
                        format!("{}/automountServiceAccountToken", p.spec_ptr),
                        "the pod sets automountServiceAccountToken: true".to_string(),
                    )
                } else if sa_obj.is_some() {
                    (
                        p.sa_pointer(),
                        format!(
                            "neither the pod nor ServiceAccount {sa} sets automountServiceAccountToken: false"
                        ),
                    )
                } else {
                    (
                        p.sa_pointer(),
                        format!(
                            "the pod does not set automountServiceAccountToken: false, and ServiceAccount {sa} is not in the input; Kubernetes creates it without automountServiceAccountToken: false"
                        ),
                    )
                };
                let f = out.report(
                    obj,
                    pointer,
                    format!(
                        "the pod mounts the API token of ServiceAccount {sa} ({why}), and no RoleBinding or ClusterRoleBinding in the input grants {sa} anything"
                    ),
                );
                if let Some(id) = sa_obj {
                    let s = ctx.inventory.object(id);
                    let at = if s.root.get("automountServiceAccountToken").is_some() {
                        "/automountServiceAccountToken"
                    } else {
                        "/metadata/name"
                    };
                    f.related(id, at, format!("ServiceAccount {sa}"));
                }
            }
            Token::Unknown => {
                out.report(
                    obj,
                    p.sa_pointer(),
                    format!(
                        "the pod does not set automountServiceAccountToken, and ServiceAccount {}/{sa} is not in the input: whether its token is mounted depends on that ServiceAccount",
                        p.namespace
                    ),
                )
                .status(Status::Unknown);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::all_kinds;
    use crate::support::containers::fixtures::sorted;
    use kubeward_core::Status;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn sa(name: &str, automount: Option<bool>) -> String {
        let mut v = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                           "metadata": {"name": name, "namespace": "team"}});
        if let Some(a) = automount {
            v["automountServiceAccountToken"] = json!(a);
        }
        v.to_string()
    }

    fn with(spec: serde_json::Value, extra: &[String]) -> Vec<(String, String)> {
        all_kinds(&spec, &json!({}))
            .into_iter()
            .filter(|(k, _, _)| *k != "PodTemplate")
            .map(|(k, y, p)| {
                let mut docs = vec![y];
                docs.extend_from_slice(extra);
                (format!("{k}:{p}"), docs.join("\n---\n"))
            })
            .collect()
    }

    #[test]
    fn pod_field_wins_over_the_service_account() {
        let base =
            json!({"serviceAccountName": "app", "containers": [{"name": "a", "image": "x"}]});
        // SA says false, pod says nothing: not mounted.
        for (k, y) in with(base.clone(), &[sa("app", Some(false))]) {
            assert!(run(&RULE, &y).is_empty(), "{k}");
        }
        // SA says false, pod says true: mounted.
        let mut on = base.clone();
        on["automountServiceAccountToken"] = json!(true);
        for (k, y) in with(on, &[sa("app", Some(false))]) {
            let hits = run(&RULE, &y);
            let p = k.split(':').nth(1).unwrap();
            assert_eq!(
                sorted(pointers(&hits)),
                sorted(vec![format!("{p}/automountServiceAccountToken")]),
                "{k}"
            );
            assert!(
                hits[0]
                    .message
                    .contains("the pod sets automountServiceAccountToken: true")
            );
        }
        // SA says true or nothing, pod says false: not mounted.
        let mut off = base.clone();
        off["automountServiceAccountToken"] = json!(false);
        for (k, y) in with(off, &[sa("app", None)]) {
            assert!(run(&RULE, &y).is_empty(), "{k}");
        }
        // Nobody says false.
        for (k, y) in with(base, &[sa("app", None)]) {
            let hits = run(&RULE, &y);
            let p = k.split(':').nth(1).unwrap();
            assert_eq!(
                sorted(pointers(&hits)),
                sorted(vec![format!("{p}/serviceAccountName")]),
                "{k}"
            );
            assert!(
                hits[0]
                    .message
                    .contains("neither the pod nor ServiceAccount app")
            );
        }
    }

    #[test]
    fn missing_service_accounts() {
        // A named ServiceAccount that is not in the input: cannot tell.
        let spec =
            json!({"serviceAccountName": "app", "containers": [{"name": "a", "image": "x"}]});
        for (k, y) in with(spec, &[]) {
            let hits = run(&RULE, &y);
            assert_eq!(hits.len(), 1, "{k}");
            assert_eq!(hits[0].status, Status::Unknown);
        }
        // The default ServiceAccount, as Kubernetes creates it, mounts the token.
        let spec = json!({"containers": [{"name": "a", "image": "x"}]});
        for (k, y) in with(spec, &[]) {
            let hits = run(&RULE, &y);
            assert_eq!(hits.len(), 1, "{k}");
            assert_eq!(hits[0].status, Status::Fail);
            assert!(hits[0].message.contains("not in the input"));
        }
    }

    #[test]
    fn a_bound_service_account_or_a_projected_token_means_the_api_is_needed() {
        let spec =
            json!({"serviceAccountName": "app", "containers": [{"name": "a", "image": "x"}]});
        let rb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "rb", "namespace": "team"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "app"}]})
        .to_string();
        for (k, y) in with(spec.clone(), &[sa("app", None), rb]) {
            assert!(run(&RULE, &y).is_empty(), "{k}");
        }
        let crb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "crb"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "name": "system:serviceaccount:team:app"}]})
        .to_string();
        for (k, y) in with(spec.clone(), &[sa("app", None), crb]) {
            assert!(run(&RULE, &y).is_empty(), "{k}");
        }
        // A binding for the same name in another namespace does not count.
        let other = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "rb", "namespace": "elsewhere"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "app"}]})
        .to_string();
        for (k, y) in with(spec, &[sa("app", None), other]) {
            assert_eq!(run(&RULE, &y).len(), 1, "{k}");
        }
        let projected = json!({"serviceAccountName": "app",
            "containers": [{"name": "a", "image": "x"}],
            "volumes": [{"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}]});
        for (k, y) in with(projected, &[sa("app", None)]) {
            assert!(run(&RULE, &y).is_empty(), "{k}");
        }
    }
}
