//! KW-PSS-002 (`hostNamespaces`): pods sharing the node's network, PID or IPC namespace.

use super::pss::{PssCheck, Sink, Version, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-002",
        name: "host-namespaces",
        layer: Layer::PodToNode,
        severity: Severity::High,
        title: "Pod shares the node's network, PID or IPC namespace",
        why: "With hostNetwork a pod binds node ports, sniffs node traffic and reaches services \
              listening on localhost (the kubelet, etcd on control-plane nodes), bypassing \
              NetworkPolicy. hostPID lets it see and signal every process on the node and read \
              their environment; hostIPC lets it read shared memory of other workloads. Pod \
              Security Standards: baseline, every version.",
        fix: "Remove `hostNetwork`, `hostPID` and `hostIPC` (or set them to false). Expose ports \
              through a Service instead of the node's network.",
        references: &[
            ("pss", "hostNamespaces"),
            ("cis", "5.2.3, 5.2.4, 5.2.5"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, host namespaces",
            ),
            ("mitre", "T1611"),
            ("checkov", "CKV_K8S_17, CKV_K8S_18, CKV_K8S_19"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "hostNamespaces",
    level: PssLevel::Baseline,
    versions: &[Version {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
    rule: &RULE,
};

/// `spec.hostNetwork`, `spec.hostPID` and `spec.hostIPC` must be unset or false.
fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    for (field, what) in [
        ("hostNetwork", "the node's network namespace"),
        ("hostPID", "the node's process namespace"),
        ("hostIPC", "the node's IPC namespace"),
    ] {
        let p = || pod.ptr(&[field]);
        if let Ok(Some(true)) = s.bool(Some(pod.spec), field, p) {
            s.fail(p(), format!("`{field}: true` shares {what} with the pod"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn each_namespace_is_its_own_finding() {
        let hits = run(
            &RULE,
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          hostNetwork: true\n          hostPID: on\n          hostIPC: false\n          containers: [{name: a, image: x}]\n",
        );
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/jobTemplate/spec/template/spec/hostNetwork",
                "/spec/jobTemplate/spec/template/spec/hostPID",
            ]
        );
        assert_eq!(hits[1].line, 10);
        assert_eq!(
            hits[0].references,
            vec![("pss", "hostNamespaces".to_string())]
        );
    }

    #[test]
    fn quiet_without_host_namespaces() {
        assert!(
            run(
                &RULE,
                &pod("  hostNetwork: false\n  containers: [{name: a, image: x}]\n")
            )
            .is_empty()
        );
        // Not a field of the container or of the pod securityContext: never inherited.
        assert!(run(&RULE, &pod("  securityContext: {hostNetwork: true}\n  containers: [{name: a, image: x, hostPID: true}]\n")).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind("{hostIPC: true, containers: [{name: a, image: x}]}") {
            assert_eq!(pointers(&run(&RULE, &y)).len(), 1, "{kind}");
        }
    }

    #[test]
    fn not_at_privileged_level() {
        let y = pod("  hostPID: true\n  containers: [{name: a, image: x}]\n");
        assert!(at(&RULE, "privileged", &y).is_empty());
        assert_eq!(at(&RULE, "restricted:v1.0", &y).len(), 1);
    }
}
