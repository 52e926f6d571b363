//! KW-PSS-002: pods sharing the node's network, PID or IPC namespace.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

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
              their environment; hostIPC lets it read shared memory of other workloads.",
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
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    for (field, what) in [
        ("hostNetwork", "the node's network namespace"),
        ("hostPID", "the node's process namespace"),
        ("hostIPC", "the node's IPC namespace"),
    ] {
        if pod.spec.bool_at(field) == Some(true) {
            out.report(
                ctx.object,
                pod.ptr(&[field]),
                format!("`{field}: true` shares {what} with the pod"),
            )
            .reference("pss", "hostNamespaces");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
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
    }

    #[test]
    fn quiet_without_host_namespaces() {
        assert!(run(&RULE, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostNetwork: false, containers: [{name: a, image: x}]}\n").is_empty());
    }
}
