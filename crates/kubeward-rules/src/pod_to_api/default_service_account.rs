//! KW-CTR-014: pods that run as their namespace's `default` ServiceAccount with its token.

use crate::support::service_accounts::{Token, identities};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-014",
        name: "default-service-account",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Pod uses the namespace's `default` ServiceAccount with its token",
        why: "Every pod that names no ServiceAccount runs as `default`, so all of them share one \
              API identity: a permission granted to `default` for one workload is granted to all \
              of them, and the audit log cannot tell them apart. When a RoleBinding or ClusterRoleBinding \
              in the input grants `default` something, the message says so and links the \
              bindings; what those permissions allow is judged by the RBAC rules (KW-RBAC-030, \
              KW-RBAC-031), so this finding stays low. A pod that does not \
              mount the token (`automountServiceAccountToken: false` on the pod, or on the \
              ServiceAccount) does not use the identity and is not reported.",
        fix: "Create a ServiceAccount per workload, set `serviceAccountName`, and bind roles to \
              that account only. Set `automountServiceAccountToken: false` on the `default` \
              ServiceAccount of each namespace and remove its bindings.",
        references: &[
            ("cis", "5.1.5"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, service account tokens",
            ),
            ("checkov", "CKV_K8S_41"),
            ("kubescape", "C-0189"),
            ("mitre", "T1078.004"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let ids = identities(ctx.inventory);
    for p in &ids.pods {
        if p.sa_name != "default" {
            continue;
        }
        // Unknown cannot happen for `default`; Off means the identity is not used.
        if !matches!(p.token, Token::On { .. }) {
            continue;
        }
        let how = if p.sa_field.is_some() {
            "names serviceAccountName: default"
        } else {
            "names no ServiceAccount, so it runs as `default`"
        };
        let bindings = ids.bound.get(&(p.namespace.clone(), "default".to_string()));
        let f = out.report(
            ctx.inventory.object(p.object),
            p.sa_pointer(),
            match bindings {
                Some(b) => format!(
                    "the pod {how} and mounts its token; {} binding{} in the input grant{} `default` in {} permissions that every such pod shares",
                    b.len(),
                    if b.len() == 1 { "" } else { "s" },
                    if b.len() == 1 { "s" } else { "" },
                    p.namespace
                ),
                None => format!("the pod {how} and mounts its token"),
            },
        );
        if let Some(b) = bindings {
            for (id, ptr) in b {
                let o = ctx.inventory.object(*id);
                f.related(*id, ptr.clone(), format!("{} {}", o.kind, o.name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::all_kinds;
    use crate::support::containers::fixtures::sorted;
    use kubeward_core::Severity;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn implicit_and_explicit_default_with_every_kind() {
        for (spec, ptr) in [
            (json!({"containers": [{"name": "a", "image": "x"}]}), ""),
            (
                json!({"serviceAccountName": "default", "containers": [{"name": "a", "image": "x"}]}),
                "/serviceAccountName",
            ),
            (
                json!({"serviceAccount": "default", "containers": [{"name": "a", "image": "x"}]}),
                "/serviceAccount",
            ),
        ] {
            for (kind, y, p) in all_kinds(&spec, &json!({})) {
                let hits = run(&RULE, &y);
                if kind == "PodTemplate" {
                    assert!(hits.is_empty());
                    continue;
                }
                assert_eq!(
                    sorted(pointers(&hits)),
                    sorted(vec![format!("{p}{ptr}")]),
                    "{kind}"
                );
                assert_eq!(hits[0].severity, Severity::Low);
            }
        }
    }

    #[test]
    fn quiet_without_the_token_or_with_a_dedicated_account() {
        let off = json!({"automountServiceAccountToken": false, "containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&off, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
        let sa_off = json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": "team"}, "automountServiceAccountToken": false});
        let spec = json!({"containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(
                run(&RULE, &format!("{y}\n---\n{sa_off}")).is_empty(),
                "{kind}"
            );
        }
        let own = json!({"serviceAccountName": "app", "containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&own, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
    }

    #[test]
    fn bindings_to_default_are_named_not_judged() {
        let spec = json!({"containers": [{"name": "a", "image": "x"}]});
        let rb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "default-edit", "namespace": "team"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "team"}]});
        let y = format!("{}\n---\n{rb}", all_kinds(&spec, &json!({}))[1].1);
        let hits = run(&RULE, &y);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Low);
        assert!(
            hits[0]
                .message
                .contains("1 binding in the input grants `default` in team")
        );
    }
}
