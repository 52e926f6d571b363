//! KW-PSS-103 (`runAsNonRoot`): containers not required to run as a non-root user.

use super::pss::{PssCheck, Sink, Version, host_users_false, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-103",
        name: "run-as-non-root-not-required",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Containers are not required to run as non-root",
        why: "Without `runAsNonRoot: true` a container runs as whatever user the image names, \
              root for most images. Root in a container is one kernel bug or one \
              misconfiguration (a hostPath, a capability) away from root on the node. Pod \
              Security Standards: restricted, every version: the pod-level securityContext sets \
              `runAsNonRoot: true` (containers may then leave it unset) or every container does; \
              an explicit false at either level fails, and a non-zero runAsUser does not count. \
              From v1.35 pods in their own user namespace (`hostUsers: false`) are exempt.",
        fix: "Set `spec.securityContext.runAsNonRoot: true` (and a non-zero `runAsUser` if the \
              image's user is root by name), and remove `runAsNonRoot: false` overrides.",
        references: &[
            ("pss", "runAsNonRoot"),
            ("cis", "5.2.7"),
            ("checkov", "CKV_K8S_23"),
            ("kube-score", "container-security-context-user-group-id"),
            ("polaris", "runAsRootAllowed"),
            ("mitre", "T1611"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "runAsNonRoot",
    level: PssLevel::Restricted,
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
    check(pod, s);
}

fn v1_35(pod: &PodSpec<'_>, s: &mut Sink) {
    if host_users_false(pod) {
        return;
    }
    check(pod, s);
}

fn check(pod: &PodSpec<'_>, s: &mut Sink) {
    let pod_ptr = || pod.ptr(&["securityContext", "runAsNonRoot"]);
    // Ok(None): unset; Err: cannot tell (reported).
    let pod_value = s
        .pod_sc(pod)
        .and_then(|sc| s.bool(sc, "runAsNonRoot", pod_ptr));
    // Containers that leave the field unset and so take the pod's value.
    let mut inheriting: Vec<String> = Vec::new();
    for c in pod.containers() {
        let Ok(sc) = s.container_sc(&c) else { continue };
        let p = || c.ptr(&["securityContext", "runAsNonRoot"]);
        match s.bool(sc, "runAsNonRoot", p) {
            Ok(Some(true)) | Err(_) => {}
            Ok(Some(false)) => {
                s.fail(p(), format!("{} sets `runAsNonRoot: false`", c.describe()));
            }
            Ok(None) => inheriting.push(c.describe()),
        }
    }
    match pod_value {
        Err(_) | Ok(Some(true)) => {}
        Ok(Some(false)) => {
            let tail = if inheriting.is_empty() {
                " (every container sets its own value, but the pod-level false is still rejected)"
                    .to_string()
            } else {
                format!(", inherited by {}", inheriting.join(", "))
            };
            s.fail(
                pod_ptr(),
                format!("the pod-level securityContext sets `runAsNonRoot: false`{tail}"),
            );
        }
        Ok(None) if !inheriting.is_empty() => {
            s.fail(
                pod_ptr(),
                format!(
                    "neither the pod-level securityContext nor {} set `runAsNonRoot: true`, so \
                     {} may run as root",
                    inheriting.join(", "),
                    if inheriting.len() == 1 { "it" } else { "they" }
                ),
            );
        }
        Ok(None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::pointers;

    #[test]
    fn pod_level_true_covers_containers_that_leave_it_unset() {
        let y = pod(
            "  securityContext: {runAsNonRoot: true}\n  initContainers: [{name: i, image: x}]\n  containers: [{name: a, image: x}]\n  ephemeralContainers: [{name: e, image: x, securityContext: {runAsNonRoot: false}}]\n",
        );
        let hits = at(&RULE, "restricted", &y);
        assert_eq!(
            pointers(&hits),
            vec!["/spec/ephemeralContainers/0/securityContext/runAsNonRoot"]
        );
        assert!(hits[0].message.contains("ephemeral container \"e\""));
    }

    #[test]
    fn unset_everywhere_is_one_finding_at_the_pod_level_field() {
        let y = pod(
            "  securityContext: {runAsUser: 1000}\n  initContainers: [{name: i, image: x}]\n  containers: [{name: a, image: x, securityContext: {runAsNonRoot: true}}, {name: b, image: x}]\n",
        );
        let hits = at(&RULE, "restricted", &y);
        assert_eq!(pointers(&hits), vec!["/spec/securityContext/runAsNonRoot"]);
        assert!(
            hits[0]
                .message
                .contains("init container \"i\", container \"b\""),
            "{}",
            hits[0].message
        );
        assert_eq!(hits[0].line, 5, "shown at the pod securityContext");
    }

    #[test]
    fn every_container_true_passes_without_pod_level() {
        let y = pod(
            "  initContainers: [{name: i, image: x, securityContext: {runAsNonRoot: true}}]\n  containers: [{name: a, image: x, securityContext: {runAsNonRoot: true}}]\n",
        );
        assert!(at(&RULE, "restricted", &y).is_empty());
    }

    #[test]
    fn pod_level_false_fails_even_when_containers_override() {
        let y = pod(
            "  securityContext: {runAsNonRoot: false}\n  containers: [{name: a, image: x, securityContext: {runAsNonRoot: true}}]\n",
        );
        let hits = at(&RULE, "restricted", &y);
        assert_eq!(pointers(&hits), vec!["/spec/securityContext/runAsNonRoot"]);
        assert!(hits[0].message.contains("still rejected"));
        let y =
            pod("  securityContext: {runAsNonRoot: false}\n  containers: [{name: a, image: x}]\n");
        assert!(
            at(&RULE, "restricted", &y)[0]
                .message
                .contains("inherited by container \"a\"")
        );
    }

    #[test]
    fn host_users_false_exempts_from_v1_35() {
        let y = pod("  hostUsers: false\n  containers: [{name: a, image: x}]\n");
        assert_eq!(at(&RULE, "restricted:v1.34", &y).len(), 1);
        assert!(at(&RULE, "restricted:v1.35", &y).is_empty());
        assert!(at(&RULE, "baseline:v1.34", &y).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind("{containers: [{name: a, image: x}]}") {
            assert_eq!(at(&RULE, "restricted", &y).len(), 1, "{kind}");
        }
        for (kind, y) in
            every_kind("{securityContext: {runAsNonRoot: true}, containers: [{name: a, image: x}]}")
        {
            assert!(at(&RULE, "restricted", &y).is_empty(), "{kind}");
        }
    }
}
