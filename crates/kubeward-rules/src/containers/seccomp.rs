//! KW-CTR-010: containers without a seccomp profile, where the active Pod Security profile does
//! not already require one.

use crate::support::containers::{Origin, PssCover, describe_all, inherited};
use kubeward_core::{
    Check, Container, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Status, Targets,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-010",
        name: "seccomp-profile-missing",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Container runs without a seccomp profile",
        why: "Without a seccomp profile (neither on the container nor inherited from the pod) a \
              container runs Unconfined unless every node's kubelet sets `seccompDefault: true`: \
              every system call is open, including the rarely needed ones behind most kernel \
              privilege escalations and container escapes (unshare, keyctl, bpf, \
              open_by_handle_at). The Pod Security restricted profile (v1.19+) requires a \
              profile and baseline rejects an explicit Unconfined; this rule reports only what \
              the active profile (`--pod-security`) does not, so the same gap is never reported \
              twice. The deprecated seccomp annotations are no longer honoured by current \
              Kubernetes versions and do not count.",
        fix: "Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod (containers \
              inherit it), or `Localhost` with a reviewed profile; use Unconfined only for the \
              single container that needs it, with a recorded reason.",
        references: &[
            ("cis", "5.6.2"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, hardening container environments",
            ),
            ("checkov", "CKV_K8S_31"),
            ("kube-score", "pod-seccomp"),
            ("mitre", "T1611"),
            (
                "docs",
                "https://kubernetes.io/docs/tutorials/security/seccomp/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    if pod.is_windows() {
        return;
    }
    let cover = PssCover::of(ctx.settings);
    let mut unset: Vec<Container<'_>> = Vec::new();
    let mut pod_unconfined: Vec<Container<'_>> = Vec::new();
    for c in pod.containers() {
        let Some(e) = inherited(pod, &c, "seccompProfile") else {
            unset.push(c);
            continue;
        };
        match e.node.str_at("type") {
            Some("RuntimeDefault" | "Localhost") => {}
            Some("Unconfined") => {
                if cover.seccomp_unconfined_field() {
                    continue;
                }
                if e.origin == Origin::Pod {
                    pod_unconfined.push(c);
                } else {
                    out.report(
                        ctx.object,
                        c.ptr(&["securityContext", "seccompProfile", "type"]),
                        format!("{} sets seccompProfile Unconfined", c.describe()),
                    );
                }
            }
            other => {
                out.report(
                    ctx.object,
                    e.pointer(pod, &c, "seccompProfile"),
                    format!(
                        "{}: seccompProfile type {} is not RuntimeDefault, Localhost or Unconfined; the API server rejects it",
                        c.describe(),
                        other.map_or("(missing)".to_string(), |t| format!("`{t}`"))
                    ),
                )
                .status(Status::Unknown);
            }
        }
    }
    if !pod_unconfined.is_empty() {
        out.report(
            ctx.object,
            pod.ptr(&["securityContext", "seccompProfile", "type"]),
            format!(
                "the pod sets seccompProfile Unconfined, inherited by {}",
                describe_all(&pod_unconfined)
            ),
        );
    }
    if unset.is_empty() || cover.seccomp_required(pod) {
        return;
    }
    let annotated = pod.annotations().is_some_and(|a| {
        a.entries()
            .any(|(k, _)| k == POD_ANNOTATION || k.starts_with(CONTAINER_ANNOTATION))
    });
    let pointer = if pod.security_context().is_some() {
        pod.ptr(&["securityContext"])
    } else {
        pod.ptr(&[])
    };
    out.report(
        ctx.object,
        pointer,
        format!(
            "neither the pod nor {} set{} a seccompProfile: {} Unconfined unless the kubelet sets seccompDefault{}",
            describe_all(&unset),
            if unset.len() == 1 { "s" } else { "" },
            if unset.len() == 1 { "it runs" } else { "they run" },
            if annotated {
                " (the seccomp annotations are deprecated and no longer honoured)"
            } else {
                ""
            }
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::sorted;
    use crate::support::containers::fixtures::{all_kinds, pod_yaml};
    use kubeward_core::config::Settings;
    use kubeward_core::testing::{pointers, run, run_with};
    use serde_json::json;

    fn profile(p: &str) -> Settings {
        Settings {
            pod_security: p.into(),
            ..Settings::default()
        }
    }

    fn sp(t: &str) -> serde_json::Value {
        json!({"seccompProfile": {"type": t}})
    }

    #[test]
    fn missing_is_reported_only_where_pss_does_not_require_it() {
        let spec = json!({
            "initContainers": [{"name": "i", "image": "x"}],
            "containers": [
                {"name": "a", "image": "x", "securityContext": sp("RuntimeDefault")},
                {"name": "b", "image": "x"}
            ],
            "ephemeralContainers": [{"name": "e", "image": "x"}]
        });
        let y = pod_yaml(spec.clone());
        // restricted:latest (default) reports it through seccompProfile_restricted.
        assert!(run(&RULE, &y).is_empty());
        assert!(run_with(&[&RULE], profile("restricted:v1.19"), &y).is_empty());
        for p in ["baseline", "privileged", "restricted:v1.18"] {
            let hits = run_with(&[&RULE], profile(p), &y);
            assert_eq!(sorted(pointers(&hits)), sorted(vec!["/spec"]), "{p}");
            assert!(
                hits[0].message.contains(
                    "init container \"i\", container \"b\" and ephemeral container \"e\""
                )
            );
        }
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            assert_eq!(
                sorted(pointers(&run_with(&[&RULE], profile("baseline"), &y))),
                sorted(vec![p.to_string()]),
                "{kind}"
            );
        }
    }

    #[test]
    fn pod_level_profile_is_inherited() {
        let spec = json!({"securityContext": sp("RuntimeDefault"),
                          "initContainers": [{"name": "i", "image": "x"}],
                          "containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(
                run_with(&[&RULE], profile("privileged"), &y).is_empty(),
                "{kind}"
            );
        }
        // A container may still opt out.
        let y = pod_yaml(json!({"securityContext": sp("RuntimeDefault"),
            "containers": [{"name": "a", "image": "x", "securityContext": sp("Unconfined")}]}));
        assert_eq!(
            sorted(pointers(&run_with(&[&RULE], profile("privileged"), &y))),
            sorted(vec![
                "/spec/containers/0/securityContext/seccompProfile/type"
            ])
        );
    }

    #[test]
    fn unconfined_only_where_baseline_does_not_check_fields() {
        let y = pod_yaml(json!({"securityContext": sp("Unconfined"),
            "containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "x"}]}));
        assert!(run(&RULE, &y).is_empty());
        assert!(run_with(&[&RULE], profile("baseline:v1.19"), &y).is_empty());
        for p in ["privileged", "baseline:v1.18"] {
            let hits = run_with(&[&RULE], profile(p), &y);
            assert_eq!(
                sorted(pointers(&hits)),
                sorted(vec!["/spec/securityContext/seccompProfile/type"]),
                "{p}"
            );
            assert!(
                hits[0]
                    .message
                    .contains("container \"a\" and container \"b\"")
            );
        }
    }

    #[test]
    fn annotations_do_not_count_and_windows_is_exempt() {
        let y = serde_json::to_string(&json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "annotations": {"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}},
            "spec": {"containers": [{"name": "a", "image": "x"}]}})).unwrap();
        let hits = run_with(&[&RULE], profile("baseline"), &y);
        assert!(hits[0].message.contains("no longer honoured"));
        let y = pod_yaml(
            json!({"os": {"name": "windows"}, "containers": [{"name": "a", "image": "x"}]}),
        );
        assert!(run_with(&[&RULE], profile("baseline"), &y).is_empty());
    }
}
