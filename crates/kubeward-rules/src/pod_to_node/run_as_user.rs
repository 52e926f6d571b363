//! KW-PSS-104 (`runAsUser`): containers told to run as root (UID 0).

use super::pss::{Invalid, PssCheck, Sink, Version, host_users_false, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-104",
        name: "run-as-root-user",
        layer: Layer::PodToNode,
        severity: Severity::High,
        title: "Pod or container sets runAsUser: 0 (root)",
        why: "`runAsUser: 0` runs the container's processes as root whatever the image says; \
              root in a container is one kernel bug or misconfiguration away from root on the \
              node. Pod Security Standards: restricted, from v1.23: runAsUser may be unset or \
              non-zero at pod and container level; a pod-level 0 fails even when every container \
              overrides it. From v1.35 pods in their own user namespace (`hostUsers: false`) are \
              exempt.",
        fix: "Set `runAsUser` to a non-zero UID (10000 or above keeps clear of node users) or \
              remove it and let `runAsNonRoot: true` enforce the image's non-root user.",
        references: &[
            ("pss", "runAsUser"),
            ("cis", "5.2.7"),
            ("checkov", "CKV_K8S_40"),
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
    id: "runAsUser",
    level: PssLevel::Restricted,
    versions: &[
        Version {
            since: 23,
            check: v1_23,
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

fn v1_23(pod: &PodSpec<'_>, s: &mut Sink) {
    check(pod, s);
}

fn v1_35(pod: &PodSpec<'_>, s: &mut Sink) {
    if host_users_false(pod) {
        return;
    }
    check(pod, s);
}

fn check(pod: &PodSpec<'_>, s: &mut Sink) {
    let mut inheriting = Vec::new();
    for c in pod.containers() {
        if let Ok(None) = container(&c, s) {
            inheriting.push(c.describe());
        }
    }
    let _ = pod_level(pod, s, &inheriting);
}

/// `Ok(None)` when the container leaves runAsUser unset.
fn container(c: &Container<'_>, s: &mut Sink) -> Result<Option<i64>, Invalid> {
    let sc = s.container_sc(c)?;
    let p = || c.ptr(&["securityContext", "runAsUser"]);
    let v = s.int(sc, "runAsUser", p)?;
    if v == Some(0) {
        s.fail(p(), format!("{} sets `runAsUser: 0` (root)", c.describe()));
    }
    Ok(v)
}

fn pod_level(pod: &PodSpec<'_>, s: &mut Sink, inheriting: &[String]) -> Result<(), Invalid> {
    let sc = s.pod_sc(pod)?;
    let p = || pod.ptr(&["securityContext", "runAsUser"]);
    if s.int(sc, "runAsUser", p)? == Some(0) {
        let tail = if inheriting.is_empty() {
            " (every container sets its own user, but the pod-level 0 is still rejected)"
                .to_string()
        } else {
            format!(", inherited by {}", inheriting.join(", "))
        };
        s.fail(
            p(),
            format!("the pod-level securityContext sets `runAsUser: 0` (root){tail}"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::pointers;

    #[test]
    fn pod_and_container_level_zero() {
        let y = pod(
            "  securityContext: {runAsUser: 0}\n  initContainers: [{name: i, image: x, securityContext: {runAsUser: 0}}]\n  containers: [{name: a, image: x}, {name: b, image: x, securityContext: {runAsUser: 1000}}]\n  ephemeralContainers: [{name: e, image: x, securityContext: {runAsUser: 0}}]\n",
        );
        let hits = at(&RULE, "restricted", &y);
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/securityContext/runAsUser",
                "/spec/initContainers/0/securityContext/runAsUser",
                "/spec/ephemeralContainers/0/securityContext/runAsUser",
            ]
        );
        assert!(
            hits[0].message.contains("inherited by container \"a\""),
            "{}",
            hits[0].message
        );
    }

    #[test]
    fn pod_level_zero_fails_even_when_overridden() {
        let y = pod(
            "  securityContext: {runAsUser: 0}\n  containers: [{name: a, image: x, securityContext: {runAsUser: 1000}}]\n",
        );
        let hits = at(&RULE, "restricted", &y);
        assert_eq!(pointers(&hits), vec!["/spec/securityContext/runAsUser"]);
        assert!(hits[0].message.contains("still rejected"));
    }

    #[test]
    fn quiet_when_unset_or_non_zero() {
        let y = pod(
            "  securityContext: {runAsUser: 1000}\n  containers: [{name: a, image: x}, {name: b, image: x, securityContext: {runAsUser: 2000}}]\n",
        );
        assert!(at(&RULE, "restricted", &y).is_empty());
        assert!(
            at(
                &RULE,
                "restricted",
                &pod("  containers: [{name: a, image: x}]\n")
            )
            .is_empty()
        );
    }

    #[test]
    fn versions_and_user_namespaces() {
        let y = pod("  containers: [{name: a, image: x, securityContext: {runAsUser: 0}}]\n");
        assert!(at(&RULE, "restricted:v1.22", &y).is_empty());
        assert_eq!(at(&RULE, "restricted:v1.23", &y).len(), 1);
        assert!(at(&RULE, "baseline", &y).is_empty());
        let y = pod(
            "  hostUsers: false\n  containers: [{name: a, image: x, securityContext: {runAsUser: 0}}]\n",
        );
        assert_eq!(at(&RULE, "restricted:v1.34", &y).len(), 1);
        assert!(at(&RULE, "restricted:v1.35", &y).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in
            every_kind("{securityContext: {runAsUser: 0}, containers: [{name: a, image: x}]}")
        {
            assert_eq!(at(&RULE, "restricted", &y).len(), 1, "{kind}");
        }
    }
}
