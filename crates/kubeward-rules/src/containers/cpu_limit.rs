//! KW-CTR-010: containers without a CPU limit.

use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-010",
        name: "cpu-limit-missing",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "Container has no CPU limit",
        why: "Without a CPU limit a container may use every idle core of its node: a crypto miner \
              or a busy loop in a compromised pod slows every neighbour that has no guaranteed \
              request (denial of service) and raises the bill. The severity is low because CPU \
              requests already guarantee each pod its share, and some teams deliberately avoid \
              CPU limits to prevent throttling. A limit set by the pod or defaulted by a \
              LimitRange counts; ephemeral containers cannot have one.",
        fix: "Set `resources.limits.cpu` on every container and init container, or give the \
              namespace a LimitRange with a default CPU limit. If you rely on requests alone by \
              policy, disable this rule in .kubeward.yaml.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, resource policies",
            ),
            ("checkov", "CKV_K8S_11"),
            ("kube-score", "container-resources"),
            ("polaris", "cpuLimitsMissing"),
            ("kubescape", "C-0270"),
            ("mitre", "T1496"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    super::limits::check(
        ctx,
        out,
        "cpu",
        "it can take every idle core of its node from the pods next to it",
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
    fn fires_without_a_cpu_limit_only() {
        let y = pod_yaml(json!({
            "initContainers": [{"name": "i", "image": "x", "resources": {"limits": {"cpu": "100m"}}}],
            "containers": [{"name": "a", "image": "x", "resources": {"limits": {"memory": "1Gi"}}}],
            "ephemeralContainers": [{"name": "e", "image": "x"}]
        }));
        assert_eq!(
            sorted(pointers(&run(&RULE, &y))),
            sorted(vec!["/spec/containers/0/resources/limits"])
        );
        let spec = json!({"resources": {"limits": {"cpu": "2"}},
                          "containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
    }
}
