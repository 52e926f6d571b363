//! KW-CTR-009: containers without a memory limit.

use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-009",
        name: "memory-limit-missing",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Container has no memory limit",
        why: "Without a memory limit a container can take all of its node's memory, through a \
              leak or deliberately: the kernel then kills processes and the kubelet evicts other \
              pods, so one compromised or buggy workload takes down its neighbours (denial of \
              service). A limit set by the pod (`spec.resources.limits`) or defaulted by a \
              LimitRange in the namespace counts; ephemeral containers cannot have one.",
        fix: "Set `resources.limits.memory` on every container and init container, close to its \
              request, or give the namespace a LimitRange with a default memory limit.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, resource policies",
            ),
            ("checkov", "CKV_K8S_13"),
            ("kube-score", "container-resources"),
            ("polaris", "memoryLimitsMissing"),
            ("kubescape", "C-0271"),
            ("mitre", "T1499"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    super::limits::check(
        ctx,
        out,
        "memory",
        "it can exhaust the node's memory and get other pods evicted",
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::containers::common::fixtures::sorted;
    use crate::containers::common::fixtures::{all_kinds, pod_yaml};
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn per_container_with_the_nearest_pointer() {
        let y = pod_yaml(json!({
            "initContainers": [{"name": "i", "image": "x"}],
            "containers": [
                {"name": "a", "image": "x", "resources": {"limits": {"memory": "256Mi"}}},
                {"name": "b", "image": "x", "resources": {"limits": {"cpu": "1"}}},
                {"name": "c", "image": "x", "resources": {"requests": {"memory": "1Gi"}}}
            ],
            "ephemeralContainers": [{"name": "e", "image": "x"}]
        }));
        assert_eq!(
            sorted(pointers(&run(&RULE, &y))),
            sorted(vec![
                "/spec/initContainers/0",
                "/spec/containers/1/resources/limits",
                "/spec/containers/2/resources",
            ])
        );
    }

    #[test]
    fn pod_level_limits_and_limit_range_defaults_count() {
        let y = pod_yaml(json!({"resources": {"limits": {"memory": "1Gi"}},
                                "containers": [{"name": "a", "image": "x"}]}));
        assert!(run(&RULE, &y).is_empty());
        let base = pod_yaml(json!({"containers": [{"name": "a", "image": "x"}]}));
        for (item, quiet) in [
            (
                json!({"type": "Container", "default": {"memory": "512Mi"}}),
                true,
            ),
            (json!({"type": "Container", "max": {"memory": "1Gi"}}), true),
            (json!({"type": "Container", "default": {"cpu": "1"}}), false),
            (json!({"type": "Pod", "max": {"memory": "1Gi"}}), false),
        ] {
            let lr = json!({"apiVersion": "v1", "kind": "LimitRange",
                            "metadata": {"name": "l", "namespace": "team"},
                            "spec": {"limits": [item]}});
            let y = format!("{base}\n---\n{lr}");
            assert_eq!(run(&RULE, &y).is_empty(), quiet, "{item}");
            // A LimitRange in another namespace does not apply.
            let lr2 = json!({"apiVersion": "v1", "kind": "LimitRange",
                             "metadata": {"name": "l", "namespace": "other"},
                             "spec": {"limits": [item]}});
            let y2 = format!("{base}\n---\n{lr2}");
            assert_eq!(run(&RULE, &y2).len(), 1, "{item}");
        }
    }

    #[test]
    fn every_kind() {
        let spec = json!({"containers": [{"name": "a", "image": "x"}]});
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            assert_eq!(
                sorted(pointers(&run(&RULE, &y))),
                sorted(vec![format!("{p}/containers/0")]),
                "{kind}"
            );
        }
    }
}
