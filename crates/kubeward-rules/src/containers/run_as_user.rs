//! KW-CTR-002: containers that run with a UID below the configured floor.

use crate::support::id_floor::{self, IdField};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-002",
        name: "run-as-low-uid",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Container runs with a UID below the configured floor",
        why: "Container UIDs are host UIDs unless the pod uses a user namespace. A low UID \
              coincides with accounts on the node (1000 is usually the first human user, low \
              numbers are system services), so a process that escapes or reaches host files \
              through a mount acts as that account; UID 0 is root. A high, dedicated UID range \
              (10000 and up by default, `settings.min_user_id`) belongs to no one on the node. \
              The value is resolved as the kubelet does: the container's runAsUser, else the \
              pod's; when neither is set the image's USER decides, which a manifest cannot \
              show, so the finding is UNKNOWN. UID 0 is left to the Pod Security `runAsUser` \
              control when the active profile (restricted, v1.23+) checks it.",
        fix: "Set `securityContext.runAsUser` (on the pod, or on each container) to a UID at or \
              above the floor, together with `runAsNonRoot: true`, and build images whose files \
              that UID can read. Or run the pod with `hostUsers: false` so its IDs are mapped.",
        references: &[
            ("cis", "5.2.7"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, non-root containers",
            ),
            ("kube-score", "container-security-context-user-group-id"),
            ("checkov", "CKV_K8S_40"),
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
            field: "runAsUser",
            noun: "UID",
            setting: "settings.min_user_id",
            zero_severity: Severity::High,
            pss_reports_zero: true,
        },
        ctx.settings.min_user_id,
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::sorted;
    use crate::support::containers::fixtures::{all_kinds, at, pod_yaml};
    use kubeward_core::config::Settings;
    use kubeward_core::testing::{pointers, run, run_with};
    use kubeward_core::{Severity, Status};
    use serde_json::json;

    fn with_profile(p: &str) -> Settings {
        Settings {
            pod_security: p.into(),
            ..Settings::default()
        }
    }

    #[test]
    fn container_value_wins_over_the_pod_value() {
        let y = pod_yaml(json!({
            "securityContext": {"runAsUser": 1000},
            "initContainers": [{"name": "i", "image": "x"}],
            "containers": [
                {"name": "a", "image": "x", "securityContext": {"runAsUser": 20000}},
                {"name": "b", "image": "x"},
                {"name": "c", "image": "x", "securityContext": {"runAsUser": 500}}
            ],
            "ephemeralContainers": [{"name": "e", "image": "x", "securityContext": {"runAsUser": 10000}}]
        }));
        let hits = run(&RULE, &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/securityContext/runAsUser",
                "/spec/containers/2/securityContext/runAsUser"
            ])
        );
        // One finding at the pod field names every container that inherits it.
        let pod_hit = at(&hits, "/spec/securityContext/runAsUser");
        assert!(
            pod_hit
                .message
                .contains("init container \"i\" and container \"b\" run with UID 1000 (inherited"),
            "{}",
            pod_hit.message
        );
        assert_eq!(pod_hit.severity, Severity::Medium);
    }

    #[test]
    fn a_high_pod_value_overridden_low_fires_only_at_the_container() {
        let y = pod_yaml(json!({
            "securityContext": {"runAsUser": 20000},
            "containers": [{"name": "a", "image": "x", "securityContext": {"runAsUser": 999}}]
        }));
        assert_eq!(
            sorted(pointers(&run(&RULE, &y))),
            sorted(vec!["/spec/containers/0/securityContext/runAsUser"])
        );
    }

    #[test]
    fn unset_is_unknown_not_pass() {
        let y = pod_yaml(json!({
            "securityContext": {"runAsNonRoot": true},
            "containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "x"}]
        }));
        let hits = run(&RULE, &y);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].status, Status::Unknown);
        assert_eq!(hits[0].pointer, "/spec/securityContext");
        assert!(
            hits[0]
                .message
                .contains("image's USER and that user's primary group")
        );
    }

    #[test]
    fn root_is_left_to_pss_where_the_profile_checks_it() {
        let y = pod_yaml(json!({"containers": [
            {"name": "a", "image": "x", "securityContext": {"runAsUser": 0}}]}));
        // restricted:latest (the default) reports runAsUser: 0 through the PSS control.
        assert!(run(&RULE, &y).is_empty());
        for p in ["baseline", "privileged", "restricted:v1.22"] {
            let hits = run_with(&[&RULE], with_profile(p), &y);
            assert_eq!(hits.len(), 1, "{p}");
            assert_eq!(hits[0].severity, Severity::High);
            assert!(hits[0].message.contains("UID 0 (root)"));
        }
        // hostUsers: false exempts the pod from the PSS control from v1.35 on, and from this
        // rule always (IDs are mapped).
        let y = pod_yaml(json!({"hostUsers": false, "containers": [
            {"name": "a", "image": "x", "securityContext": {"runAsUser": 0}}]}));
        assert!(run(&RULE, &y).is_empty());
    }

    #[test]
    fn floor_is_configurable_and_windows_is_exempt() {
        let y = pod_yaml(json!({"containers": [
            {"name": "a", "image": "x", "securityContext": {"runAsUser": 2000}}]}));
        assert_eq!(run(&RULE, &y).len(), 1);
        let s = Settings {
            min_user_id: 1000,
            ..Settings::default()
        };
        assert!(run_with(&[&RULE], s, &y).is_empty());
        let y = pod_yaml(
            json!({"os": {"name": "windows"}, "containers": [{"name": "a", "image": "x"}]}),
        );
        assert!(run(&RULE, &y).is_empty());
    }

    #[test]
    fn invalid_values_are_unknown() {
        let y = pod_yaml(json!({"containers": [
            {"name": "a", "image": "x", "securityContext": {"runAsUser": "1000"}}]}));
        let hits = run(&RULE, &y);
        assert_eq!(hits[0].status, Status::Unknown);
    }

    #[test]
    fn every_workload_kind() {
        let spec = json!({"securityContext": {"runAsUser": 1001},
                          "containers": [{"name": "a", "image": "x"}]});
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            assert_eq!(
                sorted(pointers(&run(&RULE, &y))),
                sorted(vec![format!("{p}/securityContext/runAsUser")]),
                "{kind}"
            );
        }
        let spec = json!({"securityContext": {"runAsUser": 10001},
                          "containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
    }
}
