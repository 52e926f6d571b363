//! KW-CTR-003: containers that run with a primary GID below the configured floor.

use crate::support::id_floor::{self, IdField};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-003",
        name: "run-as-low-gid",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "Container runs with a GID below the configured floor",
        why: "The primary group decides which group-owned files a process can use. GID 0 (root's \
              group) owns much of a node's and an image's filesystem, and low GIDs coincide with \
              system groups on the node (docker, adm, disk), so a process that reaches host \
              files through a mount or an escape gets their access. The value is resolved as \
              the kubelet does: the container's runAsGroup, else the pod's; when neither is set \
              the runtime uses the image user's primary group, or 0, which a manifest cannot \
              show, so the finding is UNKNOWN (when runAsUser is not set either, KW-CTR-002 \
              reports the unknown identity once). The floor is `settings.min_group_id` (10000).",
        fix: "Set `securityContext.runAsGroup` (on the pod, or on each container) to a GID at or \
              above the floor, next to runAsUser.",
        references: &[
            ("kube-score", "container-security-context-user-group-id"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, non-root containers",
            ),
            ("mitre", "T1611"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    id_floor::check(
        ctx,
        out,
        &IdField {
            field: "runAsGroup",
            noun: "GID",
            setting: "settings.min_group_id",
            zero_severity: Severity::Medium,
            // No Pod Security control checks runAsGroup.
            pss_reports_zero: false,
        },
        ctx.settings.min_group_id,
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::sorted;
    use crate::support::containers::fixtures::{all_kinds, at, pod_yaml};
    use kubeward_core::testing::{pointers, run};
    use kubeward_core::{Severity, Status};
    use serde_json::json;

    #[test]
    fn inherits_from_the_pod_and_reports_gid_0_under_any_profile() {
        let y = pod_yaml(json!({
            "securityContext": {"runAsGroup": 0, "runAsUser": 20000},
            "containers": [
                {"name": "a", "image": "x"},
                {"name": "b", "image": "x", "securityContext": {"runAsGroup": 30000}},
                {"name": "c", "image": "x", "securityContext": {"runAsGroup": 100}}
            ],
            "ephemeralContainers": [{"name": "e", "image": "x"}]
        }));
        let hits = run(&RULE, &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/securityContext/runAsGroup",
                "/spec/containers/2/securityContext/runAsGroup"
            ])
        );
        let pod_hit = at(&hits, "/spec/securityContext/runAsGroup");
        assert_eq!(pod_hit.severity, Severity::Medium);
        assert!(
            pod_hit
                .message
                .contains("container \"a\" and ephemeral container \"e\"")
        );
        assert_eq!(
            at(&hits, "/spec/containers/2/securityContext/runAsGroup").severity,
            Severity::Low
        );
    }

    #[test]
    fn unset_is_unknown_and_high_values_pass() {
        let y = pod_yaml(json!({"containers": [{"name": "a", "image": "x",
                                "securityContext": {"runAsUser": 20000}}]}));
        let hits = run(&RULE, &y);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].status, Status::Unknown);
        assert_eq!(hits[0].pointer, "/spec");
        // Neither user nor group: KW-CTR-002 says the identity is the image's.
        let y = pod_yaml(json!({"containers": [{"name": "a", "image": "x"}]}));
        assert!(run(&RULE, &y).is_empty());
        let spec = json!({"securityContext": {"runAsGroup": 10001},
                          "initContainers": [{"name": "i", "image": "x"}],
                          "containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
    }
}
