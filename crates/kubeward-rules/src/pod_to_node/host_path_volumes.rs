//! KW-PSS-005 (`hostPathVolumes`): hostPath volumes.

use super::pss::{PssCheck, Sink, Version, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{PodSpec, Severity};

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
              under /var/lib/kubelet and container runtime sockets. Pod Security Standards: \
              baseline, every version, any path. At the restricted level the volume allow-list \
              (KW-PSS-101) replaces this check and reports hostPath volumes itself.",
        fix: "Use an emptyDir, a ConfigMap or Secret volume, or a PersistentVolumeClaim instead. \
              When node access is truly needed (log shippers, CSI drivers), mount the narrowest \
              path read-only in a dedicated namespace that enforces the privileged level only \
              for that workload.",
        references: &[
            ("pss", "hostPathVolumes"),
            ("cis", "5.2.12"),
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
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "hostPathVolumes",
    level: PssLevel::Baseline,
    versions: &[Version {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
    rule: &RULE,
};

/// `spec.volumes[*].hostPath` must be unset.
fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    let Ok(volumes) = s.seq(Some(pod.spec), "volumes", || pod.ptr(&["volumes"])) else {
        return;
    };
    for (i, v) in volumes.iter().enumerate() {
        if let Some(hp) = v.get("hostPath") {
            let idx = i.to_string();
            let path = hp.str_at("path").unwrap_or("(no path)");
            s.fail(
                pod.ptr(&["volumes", &idx, "hostPath"]),
                format!(
                    "volume {} mounts the node's {path}",
                    super::pss::q(v.str_at("name").unwrap_or(""))
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::pointers;

    #[test]
    fn fires_per_host_path_volume() {
        let hits = at(
            &RULE,
            "baseline",
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d, namespace: kube-system}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: x}]\n      volumes:\n      - {name: cfg, configMap: {name: c}}\n      - name: root\n        hostPath: {path: /}\n      - {name: sock, hostPath: {path: /var/run/docker.sock, type: Socket}}\n",
        );
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/template/spec/volumes/1/hostPath",
                "/spec/template/spec/volumes/2/hostPath"
            ]
        );
        assert!(hits[0].message.contains("node's /"));
        assert_eq!(hits[0].object, "DaemonSet kube-system/d");
    }

    #[test]
    fn quiet_for_other_volumes() {
        assert!(at(&RULE, "baseline", &pod("  containers: [{name: a, image: x}]\n  volumes: [{name: e, emptyDir: {}}, {name: h, hostPath: null, emptyDir: {}}]\n")).is_empty());
    }

    #[test]
    fn replaced_by_restricted_volumes_at_restricted() {
        let y = pod(
            "  containers: [{name: a, image: x}]\n  volumes: [{name: h, hostPath: {path: /etc}}]\n",
        );
        assert_eq!(at(&RULE, "baseline:v1.0", &y).len(), 1);
        assert!(at(&RULE, "restricted:v1.0", &y).is_empty());
        assert!(at(&RULE, "restricted", &y).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{containers: [{name: a, image: x}], volumes: [{name: h, hostPath: {path: /var/log}}]}",
        ) {
            assert_eq!(at(&RULE, "baseline", &y).len(), 1, "{kind}");
        }
    }
}
