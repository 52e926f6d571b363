//! KW-PSS-009 (`procMount`): unmasked /proc.

use super::pss::{Invalid, PssCheck, Sink, Version, host_users_false, q, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-009",
        name: "proc-mount-unmasked",
        layer: Layer::PodToNode,
        severity: Severity::High,
        title: "Container mounts /proc unmasked",
        why: "The container runtime masks and makes read-only the parts of /proc that expose or \
              control the host kernel (/proc/sys, /proc/sysrq-trigger, /proc/kcore, ...). \
              `procMount: Unmasked` removes that protection, which in the node's user namespace \
              is a step to escaping the container. Pod Security Standards: baseline, every \
              version (procMount unset or `Default`); from v1.35 baseline allows any value for \
              pods in their own user namespace (`hostUsers: false`). At the restricted level \
              from v1.35 KW-PSS-107 replaces this check, without that relaxation.",
        fix: "Remove `securityContext.procMount` or set it to `Default`. Workloads that need an \
              unmasked /proc (nested containers) should run with `hostUsers: false` in a \
              namespace that allows it.",
        references: &[
            ("pss", "procMount"),
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
    id: "procMount",
    level: PssLevel::Baseline,
    versions: &[
        Version {
            since: 0,
            check: v1_0,
            overrides: &[],
        },
        Version {
            since: 35,
            check: v1_35,
            overrides: &[],
        },
    ],
    rule: &RULE,
};

fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    check_containers(pod, s, "");
}

/// From v1.35 a pod in its own user namespace may use any procMount at baseline.
fn v1_35(pod: &PodSpec<'_>, s: &mut Sink) {
    if host_users_false(pod) {
        return;
    }
    check_containers(
        pod,
        s,
        " in the node's user namespace (`hostUsers` is not false)",
    );
}

/// Containers' `securityContext.procMount` must be unset or `Default`. Shared with
/// `procMount_restricted`.
pub fn check_containers(pod: &PodSpec<'_>, s: &mut Sink, note: &str) {
    for c in pod.containers() {
        let _ = container(&c, s, note);
    }
}

fn container(c: &Container<'_>, s: &mut Sink, note: &str) -> Result<(), Invalid> {
    let sc = s.container_sc(c)?;
    let p = || c.ptr(&["securityContext", "procMount"]);
    if let Some(v) = s.str(sc, "procMount", p)? {
        if v != "Default" {
            s.fail(
                p(),
                format!(
                    "{} sets `procMount: {}`{note} (allowed: Default)",
                    c.describe(),
                    if v.is_empty() { q(v) } else { v.to_string() }
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::{pointers, run};

    const UNMASKED: &str = "  initContainers: [{name: i, image: x, securityContext: {procMount: Unmasked}}]\n  containers: [{name: a, image: x, securityContext: {procMount: Default}}]\n  ephemeralContainers: [{name: e, image: x, securityContext: {procMount: Unmasked}}]\n";

    #[test]
    fn fires_per_unmasked_container() {
        let hits = at(&RULE, "baseline", &pod(UNMASKED));
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/initContainers/0/securityContext/procMount",
                "/spec/ephemeralContainers/0/securityContext/procMount",
            ]
        );
        assert!(hits[0].message.contains("Unmasked"));
    }

    #[test]
    fn host_users_false_relaxes_baseline_from_v1_35() {
        let y = pod(&format!("  hostUsers: false\n{UNMASKED}"));
        assert_eq!(at(&RULE, "baseline:v1.34", &y).len(), 2);
        assert!(at(&RULE, "baseline:v1.35", &y).is_empty());
        let y = pod(&format!("  hostUsers: true\n{UNMASKED}"));
        assert_eq!(at(&RULE, "baseline:v1.35", &y).len(), 2);
    }

    #[test]
    fn replaced_at_restricted_from_v1_35() {
        let y = pod(UNMASKED);
        assert_eq!(at(&RULE, "restricted:v1.34", &y).len(), 2);
        assert!(at(&RULE, "restricted:v1.35", &y).is_empty());
    }

    #[test]
    fn quiet_by_default_and_not_inherited() {
        assert!(run(&RULE, &pod("  securityContext: {procMount: Unmasked}\n  containers: [{name: a, image: x}]\n")).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{containers: [{name: a, image: x, securityContext: {procMount: Unmasked}}]}",
        ) {
            assert_eq!(at(&RULE, "baseline", &y).len(), 1, "{kind}");
        }
    }
}
