//! KW-PSS-010 (`seccompProfile_baseline`): seccomp explicitly turned off.

use super::pss::{Invalid, PssCheck, Sink, Version, q, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, Node, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-010",
        name: "seccomp-unconfined",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Seccomp filtering is explicitly turned off",
        why: "The runtime's default seccomp profile blocks dozens of system calls that container \
              escapes and kernel exploits rely on (unshare, keyctl, bpf, ptrace on older \
              kernels, ...). `Unconfined` removes the filter. Pod Security Standards: baseline. \
              Up to v1.18 the deprecated annotations `seccomp.security.alpha.kubernetes.io/pod` \
              and `container.seccomp.security.alpha.kubernetes.io/<container>` are checked \
              (allowed: runtime/default, docker/default, localhost/<profile>); from v1.19 the \
              `seccompProfile.type` fields at pod and container level (allowed: RuntimeDefault, \
              Localhost, or unset). At the restricted level from v1.19 KW-PSS-105 replaces this \
              check.",
        fix: "Set `securityContext.seccompProfile.type: RuntimeDefault` at pod level (or \
              `Localhost` with a reviewed profile) and remove `Unconfined` overrides.",
        references: &[
            ("pss", "seccompProfile_baseline"),
            ("cis", "5.7.2"),
            ("checkov", "CKV_K8S_31"),
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
    id: "seccompProfile_baseline",
    level: PssLevel::Baseline,
    versions: &[
        Version {
            since: 0,
            check: v1_0,
            overrides: &[],
        },
        Version {
            since: 19,
            check: v1_19,
            overrides: &[],
        },
    ],
    rule: &RULE,
};

/// The deprecated pod-wide seccomp annotation.
pub const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
/// The prefix of the deprecated per-container seccomp annotations.
pub const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn allowed_annotation(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

/// Up to v1.18: the annotations (the pod one, and one per container that exists).
fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    let Some(ann) = pod.annotations() else { return };
    let mut check = |key: &str, whom: String| {
        let Some(value) = ann.get(key) else { return };
        let p = pod.meta_ptr(&["annotations", key]);
        let Ok(v) = s.item_str(value, p.clone()) else {
            return;
        };
        if !allowed_annotation(v) {
            s.fail(
                p,
                format!(
                    "annotation `{key}` sets the seccomp profile of {whom} to {} (allowed: \
                     runtime/default, docker/default, localhost/<profile>)",
                    q(v)
                ),
            );
        }
    };
    check(POD_ANNOTATION, "the pod".to_string());
    for c in pod.containers() {
        check(
            &format!("{CONTAINER_ANNOTATION_PREFIX}{}", c.name()),
            c.describe(),
        );
    }
}

/// From v1.19: `seccompProfile.type` at pod and container level, where set, is RuntimeDefault
/// or Localhost.
fn v1_19(pod: &PodSpec<'_>, s: &mut Sink) {
    let _ = pod_level(pod, s);
    for c in pod.containers() {
        let _ = container(&c, s);
    }
}

/// Whether a seccomp type is one of the confined ones.
pub fn valid_type(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

/// `seccompProfile` of a securityContext: `Ok(None)` unset, `Ok(Some(type))` set (type `""`
/// when the profile has none).
pub fn profile_type<'n>(
    s: &mut Sink,
    sc: Option<&'n Node>,
    ptr: impl Fn(&[&str]) -> String,
) -> Result<Option<&'n str>, Invalid> {
    let Some(profile) = s.map(sc, "seccompProfile", || ptr(&["seccompProfile"]))? else {
        return Ok(None);
    };
    Ok(Some(
        s.str(Some(profile), "type", || ptr(&["seccompProfile", "type"]))?
            .unwrap_or(""),
    ))
}

/// "`seccompProfile.type: Unconfined`" or "a `seccompProfile` without a type".
pub fn describe_type(t: &str) -> String {
    if t.is_empty() {
        "a `seccompProfile` without a type".to_string()
    } else {
        format!("`seccompProfile.type: {t}`")
    }
}

pub fn pod_sc_ptr<'p>(pod: &'p PodSpec<'_>) -> impl Fn(&[&str]) -> String + Copy + 'p {
    move |rest: &[&str]| {
        let mut t = vec!["securityContext"];
        t.extend_from_slice(rest);
        pod.ptr(&t)
    }
}

pub fn container_sc_ptr<'p>(c: &'p Container<'_>) -> impl Fn(&[&str]) -> String + Copy + 'p {
    move |rest: &[&str]| {
        let mut t = vec!["securityContext"];
        t.extend_from_slice(rest);
        c.ptr(&t)
    }
}

fn pod_level(pod: &PodSpec<'_>, s: &mut Sink) -> Result<(), Invalid> {
    let sc = s.pod_sc(pod)?;
    let ptr = pod_sc_ptr(pod);
    if let Some(t) = profile_type(s, sc, ptr)? {
        if !valid_type(t) {
            s.fail(
                ptr(&["seccompProfile", "type"]),
                format!(
                    "the pod-level securityContext sets {}, which applies to every container \
                     that does not set its own (allowed: RuntimeDefault, Localhost)",
                    describe_type(t)
                ),
            );
        }
    }
    Ok(())
}

fn container(c: &Container<'_>, s: &mut Sink) -> Result<(), Invalid> {
    let sc = s.container_sc(c)?;
    let ptr = container_sc_ptr(c);
    if let Some(t) = profile_type(s, sc, ptr)? {
        if !valid_type(t) {
            s.fail(
                ptr(&["seccompProfile", "type"]),
                format!(
                    "{} sets {} (allowed: RuntimeDefault, Localhost)",
                    c.describe(),
                    describe_type(t)
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

    #[test]
    fn fields_from_v1_19_at_both_levels() {
        let y = pod(
            "  securityContext: {seccompProfile: {type: Unconfined}}\n  initContainers: [{name: i, image: x, securityContext: {seccompProfile: {type: Unconfined}}}]\n  containers: [{name: a, image: x, securityContext: {seccompProfile: {type: RuntimeDefault}}}]\n  ephemeralContainers: [{name: e, image: x, securityContext: {seccompProfile: {}}}]\n",
        );
        let hits = at(&RULE, "baseline:v1.19", &y);
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/securityContext/seccompProfile/type",
                "/spec/initContainers/0/securityContext/seccompProfile/type",
                "/spec/ephemeralContainers/0/securityContext/seccompProfile/type",
            ]
        );
        assert!(hits[0].message.contains("pod-level"));
        assert!(hits[2].message.contains("without a type"));
        // Before v1.19 the fields are not looked at.
        assert!(at(&RULE, "baseline:v1.18", &y).is_empty());
    }

    #[test]
    fn annotations_up_to_v1_18() {
        let y = pod_with_meta(
            "{name: p, annotations: {seccomp.security.alpha.kubernetes.io/pod: unconfined, container.seccomp.security.alpha.kubernetes.io/a: docker/default, container.seccomp.security.alpha.kubernetes.io/e: '', container.seccomp.security.alpha.kubernetes.io/gone: unconfined}}",
            "{containers: [{name: a, image: x}], ephemeralContainers: [{name: e, image: x}]}",
        );
        let hits = at(&RULE, "baseline:v1.18", &y);
        assert_eq!(
            pointers(&hits),
            vec![
                "/metadata/annotations/container.seccomp.security.alpha.kubernetes.io~1e",
                "/metadata/annotations/seccomp.security.alpha.kubernetes.io~1pod",
            ]
        );
        assert!(hits[0].message.contains("ephemeral container \"e\""));
        assert!(at(&RULE, "baseline:v1.19", &y).is_empty());
    }

    #[test]
    fn quiet_when_unset_or_confined() {
        assert!(run(&RULE, &pod("  containers: [{name: a, image: x}]\n")).is_empty());
        assert!(run(&RULE, &pod("  securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}}\n  containers: [{name: a, image: x}]\n")).is_empty());
    }

    #[test]
    fn replaced_at_restricted_from_v1_19() {
        let y = pod(
            "  containers: [{name: a, image: x, securityContext: {seccompProfile: {type: Unconfined}}}]\n",
        );
        assert!(at(&RULE, "restricted:v1.19", &y).is_empty());
        assert_eq!(at(&RULE, "baseline:latest", &y).len(), 1);
        let y = pod_with_meta(
            "{name: p, annotations: {seccomp.security.alpha.kubernetes.io/pod: unconfined}}",
            "{containers: [{name: a, image: x}]}",
        );
        assert_eq!(at(&RULE, "restricted:v1.18", &y).len(), 1);
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{securityContext: {seccompProfile: {type: Unconfined}}, containers: [{name: a, image: x}]}",
        ) {
            assert_eq!(at(&RULE, "baseline", &y).len(), 1, "{kind}");
        }
        for (kind, y) in every_kind_with_meta(
            "{name: p, annotations: {seccomp.security.alpha.kubernetes.io/pod: unconfined}}",
            "{containers: [{name: a, image: x}]}",
        ) {
            assert_eq!(at(&RULE, "baseline:v1.10", &y).len(), 1, "{kind}");
        }
    }
}
