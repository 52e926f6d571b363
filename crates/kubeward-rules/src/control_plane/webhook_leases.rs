//! KW-CP-016: webhooks that intercept kube-system leases.

use kubeward_core::{
    Check, Emitter, Layer, Node, ObjectCtx, Rule, RuleMeta, Severity, Targets, ptr,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-016",
        name: "webhook-intercepts-leases",
        layer: Layer::ControlPlane,
        severity: Severity::Medium,
        title: "Admission webhook intercepts kube-system leases",
        why: "The controller manager and scheduler renew their leader-election Leases in \
              kube-system every few seconds. A webhook that intercepts those updates sits on the \
              control plane's critical path: when it is slow or down, leaders lose their lease, \
              controllers stop and the cluster stops healing itself. A webhook the attacker \
              controls can do the same on purpose.",
        fix: "Narrow the webhook's rules to the resources it needs, or exclude kube-system with \
              `namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, \
              operator: NotIn, values: [kube-system]}]}`.",
        references: &[(
            "docs",
            "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#avoiding-operating-on-the-kube-system-namespace",
        )],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&[
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
        ]),
        run: check,
    },
};

fn strings(n: Option<&Node>) -> Vec<&str> {
    n.map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .collect()
}

/// Whether a webhook rule matches updates of coordination.k8s.io leases.
fn rule_matches_leases(r: &Node) -> bool {
    let groups = strings(r.get("apiGroups"));
    let resources = strings(r.get("resources"));
    let ops = strings(r.get("operations"));
    (groups.contains(&"*") || groups.contains(&"coordination.k8s.io"))
        && (resources
            .iter()
            .any(|x| *x == "*" || *x == "*/*" || *x == "leases"))
        && (ops.is_empty()
            || ops
                .iter()
                .any(|o| *o == "*" || *o == "UPDATE" || *o == "CREATE"))
        && r.str_at("scope").is_none_or(|s| s != "Cluster")
}

/// Whether a namespaceSelector can match kube-system (labelled
/// `kubernetes.io/metadata.name: kube-system`). `None` when it depends on other labels.
fn selector_may_match_kube_system(sel: Option<&Node>) -> bool {
    let labels = Node::from_json(&serde_json::json!({
        "kubernetes.io/metadata.name": "kube-system"
    }));
    // An invalid selector is refused by the API server; treat it as matching.
    kubeward_core::inventory::selector_matches(sel, Some(&labels)).unwrap_or(true)
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    // The kube-system Namespace object, when scanned, has the real labels.
    let ks_labels = ctx
        .inventory
        .get("Namespace", None, "kube-system")
        .and_then(|n| n.labels());
    for (i, w) in o
        .root
        .get("webhooks")
        .map(|n| n.items())
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let Some(ri) = w
            .get("rules")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .position(rule_matches_leases)
        else {
            continue;
        };
        let sel = w.get("namespaceSelector");
        let matches = match ks_labels {
            Some(l) => kubeward_core::inventory::selector_matches(sel, Some(l)).unwrap_or(true),
            None => selector_may_match_kube_system(sel),
        };
        if matches {
            out.report(
                o,
                ptr!("/webhooks", i, "rules", ri),
                format!(
                    "webhook {} intercepts Lease updates in kube-system (leader election)",
                    w.str_at("name").unwrap_or("(unnamed)")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn leases() {
        let base = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: audit-all}\nwebhooks:\n- name: all.example.com\n  rules: [{apiGroups: ['apps'], resources: ['deployments'], operations: ['*'], apiVersions: ['*']}, {apiGroups: ['*'], resources: ['*'], operations: ['*'], apiVersions: ['*']}]\n";
        assert_eq!(pointers(&run(&RULE, base)), vec!["/webhooks/0/rules/1"]);
        let excluded = format!(
            "{base}  namespaceSelector: {{matchExpressions: [{{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}}]}}\n"
        );
        assert!(run(&RULE, &excluded).is_empty());
        let pods_only = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: p}\nwebhooks:\n- name: p.example.com\n  rules: [{apiGroups: [''], resources: ['pods'], operations: ['CREATE'], apiVersions: ['v1']}]\n";
        assert!(run(&RULE, pods_only).is_empty());
    }
}
