//! KW-PSS-202: workloads that their namespace's enforced Pod Security level would reject.

use super::pss::{self, labels};
use kubeward_core::config::PssLevel;
use kubeward_core::{
    Check, Emitter, InventoryCtx, Layer, Object, PodSpec, Rule, RuleMeta, Severity, Status,
};
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-202",
        name: "workload-rejected-by-namespace-pod-security",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Workload breaks the Pod Security level its namespace enforces",
        why: "The namespace's `pod-security.kubernetes.io/enforce` label (at its \
              `enforce-version`) decides which pods the API server admits. A Pod that breaks it \
              is refused; a Deployment, StatefulSet, DaemonSet, Job or CronJob that breaks it is \
              accepted (with a warning) but none of its pods can be created, so the rollout \
              hangs. kubeward evaluates each pod spec at the namespace's own level and version, \
              whatever profile `--pod-security` selects, with the same checks as KW-PSS-001 to \
              KW-PSS-107. Namespaces must be in the scan; exemptions in the cluster's \
              AdmissionConfiguration are not visible.",
        fix: "Fix the listed fields (each related location names one), or, if the workload truly \
              needs more, move it to a namespace whose level allows it.",
        references: &[
            ("pss", "enforce"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

/// An inventory rule: each namespace's labels are read once (the last Namespace object of a
/// name wins, as `kubectl apply` would leave it), then its workloads are evaluated.
fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let mut namespaces: BTreeMap<&str, &Object> = BTreeMap::new();
    for ns in ctx.inventory.of_kind("Namespace") {
        if ns.group().is_empty() {
            namespaces.insert(ns.name.as_str(), ns);
        }
    }
    for (name, ns) in namespaces {
        let policy = labels::read(ns);
        if policy.enforce.level == PssLevel::Privileged {
            continue;
        }
        for object in ctx.inventory.in_namespace(Some(name)) {
            if let Some(pod) = PodSpec::of(object) {
                workload(object, &pod, name, ns, &policy, out);
            }
        }
    }
}

fn workload(
    object: &Object,
    pod: &PodSpec<'_>,
    ns_name: &str,
    ns: &Object,
    policy: &labels::NamespacePolicy,
    out: &mut Emitter<'_>,
) {
    let violations: Vec<_> = pss::evaluate(pod, policy.enforce.profile())
        .into_iter()
        .filter(|v| v.status == Status::Fail)
        .collect();
    let Some(first) = violations.first() else {
        return;
    };
    let mut checks: Vec<&str> = violations.iter().map(|v| v.check).collect();
    checks.dedup();
    let consequence = if object.kind == "Pod" && object.group().is_empty() {
        "the API server refuses this Pod".to_string()
    } else {
        format!(
            "the {} is admitted, but the API server refuses every pod it creates",
            object.kind
        )
    };
    let profile = policy.enforce.describe();
    let f = out.report(
        object,
        first.pointer.clone(),
        format!(
            "namespace {:?} enforces {profile} and {consequence}: it breaks {}",
            ns_name,
            checks.join(", ")
        ),
    );
    f.reference("pss", checks.join(", "));
    for v in &violations {
        f.related(
            object.id,
            v.pointer.clone(),
            format!("{}: {}", v.check, v.message),
        );
    }
    f.related(
        ns.id,
        policy.enforce.level_pointer.clone(),
        format!("namespace {ns_name:?} enforces {profile}"),
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::at;
    use kubeward_core::testing::{pointers, run};

    fn ns(labels: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {labels}\n---\n"
        )
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\nspec:\n  template:\n    spec:\n      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n      containers:\n      - name: a\n        image: x\n        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n        ports: [{containerPort: 80, hostPort: 80}]\n";

    #[test]
    fn workload_breaking_the_enforced_level() {
        let y = format!(
            "{}{DEPLOY}",
            ns("{pod-security.kubernetes.io/enforce: baseline}")
        );
        // Whatever profile the scan itself uses.
        let hits = at(&RULE, "privileged", &y);
        assert_eq!(
            pointers(&hits),
            vec!["/spec/template/spec/containers/0/ports/0/hostPort"]
        );
        let m = &hits[0].message;
        assert!(m.contains("enforces baseline:latest"), "{m}");
        assert!(m.contains("Deployment is admitted, but"), "{m}");
        assert!(m.contains("hostPorts"), "{m}");
    }

    #[test]
    fn evaluated_at_the_namespace_version() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: a, image: x, readinessProbe: {httpGet: {host: 10.0.0.1, port: 80}}}]\n";
        let y = format!(
            "{}{pod}",
            ns(
                "{pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: v1.33}"
            )
        );
        assert!(
            run(&RULE, &y).is_empty(),
            "the probe host check starts at v1.34"
        );
        let y = format!(
            "{}{pod}",
            ns(
                "{pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: v1.34}"
            )
        );
        let hits = run(&RULE, &y);
        assert_eq!(hits.len(), 1);
        assert!(hits[0].message.contains("refuses this Pod"));
    }

    #[test]
    fn quiet_when_allowed_or_namespace_unknown() {
        let y = format!(
            "{}{DEPLOY}",
            ns("{pod-security.kubernetes.io/enforce: privileged}")
        );
        assert!(run(&RULE, &y).is_empty());
        assert!(
            run(&RULE, DEPLOY).is_empty(),
            "no Namespace object in the scan"
        );
        let ok = DEPLOY.replace(", hostPort: 80", "");
        let y = format!(
            "{}{ok}",
            ns("{pod-security.kubernetes.io/enforce: restricted}")
        );
        assert!(run(&RULE, &y).is_empty());
    }

    #[test]
    fn the_last_namespace_object_of_a_name_wins() {
        let y = format!(
            "{}{}{DEPLOY}",
            ns("{pod-security.kubernetes.io/enforce: baseline}"),
            ns("{pod-security.kubernetes.io/enforce: privileged}")
        );
        assert!(run(&RULE, &y).is_empty());
        let y = format!(
            "{}{}{DEPLOY}",
            ns("{pod-security.kubernetes.io/enforce: privileged}"),
            ns("{pod-security.kubernetes.io/enforce: baseline}")
        );
        assert_eq!(run(&RULE, &y).len(), 1);
    }
}
