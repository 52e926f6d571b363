//! KW-PSS-005: hostPath volumes.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-005",
        name: "host-path-volume",
        layer: Layer::PodToNode,
        severity: Severity::High,
        title: "Pod mounts a directory of the node (hostPath)",
        why: "A hostPath volume hands the container part of the node's filesystem. Writable, it \
              lets an attacker plant files the node executes (cron, systemd units, kubelet \
              configuration); read-only, it still exposes node credentials, other pods' secrets \
              under /var/lib/kubelet and container runtime sockets.",
        fix: "Use an emptyDir, a ConfigMap or Secret volume, or a PersistentVolumeClaim instead. \
              When node access is truly needed (log shippers, CSI drivers), mount the narrowest \
              path read-only in a dedicated namespace that enforces the privileged level only \
              for that workload.",
        references: &[
            ("pss", "hostPathVolumes"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, immutable container file systems",
            ),
            ("mitre", "T1611"),
            ("checkov", "CKV_K8S_27"),
            ("kubescape", "C-0048"),
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
    for (i, v) in pod.volumes() {
        if let Some(hp) = v.get("hostPath") {
            let path = hp.str_at("path").unwrap_or("(no path)");
            let idx = i.to_string();
            out.report(
                ctx.object,
                pod.ptr(&["volumes", &idx, "hostPath"]),
                format!(
                    "volume \"{}\" mounts the node's {path}",
                    v.str_at("name").unwrap_or("")
                ),
            )
            .reference("pss", "hostPathVolumes");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn fires_per_host_path_volume() {
        let hits = run(
            &RULE,
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d, namespace: kube-system}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: x}]\n      volumes:\n      - {name: cfg, configMap: {name: c}}\n      - name: root\n        hostPath: {path: /}\n",
        );
        assert_eq!(
            pointers(&hits),
            vec!["/spec/template/spec/volumes/1/hostPath"]
        );
        assert!(hits[0].message.contains("node's /"));
        assert_eq!(hits[0].object, "DaemonSet kube-system/d");
    }

    #[test]
    fn quiet_for_other_volumes() {
        assert!(run(&RULE, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: x}]\n  volumes: [{name: e, emptyDir: {}}]\n").is_empty());
    }
}
