//! KW-RES-006: ResourceQuotas without hard limits for cpu, memory or pods.

use crate::support::namespace_guards::NamespaceGuards;
use kubeward_core::{Check, Emitter, Layer, Node, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RES-006",
        name: "resource-quota-without-hard-limits",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "ResourceQuota bounds neither cpu, memory nor pods",
        why: "A ResourceQuota only stops a namespace from taking the cluster's capacity for the \
              resources its `hard` map names. A quota that counts Secrets or Services but not \
              cpu (`requests.cpu`, `limits.cpu` or `cpu`), memory (`requests.memory`, \
              `limits.memory` or `memory`) and `pods` (or `count/pods`) leaves the namespace \
              free to schedule as much compute as it wants (denial of service). What counts is \
              the namespace as a whole: a resource bounded by another ResourceQuota of the same \
              namespace in the input is not reported. Quota scopes are not evaluated: a scoped \
              quota counts as if it bounded every pod.",
        fix: "Give the namespace's ResourceQuota `hard` entries for `requests.cpu`, \
              `requests.memory`, `limits.cpu`, `limits.memory` and `pods`.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, resource policies",
            ),
            ("mitre", "T1499"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/policy/resource-quotas/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["ResourceQuota"]),
        run: check,
    },
};

/// The resources a quota must bound, with the `hard` keys that bound each.
const BOUNDS: [(&str, &[&str]); 3] = [
    ("cpu", &["requests.cpu", "limits.cpu", "cpu"]),
    ("memory", &["requests.memory", "limits.memory", "memory"]),
    ("pods", &["pods", "count/pods"]),
];

fn bounds(q: &Node, keys: &[&str]) -> bool {
    keys.iter().any(|k| q.path(&["spec", "hard", k]).is_some())
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if o.group() != "" {
        return;
    }
    let Some(ns) = o.namespace() else { return };
    let guards = NamespaceGuards::of(ctx.inventory);
    let missing: Vec<&str> = BOUNDS
        .iter()
        .filter(|(_, keys)| {
            !bounds(&o.root, keys)
                && !guards
                    .quotas(ns)
                    .iter()
                    .any(|id| bounds(&ctx.inventory.object(*id).root, keys))
        })
        .map(|(r, _)| *r)
        .collect();
    if missing.is_empty() {
        return;
    }
    let pointer = if o.root.path(&["spec", "hard"]).is_some() {
        "/spec/hard"
    } else if o.root.get("spec").is_some() {
        "/spec"
    } else {
        "/metadata/name"
    };
    out.report(
        o,
        pointer,
        format!(
            "ResourceQuota {} has no hard limit for {}, and no other ResourceQuota of namespace {ns} in the input has one: the namespace can take as much of it as the cluster has",
            o.name,
            missing.join(", ")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn quota(name: &str, hard: serde_json::Value) -> String {
        json!({"apiVersion": "v1", "kind": "ResourceQuota",
               "metadata": {"name": name, "namespace": "team"}, "spec": {"hard": hard}})
        .to_string()
    }

    #[test]
    fn fires_on_missing_bounds() {
        let hits = run(
            &RULE,
            &quota("q", json!({"secrets": "10", "services": "5"})),
        );
        assert_eq!(pointers(&hits), vec!["/spec/hard"]);
        assert!(
            hits[0]
                .message
                .contains("no hard limit for cpu, memory, pods"),
            "{}",
            hits[0].message
        );
        let hits = run(
            &RULE,
            &quota("q", json!({"requests.cpu": "4", "limits.memory": "8Gi"})),
        );
        assert!(
            hits[0].message.contains("no hard limit for pods,"),
            "{}",
            hits[0].message
        );
    }

    #[test]
    fn quiet_when_the_namespace_is_bounded() {
        assert!(
            run(
                &RULE,
                &quota(
                    "q",
                    json!({"requests.cpu": "4", "requests.memory": "8Gi", "pods": "20"})
                )
            )
            .is_empty()
        );
        assert!(
            run(
                &RULE,
                &quota(
                    "q",
                    json!({"cpu": "4", "memory": "8Gi", "count/pods": "20"})
                )
            )
            .is_empty()
        );
        let a = quota(
            "compute",
            json!({"limits.cpu": "4", "limits.memory": "8Gi"}),
        );
        let b = quota("objects", json!({"pods": "20", "secrets": "10"}));
        assert!(run(&RULE, &format!("{a}\n---\n{b}")).is_empty());
    }
}
