//! KW-PSS-107 (`procMount_restricted`): unmasked /proc, even in a user namespace.

use super::pss::{PssCheck, Sink, Version, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-107",
        name: "proc-mount-unmasked-restricted",
        layer: Layer::PodToNode,
        severity: Severity::High,
        title: "Container mounts /proc unmasked (restricted: also in a user namespace)",
        why: "An unmasked /proc exposes and lets a process change kernel settings the runtime \
              normally hides. From v1.35 the baseline level allows it for pods with \
              `hostUsers: false`; the restricted level keeps requiring the default mask for every \
              pod and replaces the baseline check (KW-PSS-009) with this one. Pod Security \
              Standards: restricted, from v1.35.",
        fix: "Remove `securityContext.procMount` or set it to `Default`.",
        references: &[
            ("pss", "procMount_restricted"),
            ("mitre", "T1611"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "procMount_restricted",
    level: PssLevel::Restricted,
    versions: &[Version {
        since: 35,
        check: v1_35,
        overrides: &["procMount"],
    }],
    rule: &RULE,
};

fn v1_35(pod: &PodSpec<'_>, s: &mut Sink) {
    super::proc_mount::check_containers(pod, s, "");
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::pointers;

    #[test]
    fn no_user_namespace_relaxation() {
        let y = pod(
            "  hostUsers: false\n  containers: [{name: a, image: x, securityContext: {procMount: Unmasked}}]\n  ephemeralContainers: [{name: e, image: x, securityContext: {procMount: Unmasked}}]\n",
        );
        assert_eq!(
            pointers(&at(&RULE, "restricted:v1.35", &y)),
            vec![
                "/spec/containers/0/securityContext/procMount",
                "/spec/ephemeralContainers/0/securityContext/procMount"
            ]
        );
        assert!(at(&RULE, "restricted:v1.34", &y).is_empty());
        assert!(at(&RULE, "baseline:latest", &y).is_empty());
    }

    #[test]
    fn quiet_for_default() {
        let y = pod("  containers: [{name: a, image: x, securityContext: {procMount: Default}}]\n");
        assert!(at(&RULE, "restricted", &y).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{initContainers: [{name: i, image: x, securityContext: {procMount: Unmasked}}], containers: [{name: a, image: x}]}",
        ) {
            assert_eq!(at(&RULE, "restricted", &y).len(), 1, "{kind}");
        }
    }
}
