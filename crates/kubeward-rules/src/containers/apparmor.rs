//! KW-CTR-011: containers that run AppArmor-unconfined, where the active Pod Security profile
//! does not already forbid it.

use crate::support::containers::{Origin, PssCover, describe_all, inherited};
use kubeward_core::{
    Check, Container, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-011",
        name: "apparmor-unconfined",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Container runs AppArmor-unconfined",
        why: "On nodes with AppArmor, the runtime's default profile blocks writes to /proc and \
              /sys, mounts and other escape primitives even for root in the container. \
              `Unconfined` (the `appArmorProfile` field on the pod or container, or the older \
              `container.apparmor.security.beta.kubernetes.io/<name>: unconfined` annotation) \
              removes that layer. The Pod Security baseline profile forbids it; this rule \
              reports it only when the active profile (`--pod-security privileged`) does not.",
        fix: "Remove the Unconfined setting so the runtime default applies, or use \
              `appArmorProfile: {type: Localhost, localhostProfile: ...}` with a reviewed \
              profile.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, hardening container environments",
            ),
            ("pss", "appArmorProfile"),
            ("mitre", "T1611"),
            (
                "docs",
                "https://kubernetes.io/docs/tutorials/security/apparmor/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

const ANNOTATION: &str = "container.apparmor.security.beta.kubernetes.io/";

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    if pod.is_windows() || PssCover::of(ctx.settings).apparmor() {
        return;
    }
    if let Some(ann) = pod.annotations() {
        for (k, v) in ann.entries() {
            let Some(name) = k.strip_prefix(ANNOTATION) else {
                continue;
            };
            if v.as_str() == Some("unconfined") {
                out.report(
                    ctx.object,
                    pod.meta_ptr(&["annotations", k]),
                    format!(
                        "annotation {k}: unconfined runs container \"{name}\" without AppArmor"
                    ),
                );
            }
        }
    }
    let mut from_pod: Vec<Container<'_>> = Vec::new();
    for c in pod.containers() {
        let Some(e) = inherited(pod, &c, "appArmorProfile") else {
            continue;
        };
        if e.node.str_at("type") != Some("Unconfined") {
            continue;
        }
        if e.origin == Origin::Pod {
            from_pod.push(c);
        } else {
            out.report(
                ctx.object,
                c.ptr(&["securityContext", "appArmorProfile", "type"]),
                format!("{} sets appArmorProfile Unconfined", c.describe()),
            );
        }
    }
    if !from_pod.is_empty() {
        out.report(
            ctx.object,
            pod.ptr(&["securityContext", "appArmorProfile", "type"]),
            format!(
                "the pod sets appArmorProfile Unconfined, inherited by {}",
                describe_all(&from_pod)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::all_kinds;
    use kubeward_core::config::Settings;
    use kubeward_core::testing::{pointers, run, run_with};
    use serde_json::json;

    fn privileged() -> Settings {
        Settings {
            pod_security: "privileged".into(),
            ..Settings::default()
        }
    }

    #[test]
    fn fields_and_annotations_under_the_privileged_profile_only() {
        let spec = json!({
            "securityContext": {"appArmorProfile": {"type": "Unconfined"}},
            "initContainers": [{"name": "i", "image": "x"}],
            "containers": [
                {"name": "a", "image": "x", "securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}},
                {"name": "b", "image": "x"}
            ],
            "ephemeralContainers": [{"name": "e", "image": "x", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]
        });
        let meta = json!({"annotations": {
            "container.apparmor.security.beta.kubernetes.io/a": "unconfined",
            "container.apparmor.security.beta.kubernetes.io/b": "runtime/default"}});
        for (kind, y, p) in all_kinds(&spec, &meta) {
            let meta_p = p.strip_suffix("/spec").unwrap();
            let hits = run_with(&[&RULE], privileged(), &y);
            let mut want = vec![
                format!(
                    "{meta_p}/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1a"
                ),
                format!("{p}/securityContext/appArmorProfile/type"),
                format!("{p}/ephemeralContainers/0/securityContext/appArmorProfile/type"),
            ];
            let mut got: Vec<String> = pointers(&hits).iter().map(|s| s.to_string()).collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{kind}");
            // Baseline and restricted report these through the PSS appArmorProfile control.
            assert!(run(&RULE, &y).is_empty(), "{kind}");
            let baseline = Settings {
                pod_security: "baseline:v1.0".into(),
                ..Settings::default()
            };
            assert!(run_with(&[&RULE], baseline, &y).is_empty(), "{kind}");
        }
    }

    #[test]
    fn quiet_for_default_and_localhost() {
        let spec = json!({"containers": [{"name": "a", "image": "x",
            "securityContext": {"appArmorProfile": {"type": "Localhost", "localhostProfile": "p"}}}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(run_with(&[&RULE], privileged(), &y).is_empty(), "{kind}");
        }
    }
}
