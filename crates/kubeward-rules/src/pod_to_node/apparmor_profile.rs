//! KW-PSS-007 (`appArmorProfile`): AppArmor disabled or set to a custom non-local profile.

use super::pss::{Invalid, PssCheck, Sink, Version, q, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, Node, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-007",
        name: "apparmor-unconfined",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "AppArmor confinement is turned off",
        why: "AppArmor is one of the walls between a compromised process and the node: the \
              runtime's default profile denies mounts, writes to /proc and /sys and other \
              escape steps. `Unconfined` removes it. Pod Security Standards: baseline, every \
              version, checking both the `appArmorProfile.type` fields (pod and container level: \
              only RuntimeDefault and Localhost) and the deprecated \
              `container.apparmor.security.beta.kubernetes.io/<container>` annotations (only \
              empty, `runtime/default` or `localhost/<profile>`).",
        fix: "Remove the override, or set `securityContext.appArmorProfile.type: RuntimeDefault` \
              (or `Localhost` with a reviewed `localhostProfile`). Replace the deprecated \
              annotation with the field.",
        references: &[
            ("pss", "appArmorProfile"),
            ("cis", "5.7.2"),
            ("checkov", "CKV_K8S_12"),
            ("mitre", "T1562.001"),
            (
                "docs",
                "https://kubernetes.io/docs/tutorials/security/apparmor/",
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
    id: "appArmorProfile",
    level: PssLevel::Baseline,
    versions: &[Version {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
    rule: &RULE,
};

/// The annotation key prefix of the deprecated per-container AppArmor annotations.
pub const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn allowed_annotation(v: &str) -> bool {
    v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")
}

fn allowed_type(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

/// The annotations and the `appArmorProfile.type` fields, pod and container level.
fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    if let Some(ann) = pod.annotations() {
        for (key, value) in ann.entries() {
            let Some(container) = key.strip_prefix(ANNOTATION_PREFIX) else {
                continue;
            };
            let p = pod.meta_ptr(&["annotations", key]);
            let Ok(v) = s.item_str(value, p.clone()) else {
                continue;
            };
            if !allowed_annotation(v) {
                s.fail(
                    p,
                    format!(
                        "annotation `{key}` sets the AppArmor profile of container {} to {} \
                         (allowed: runtime/default, localhost/<profile>)",
                        q(container),
                        q(v)
                    ),
                );
            }
        }
    }
    let _ = pod_level(pod, s);
    for c in pod.containers() {
        let _ = container(&c, s);
    }
}

fn profile_type<'n>(
    s: &mut Sink,
    sc: Option<&'n Node>,
    ptr: impl Fn(&[&str]) -> String,
) -> Result<Option<&'n str>, Invalid> {
    let Some(profile) = s.map(sc, "appArmorProfile", || ptr(&["appArmorProfile"]))? else {
        return Ok(None);
    };
    let t = s.str(Some(profile), "type", || ptr(&["appArmorProfile", "type"]))?;
    Ok(Some(t.unwrap_or("")))
}

fn describe(t: &str) -> String {
    if t.is_empty() {
        "an `appArmorProfile` without a type".to_string()
    } else {
        format!("`appArmorProfile.type: {t}`")
    }
}

fn pod_level(pod: &PodSpec<'_>, s: &mut Sink) -> Result<(), Invalid> {
    let sc = s.pod_sc(pod)?;
    let ptr = |rest: &[&str]| {
        let mut t = vec!["securityContext"];
        t.extend_from_slice(rest);
        pod.ptr(&t)
    };
    if let Some(t) = profile_type(s, sc, ptr)? {
        if !allowed_type(t) {
            s.fail(
                ptr(&["appArmorProfile", "type"]),
                format!(
                    "the pod-level securityContext sets {}, which applies to every container \
                     that does not set its own (allowed: RuntimeDefault, Localhost)",
                    describe(t)
                ),
            );
        }
    }
    Ok(())
}

fn container(c: &Container<'_>, s: &mut Sink) -> Result<(), Invalid> {
    let sc = s.container_sc(c)?;
    let ptr = |rest: &[&str]| {
        let mut t = vec!["securityContext"];
        t.extend_from_slice(rest);
        c.ptr(&t)
    };
    if let Some(t) = profile_type(s, sc, ptr)? {
        if !allowed_type(t) {
            s.fail(
                ptr(&["appArmorProfile", "type"]),
                format!(
                    "{} sets {} (allowed: RuntimeDefault, Localhost)",
                    c.describe(),
                    describe(t)
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
    fn annotations_and_fields_at_both_levels() {
        let hits = run(
            &RULE,
            &pod_with_meta(
                "{name: p, annotations: {container.apparmor.security.beta.kubernetes.io/a: unconfined, container.apparmor.security.beta.kubernetes.io/b: localhost/x, container.apparmor.security.beta.kubernetes.io/c: ''}}",
                "{securityContext: {appArmorProfile: {type: Unconfined}}, containers: [{name: a, image: x, securityContext: {appArmorProfile: {type: Localhost, localhostProfile: p}}}], ephemeralContainers: [{name: e, image: x, securityContext: {appArmorProfile: {}}}]}",
            ),
        );
        assert_eq!(
            pointers(&hits),
            vec![
                "/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1a",
                "/spec/ephemeralContainers/0/securityContext/appArmorProfile/type",
                "/spec/securityContext/appArmorProfile/type",
            ]
        );
        assert!(hits[0].message.contains("\"unconfined\""));
        assert!(hits[2].message.contains("pod-level"));
        assert!(hits[1].message.contains("without a type"));
    }

    #[test]
    fn quiet_for_default_and_local_profiles() {
        let y = pod_with_meta(
            "{name: p, annotations: {container.apparmor.security.beta.kubernetes.io/a: runtime/default, other: unconfined}}",
            "{securityContext: {appArmorProfile: {type: RuntimeDefault}}, containers: [{name: a, image: x, securityContext: {appArmorProfile: {type: Localhost, localhostProfile: k}}}]}",
        );
        assert!(run(&RULE, &y).is_empty());
    }

    #[test]
    fn template_annotations_of_every_kind() {
        for (kind, y) in every_kind_with_meta(
            "{name: p, annotations: {container.apparmor.security.beta.kubernetes.io/a: unconfined}}",
            "{containers: [{name: a, image: x}]}",
        ) {
            let hits = at(&RULE, "baseline:v1.0", &y);
            assert_eq!(hits.len(), 1, "{kind}");
            assert!(hits[0].pointer.contains("/metadata/annotations/"), "{kind}");
        }
    }

    #[test]
    fn init_containers_and_inheritance() {
        // A pod-level RuntimeDefault does not excuse a container that overrides it.
        let y = pod(
            "  securityContext: {appArmorProfile: {type: RuntimeDefault}}\n  initContainers: [{name: i, image: x, securityContext: {appArmorProfile: {type: Unconfined}}}]\n  containers: [{name: a, image: x}]\n",
        );
        let hits = run(&RULE, &y);
        assert_eq!(
            pointers(&hits),
            vec!["/spec/initContainers/0/securityContext/appArmorProfile/type"]
        );
        assert!(hits[0].message.contains("init container \"i\""));
        assert!(at(&RULE, "privileged", &y).is_empty());
    }
}
