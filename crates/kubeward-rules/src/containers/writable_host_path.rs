//! KW-CTR-008: hostPath volumes mounted writable.

use crate::support::containers::{host_path_mounts, sockets_exposed};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-008",
        name: "writable-host-path",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Container mounts a node path writable",
        why: "A hostPath volume has no read-only switch of its own: unless the volumeMount says \
              `readOnly: true`, the container writes straight into the node's filesystem. An \
              attacker can then plant files the node or other pods read or run (cron jobs, \
              systemd units, kubelet or CNI configuration, binaries on the PATH of a shared \
              folder), fill the node's disk, or, with a crafted symlink and subPath, reach \
              beyond the volume (CVE-2021-25741). Runtime sockets are reported by KW-CTR-006, \
              where read-only makes no difference.",
        fix: "Add `readOnly: true` to the volumeMount. If the workload must write, give it an \
              emptyDir or a PersistentVolumeClaim instead of a node path.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, host path volumes",
            ),
            ("mitre", "T1611"),
            ("kubescape", "C-0045"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
            ),
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
    for m in host_path_mounts(pod) {
        if m.read_only || !sockets_exposed(&m).is_empty() {
            continue;
        }
        let pointer = if m.mount.get("readOnly").is_some() {
            m.mount_ptr(&["readOnly"])
        } else {
            m.mount_ptr(&[])
        };
        let at = m.mount.str_at("mountPath").unwrap_or("?");
        out.report(
            ctx.object,
            pointer,
            format!(
                "{} mounts {} at {at} without readOnly: true, so it can write to the node",
                m.container.describe(),
                m.describe()
            ),
        )
        .related(ctx.object.id, m.volume_ptr(pod), "the hostPath volume");
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
    fn read_only_is_per_mount() {
        let y = pod_yaml(json!({
            "containers": [
                {"name": "a", "image": "x", "volumeMounts": [
                    {"name": "data", "mountPath": "/d"},
                    {"name": "data", "mountPath": "/r", "readOnly": true},
                    {"name": "data", "mountPath": "/s", "subPath": "x", "readOnly": false},
                    {"name": "cache", "mountPath": "/c"},
                    {"name": "sock", "mountPath": "/var/run/docker.sock"}
                ]}
            ],
            "volumes": [
                {"name": "data", "hostPath": {"path": "/srv/data", "type": "DirectoryOrCreate"}},
                {"name": "cache", "emptyDir": {}},
                {"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}
            ]
        }));
        let hits = run(&RULE, &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/containers/0/volumeMounts/0",
                "/spec/containers/0/volumeMounts/2/readOnly",
            ])
        );
        assert!(hits[1].message.contains("node path /srv/data/x"));
    }

    #[test]
    fn every_kind_and_container_list() {
        let spec = json!({
            "initContainers": [{"name": "i", "image": "x", "volumeMounts": [{"name": "h", "mountPath": "/h"}]}],
            "containers": [{"name": "a", "image": "x", "volumeMounts": [{"name": "h", "mountPath": "/h", "readOnly": true}]}],
            "ephemeralContainers": [{"name": "e", "image": "x", "volumeMounts": [{"name": "h", "mountPath": "/h"}]}],
            "volumes": [{"name": "h", "hostPath": {"path": "/opt/agent"}}]
        });
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            assert_eq!(
                sorted(pointers(&run(&RULE, &y))),
                sorted(vec![
                    format!("{p}/initContainers/0/volumeMounts/0"),
                    format!("{p}/ephemeralContainers/0/volumeMounts/0"),
                ]),
                "{kind}"
            );
        }
    }
}
