//! KW-MON-005: RBAC changes are not logged.

use crate::support::audit_policy::{KINDS, Request, report_unlogged, requests};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-MON-005",
        name: "audit-policy-rbac-not-logged",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "Audit policy does not log changes to Roles, ClusterRoles or their bindings",
        why: "Binding a subject to cluster-admin, or widening a Role, is the usual way to turn a \
              foothold into persistence. A policy that drops writes to `roles`, `rolebindings`, \
              `clusterroles` or `clusterrolebindings` leaves no record of who granted what.",
        fix: "Log writes (create, update, patch, delete, deletecollection) to the four \
              `rbac.authorization.k8s.io` resources at `RequestResponse` (the body shows the \
              granted rules), before any `None` rule that could match them.",
        references: &[
            ("cis", "3.2.2"),
            ("mitre", "T1098"),
            ("kubeward", "KW-CP-008 (--audit-policy-file)"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(KINDS),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    for (resource, cluster) in [
        ("roles", false),
        ("rolebindings", false),
        ("clusterroles", true),
        ("clusterrolebindings", true),
    ] {
        let reqs: Vec<Request> = ["create", "update", "patch", "delete", "deletecollection"]
            .iter()
            .flat_map(|v| requests(v, "rbac.authorization.k8s.io", resource, "", cluster))
            .collect();
        report_unlogged(ctx, out, &format!("writing {resource}"), &reqs);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::audit_policy::policy_yaml;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn rbac_dropped() {
        let h = run(
            &RULE,
            &policy_yaml(
                "rules:\n- level: None\n  resources: [{group: rbac.authorization.k8s.io, resources: [clusterrolebindings]}]\n- level: None\n  namespaces: ['']\n  verbs: [patch]\n- level: Metadata\n",
            ),
        );
        assert_eq!(pointers(&h), ["/rules/0", "/rules/1"], "{h:?}");
        assert!(
            h[0].message
                .contains("`create clusterrolebindings.rbac.authorization.k8s.io` by alice"),
            "{h:?}"
        );
        assert!(h[1].message.contains("`patch clusterroles"), "{h:?}");
    }

    #[test]
    fn logged() {
        let h = run(
            &RULE,
            &policy_yaml("rules:\n- level: None\n  verbs: [get, list, watch]\n- level: Metadata\n"),
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
