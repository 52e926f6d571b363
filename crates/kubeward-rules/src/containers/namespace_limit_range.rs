//! KW-RES-003: namespaces that run workloads and have no LimitRange.

use crate::support::namespace_guards::{
    NamespaceGuards, list_workloads, report_namespace, workload_namespaces,
};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RES-003",
        name: "namespace-without-limit-range",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "Namespace runs workloads and has no LimitRange",
        why: "A LimitRange is the namespace's safety net: it gives every container that forgets \
              them a default request and limit (cpu, memory, ephemeral-storage), and can cap \
              what one container may ask for. Without one, every container someone deploys \
              there without resources is unbounded and can starve the node it lands on (denial \
              of service). The rule looks at the scanned input: a namespace with workloads and \
              no LimitRange object for it is reported once, on its Namespace object when the \
              input has it, else on its first workload. kube-system, kube-public and \
              kube-node-lease are left out: their add-ons set their own resources. It needs \
              the whole input and does not run at admission.",
        fix: "Add a LimitRange to the namespace with a `type: Container` item that sets \
              `default` and `defaultRequest` for cpu and memory (and ephemeral-storage), and \
              `max` where tenants must be capped.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, resource policies",
            ),
            ("mitre", "T1499"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/policy/limit-range/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let guards = NamespaceGuards::of(ctx.inventory);
    for (ns, workloads) in workload_namespaces(ctx.inventory) {
        if !guards.limit_ranges(ns).is_empty() {
            continue;
        }
        let message = format!(
            "namespace {ns} runs {} workload(s) ({}) and the scanned input has no LimitRange for it: containers that set no requests or limits get none",
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

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team}\nspec:\n  template:\n    spec: {containers: [{name: a, image: x}]}\n";

    #[test]
    fn fires_once_per_namespace_with_workloads() {
        let two = format!("{DEPLOY}---\n{}", DEPLOY.replace("name: web", "name: api"));
        let hits = run(&RULE, &two);
        assert_eq!(pointers(&hits), vec!["/metadata/namespace"]);
        assert!(
            hits[0]
                .message
                .contains("namespace team runs 2 workload(s) (Deployment web, Deployment api)"),
            "{}",
            hits[0].message
        );
        // On the Namespace object when the input has it.
        let with_ns =
            format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: team}}\n---\n{DEPLOY}");
        let hits = run(&RULE, &with_ns);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].object, "Namespace team");
    }

    #[test]
    fn quiet_with_a_limit_range_without_workloads_and_in_system_namespaces() {
        let lr = "apiVersion: v1\nkind: LimitRange\nmetadata: {name: l, namespace: team}\nspec:\n  limits: [{type: Container, default: {cpu: '1'}}]\n";
        assert!(run(&RULE, &format!("{DEPLOY}---\n{lr}")).is_empty());
        let other = lr.replace("namespace: team", "namespace: other");
        assert_eq!(run(&RULE, &format!("{DEPLOY}---\n{other}")).len(), 1);
        assert!(
            run(
                &RULE,
                "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n"
            )
            .is_empty()
        );
        assert!(
            run(
                &RULE,
                &DEPLOY.replace("namespace: team", "namespace: kube-system")
            )
            .is_empty()
        );
    }
}
