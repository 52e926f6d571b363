//! KW-RES-005: namespaces that run workloads and have no ResourceQuota.

use crate::support::namespace_guards::{
    NamespaceGuards, list_workloads, report_namespace, workload_namespaces,
};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RES-005",
        name: "namespace-without-resource-quota",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "Namespace runs workloads and has no ResourceQuota",
        why: "Limits bound one container; a ResourceQuota bounds the namespace. Without one, \
              whoever can create pods in the namespace (a CI token, a compromised controller, a \
              runaway autoscaler or CronJob) can create as many as the cluster will schedule \
              and take the capacity every other tenant depends on (denial of service). The rule \
              looks at the scanned input: a namespace with workloads and no ResourceQuota \
              object for it is reported once, on its Namespace object when the input has it, \
              else on its first workload. kube-system, kube-public and kube-node-lease are left \
              out. It needs the whole input and does not run at admission.",
        fix: "Add a ResourceQuota to the namespace with `hard` limits for `requests.cpu`, \
              `requests.memory`, `limits.cpu`, `limits.memory` and `pods` sized for its \
              workloads.",
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
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let guards = NamespaceGuards::of(ctx.inventory);
    for (ns, workloads) in workload_namespaces(ctx.inventory) {
        if !guards.quotas(ns).is_empty() {
            continue;
        }
        let message = format!(
            "namespace {ns} runs {} workload(s) ({}) and the scanned input has no ResourceQuota for it: nothing bounds how much of the cluster it can take",
            workloads.len(),
            list_workloads(&workloads)
        );
        report_namespace(ctx.inventory, out, ns, &workloads, message);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team}\nspec: {containers: [{name: a, image: x}]}\n";

    #[test]
    fn fires_without_a_quota_in_the_namespace() {
        let hits = run(&RULE, POD);
        assert_eq!(pointers(&hits), vec!["/metadata/namespace"]);
        assert!(
            hits[0].message.contains("no ResourceQuota"),
            "{}",
            hits[0].message
        );
        let q = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: other}\nspec: {hard: {pods: '10'}}\n";
        assert_eq!(run(&RULE, &format!("{POD}---\n{q}")).len(), 1);
    }

    #[test]
    fn quiet_with_a_quota_and_in_system_namespaces() {
        let q = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: team}\nspec: {hard: {pods: '10'}}\n";
        assert!(run(&RULE, &format!("{POD}---\n{q}")).is_empty());
        assert!(
            run(
                &RULE,
                &POD.replace("namespace: team", "namespace: kube-public")
            )
            .is_empty()
        );
    }
}
