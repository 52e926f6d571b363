//! KW-PSS-201: namespaces with workloads whose Pod Security admission enforces nothing.

use super::pss::labels::{self, Mode};
use kubeward_core::config::PssLevel;
use kubeward_core::{
    Check, Emitter, InventoryCtx, Layer, Object, PodSpec, Rule, RuleMeta, Severity,
};
use std::collections::HashMap;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-201",
        name: "namespace-pod-security-not-enforced",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Namespace with workloads enforces no Pod Security level (or only privileged)",
        why: "Pod Security admission only blocks what a namespace's \
              `pod-security.kubernetes.io/enforce` label asks for. Without the label (or with \
              `privileged`) anyone who may create a pod or a workload in the namespace can run \
              it privileged, with the node's namespaces and file system: a compromised CI token \
              or controller becomes a compromised node. `audit` and `warn` labels only record \
              and warn; they block nothing. kubeward sees the Namespace objects in the scan, not \
              the cluster's AdmissionConfiguration, whose defaults and exemptions may differ.",
        fix: "Label the namespace `pod-security.kubernetes.io/enforce: restricted` (or \
              `baseline` where restricted is not yet possible), with `enforce-version: latest` \
              or a recent pinned version. Roll out with `warn` and `audit` at the target level \
              first to see what would break.",
        references: &[
            ("pss", "enforce"),
            ("cis", "5.2.1"),
            ("mitre", "T1610"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

/// An inventory rule: the workloads of a namespace are counted once, however many Namespace
/// objects of that name the scan holds.
fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let mut workloads_of: HashMap<&str, Vec<&Object>> = HashMap::new();
    for ns in ctx.inventory.of_kind("Namespace") {
        if !ns.group().is_empty() {
            continue;
        }
        let policy = labels::read(ns);
        if policy.enforce.level != PssLevel::Privileged || !policy.errors.is_empty() {
            continue;
        }
        let workloads = workloads_of.entry(ns.name.as_str()).or_insert_with(|| {
            ctx.inventory
                .in_namespace(Some(&ns.name))
                .filter(|o| PodSpec::of(o).is_some())
                .collect()
        });
        if workloads.is_empty() {
            continue;
        }
        report(ns, &policy, workloads, out);
    }
}

fn report(
    ns: &Object,
    policy: &labels::NamespacePolicy,
    workloads: &[&Object],
    out: &mut Emitter<'_>,
) {
    let what = if policy.enforce.level_set {
        "enforces only the privileged level (`pod-security.kubernetes.io/enforce: privileged`)"
    } else {
        "enforces no Pod Security level (no `pod-security.kubernetes.io/enforce` label)"
    };
    let others: Vec<String> = [Mode::Audit, Mode::Warn]
        .into_iter()
        .filter(|m| policy.mode(*m).level > PssLevel::Privileged)
        .map(|m| format!("{} at {}", m.as_str(), policy.mode(m).describe()))
        .collect();
    let tail = if others.is_empty() {
        String::new()
    } else {
        format!(
            "; it only {} ({}), which blocks nothing",
            if others.len() == 2 {
                "audits and warns"
            } else if others[0].starts_with("audit") {
                "audits"
            } else {
                "warns"
            },
            others.join(", ")
        )
    };
    let f = out.report(
        ns,
        policy.enforce.level_pointer.clone(),
        format!(
            "namespace {:?} {what}, yet holds {} workload{}: any pod, privileged included, is \
             admitted{tail}",
            ns.name.as_str(),
            workloads.len(),
            if workloads.len() == 1 { "" } else { "s" }
        ),
    );
    for w in workloads.iter().take(5) {
        let spec = PodSpec::of(w).map(|p| p.spec_ptr).unwrap_or("");
        f.related(
            w.id,
            spec,
            format!("workload {} in this namespace", w.display()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    const WORKLOAD: &str = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\nspec: {template: {spec: {containers: [{name: a, image: x}]}}}\n";

    #[test]
    fn fires_without_an_enforce_label() {
        let y = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {{pod-security.kubernetes.io/warn: restricted}}\n{WORKLOAD}"
        );
        let hits = run(&RULE, &y);
        assert_eq!(
            pointers(&hits),
            vec!["/metadata/labels/pod-security.kubernetes.io~1enforce"]
        );
        assert_eq!(hits[0].line, 5, "shown at the labels");
        assert!(
            hits[0]
                .message
                .contains("no `pod-security.kubernetes.io/enforce` label")
        );
        assert!(
            hits[0]
                .message
                .contains("only warns (warn at restricted:latest)"),
            "{}",
            hits[0].message
        );
        assert!(hits[0].message.contains("1 workload:"));
    }

    #[test]
    fn fires_for_explicit_privileged() {
        let y = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: privileged\n{WORKLOAD}"
        );
        let hits = run(&RULE, &y);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, 6);
        assert!(hits[0].message.contains("only the privileged level"));
    }

    #[test]
    fn quiet_when_enforcing_or_empty() {
        let y = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {{pod-security.kubernetes.io/enforce: baseline}}\n{WORKLOAD}"
        );
        assert!(run(&RULE, &y).is_empty());
        // No workloads in the namespace.
        assert!(
            run(
                &RULE,
                "apiVersion: v1\nkind: Namespace\nmetadata: {name: empty}\n"
            )
            .is_empty()
        );
        // Workloads elsewhere.
        let y = format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: other}}\n{WORKLOAD}");
        assert!(run(&RULE, &y).is_empty());
    }

    #[test]
    fn each_namespace_object_is_reported() {
        // The same namespace defined in two files: both definitions lack the label.
        let y = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: shop}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: shop}}\n{WORKLOAD}"
        );
        let hits = run(&RULE, &y);
        assert_eq!(hits.len(), 2);
        assert!(hits.iter().all(|h| h.message.contains("1 workload:")));
    }
}
