//! KW-CTR-001: containers whose root filesystem is writable.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-001",
        name: "writable-root-filesystem",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Container root filesystem is writable",
        why: "An attacker who gets code execution in a container with a writable root filesystem \
              can drop tools, replace binaries and libraries the application loads, and persist \
              until the container is recreated. A read-only root filesystem turns most of that \
              into errors and makes tampering visible.",
        fix: "Set `securityContext.readOnlyRootFilesystem: true` on each container and mount an \
              `emptyDir` (optionally `medium: Memory`) at the few paths the program writes to, \
              such as /tmp or a cache folder.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, immutable container file systems",
            ),
            ("checkov", "CKV_K8S_22"),
            (
                "kube-score",
                "container-security-context-readonlyrootfilesystem",
            ),
            ("polaris", "notReadOnlyRootFilesystem"),
            ("kubescape", "C-0017"),
            ("mitre", "T1036"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    // Windows containers cannot have a read-only root filesystem; the API rejects the field.
    if pod.is_windows() {
        return;
    }
    for c in pod.containers() {
        let field = c
            .security_context()
            .and_then(|sc| sc.get("readOnlyRootFilesystem"));
        match field.and_then(|n| n.as_bool()) {
            Some(true) => {}
            Some(false) => {
                out.report(
                    ctx.object,
                    c.ptr(&["securityContext", "readOnlyRootFilesystem"]),
                    format!("{} sets readOnlyRootFilesystem: false", c.describe()),
                );
            }
            None => {
                // There is no pod-level field: only the container's own setting counts.
                out.report(
                    ctx.object,
                    c.ptr(&[]),
                    format!(
                        "{} does not set securityContext.readOnlyRootFilesystem: true",
                        c.describe()
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::sorted;
    use crate::support::containers::fixtures::{all_kinds, pod_yaml};
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn fires_per_container_in_every_list_and_kind() {
        let spec = json!({
            "initContainers": [{"name": "i", "image": "x"}],
            "containers": [
                {"name": "a", "image": "x", "securityContext": {"readOnlyRootFilesystem": true}},
                {"name": "b", "image": "x", "securityContext": {"readOnlyRootFilesystem": false}}
            ],
            "ephemeralContainers": [{"name": "e", "image": "x", "securityContext": {}}]
        });
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            assert_eq!(
                sorted(pointers(&run(&RULE, &y))),
                sorted(vec![
                    format!("{p}/initContainers/0"),
                    format!("{p}/containers/1/securityContext/readOnlyRootFilesystem"),
                    format!("{p}/ephemeralContainers/0"),
                ]),
                "{kind}"
            );
        }
    }

    #[test]
    fn a_pod_level_field_does_not_exist_and_windows_is_exempt() {
        // `readOnlyRootFilesystem` is not a PodSecurityContext field: it is not inherited.
        let y = pod_yaml(json!({"securityContext": {"readOnlyRootFilesystem": true},
                                "containers": [{"name": "a", "image": "x"}]}));
        assert_eq!(
            sorted(pointers(&run(&RULE, &y))),
            sorted(vec!["/spec/containers/0"])
        );
        let y = pod_yaml(
            json!({"os": {"name": "windows"}, "containers": [{"name": "a", "image": "x"}]}),
        );
        assert!(run(&RULE, &y).is_empty());
        let y = pod_yaml(json!({"containers": [{"name": "a", "image": "x",
                                "securityContext": {"readOnlyRootFilesystem": true}}]}));
        assert!(run(&RULE, &y).is_empty());
    }
}
