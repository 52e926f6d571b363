//! KW-PSS-105 (`seccompProfile_restricted`): containers without a confining seccomp profile.

use super::pss::{PssCheck, Sink, Version, is_windows, run_rule};
use super::seccomp_profile_baseline::{
    container_sc_ptr, describe_type, pod_sc_ptr, profile_type, valid_type,
};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-105",
        name: "seccomp-not-set",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Containers do not run with a RuntimeDefault or Localhost seccomp profile",
        why: "Without a seccomp profile a container can make every system call, including the \
              rarely needed ones most kernel exploits and container escapes use; whether the \
              kubelet applies RuntimeDefault on its own depends on node configuration you cannot \
              see from the manifest. Pod Security Standards: restricted, from v1.19: the \
              pod-level securityContext sets `seccompProfile.type` to RuntimeDefault or Localhost \
              (containers may then leave it unset) or every container does; any other explicit \
              value fails at either level. From v1.25 Windows pods are exempt. Replaces \
              KW-PSS-010 at the restricted level.",
        fix: "Set `spec.securityContext.seccompProfile.type: RuntimeDefault` (or `Localhost` \
              with a reviewed profile) and remove `Unconfined` overrides from containers.",
        references: &[
            ("pss", "seccompProfile_restricted"),
            ("cis", "5.7.2"),
            ("checkov", "CKV_K8S_31"),
            ("kubescape", "C-0210"),
            ("mitre", "T1562.001"),
            (
                "docs",
                "https://kubernetes.io/docs/tutorials/security/seccomp/",
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
    id: "seccompProfile_restricted",
    level: PssLevel::Restricted,
    versions: &[
        Version {
            since: 19,
            check: v1_19,
            overrides: &["seccompProfile_baseline"],
        },
        Version {
            since: 25,
            check: v1_25,
            overrides: &["seccompProfile_baseline"],
        },
    ],
    rule: &RULE,
};

fn v1_19(pod: &PodSpec<'_>, s: &mut Sink) {
    let pod_ptr = pod_sc_ptr(pod);
    // Ok(None): unset; Ok(Some(t)): set to t; Err: cannot tell (reported).
    let pod_type = s.pod_sc(pod).and_then(|sc| profile_type(s, sc, pod_ptr));
    let mut inheriting: Vec<String> = Vec::new();
    for c in pod.containers() {
        let Ok(sc) = s.container_sc(&c) else { continue };
        let ptr = container_sc_ptr(&c);
        match profile_type(s, sc, ptr) {
            Err(_) => {}
            Ok(Some(t)) if valid_type(t) => {}
            Ok(Some(t)) => {
                s.fail(
                    ptr(&["seccompProfile", "type"]),
                    format!(
                        "{} sets {} (allowed: RuntimeDefault, Localhost)",
                        c.describe(),
                        describe_type(t)
                    ),
                );
            }
            Ok(None) => inheriting.push(c.describe()),
        }
    }
    match pod_type {
        Err(_) => {}
        Ok(Some(t)) if valid_type(t) => {}
        Ok(Some(t)) => {
            let tail = if inheriting.is_empty() {
                " (every container sets its own profile, but the pod-level value is still rejected)"
                    .to_string()
            } else {
                format!(", inherited by {}", inheriting.join(", "))
            };
            s.fail(
                pod_ptr(&["seccompProfile", "type"]),
                format!(
                    "the pod-level securityContext sets {}{tail} (allowed: RuntimeDefault, Localhost)",
                    describe_type(t)
                ),
            );
        }
        Ok(None) if !inheriting.is_empty() => {
            s.fail(
                pod_ptr(&["seccompProfile"]),
                format!(
                    "neither the pod-level securityContext nor {} set `seccompProfile.type` to \
                     RuntimeDefault or Localhost",
                    inheriting.join(", ")
                ),
            );
        }
        Ok(None) => {}
    }
}

fn v1_25(pod: &PodSpec<'_>, s: &mut Sink) {
    if is_windows(pod) {
        return;
    }
    v1_19(pod, s);
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::pointers;

    #[test]
    fn pod_level_profile_covers_containers_that_leave_it_unset() {
        let y = pod(
            "  securityContext: {seccompProfile: {type: RuntimeDefault}}\n  initContainers: [{name: i, image: x}]\n  containers: [{name: a, image: x, securityContext: {seccompProfile: {type: Unconfined}}}]\n  ephemeralContainers: [{name: e, image: x}]\n",
        );
        let hits = at(&RULE, "restricted", &y);
        assert_eq!(
            pointers(&hits),
            vec!["/spec/containers/0/securityContext/seccompProfile/type"]
        );
    }

    #[test]
    fn unset_everywhere_is_one_finding_at_the_pod_level() {
        let y = pod(
            "  initContainers: [{name: i, image: x}]\n  containers: [{name: a, image: x, securityContext: {seccompProfile: {type: Localhost, localhostProfile: p}}}]\n  ephemeralContainers: [{name: e, image: x}]\n",
        );
        let hits = at(&RULE, "restricted", &y);
        assert_eq!(
            pointers(&hits),
            vec!["/spec/securityContext/seccompProfile"]
        );
        assert!(
            hits[0]
                .message
                .contains("init container \"i\", ephemeral container \"e\"")
        );
    }

    #[test]
    fn every_container_set_passes_without_pod_level() {
        let y = pod(
            "  containers: [{name: a, image: x, securityContext: {seccompProfile: {type: RuntimeDefault}}}]\n",
        );
        assert!(at(&RULE, "restricted", &y).is_empty());
    }

    #[test]
    fn pod_level_unconfined_fails_even_when_overridden() {
        let y = pod(
            "  securityContext: {seccompProfile: {type: Unconfined}}\n  containers: [{name: a, image: x, securityContext: {seccompProfile: {type: RuntimeDefault}}}]\n",
        );
        let hits = at(&RULE, "restricted", &y);
        assert_eq!(
            pointers(&hits),
            vec!["/spec/securityContext/seccompProfile/type"]
        );
        assert!(hits[0].message.contains("still rejected"));
    }

    #[test]
    fn versions_and_windows() {
        let y = pod("  containers: [{name: a, image: x}]\n");
        assert!(at(&RULE, "restricted:v1.18", &y).is_empty());
        assert_eq!(at(&RULE, "restricted:v1.19", &y).len(), 1);
        assert!(at(&RULE, "baseline", &y).is_empty());
        let w = pod("  os: {name: windows}\n  containers: [{name: a, image: x}]\n");
        assert_eq!(at(&RULE, "restricted:v1.24", &w).len(), 1);
        assert!(at(&RULE, "restricted:v1.25", &w).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind("{containers: [{name: a, image: x}]}") {
            assert_eq!(at(&RULE, "restricted", &y).len(), 1, "{kind}");
        }
    }
}
