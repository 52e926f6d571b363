//! KW-PSS-101 (`restrictedVolumes`): volume types outside the restricted allow-list.

use super::pss::{PssCheck, Sink, Version, q, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-101",
        name: "restricted-volume-type",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Pod uses a volume type outside the restricted allow-list",
        why: "Volume types other than the ephemeral and API-backed ones reach outside the pod: \
              hostPath reads and writes the node's file system, NFS, iSCSI, cloud disks and the \
              like mount storage the node's credentials give access to, gitRepo runs git on the \
              node. Pod Security Standards: restricted, every version; allowed are configMap, \
              csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and \
              secret (a volume that names no source is defaulted to an emptyDir and passes). This check replaces the hostPath check \
              (KW-PSS-005) at the restricted level, so hostPath volumes are reported here, with \
              high severity.",
        fix: "Use a PersistentVolumeClaim for storage (the PersistentVolume then carries the \
              storage details, under the cluster administrator's control), emptyDir for \
              scratch space, and configMap, secret, projected or downwardAPI volumes for \
              configuration.",
        references: &[
            ("pss", "restrictedVolumes"),
            ("mitre", "T1611"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "restrictedVolumes",
    level: PssLevel::Restricted,
    versions: &[Version {
        since: 0,
        check: v1_0,
        overrides: &["hostPathVolumes"],
    }],
    rule: &RULE,
};

/// The volume sources the restricted level allows.
pub const ALLOWED: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Every volume source of the core API other than [`ALLOWED`]. A volume that names no source
/// at all is defaulted to an emptyDir by the API server (and allowed by upstream); keys the API
/// does not know are dropped by its decoder the same way.
pub const OTHER_SOURCES: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    let Ok(volumes) = s.seq(Some(pod.spec), "volumes", || pod.ptr(&["volumes"])) else {
        return;
    };
    for (i, v) in volumes.iter().enumerate() {
        if ALLOWED.iter().any(|k| v.get(k).is_some()) {
            continue;
        }
        let Some(kind) = OTHER_SOURCES.iter().copied().find(|k| v.get(k).is_some()) else {
            continue;
        };
        let idx = i.to_string();
        let name = q(v.str_at("name").unwrap_or(""));
        let f = s.fail(
            pod.ptr(&["volumes", &idx, kind]),
            if kind == "hostPath" {
                format!(
                    "volume {name} mounts the node's {} (hostPath is not allowed at the restricted level)",
                    v.get(kind)
                        .and_then(|h| h.str_at("path"))
                        .unwrap_or("(no path)")
                )
            } else {
                format!(
                    "volume {name} is of type `{kind}`, which the restricted level does not allow"
                )
            },
        );
        if kind == "hostPath" {
            f.severity = Some(Severity::High);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::Severity;
    use kubeward_core::testing::pointers;

    #[test]
    fn fires_per_disallowed_volume() {
        let y = pod(
            "  containers: [{name: a, image: x}]\n  volumes:\n  - {name: ok1, configMap: {name: c}}\n  - {name: h, hostPath: {path: /etc}}\n  - {name: n, nfs: {server: s, path: /}}\n  - {name: ok2, projected: {sources: []}}\n  - {name: empty}\n  - {name: g, gitRepo: {repository: r}}\n",
        );
        let hits = at(&RULE, "restricted", &y);
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/volumes/1/hostPath",
                "/spec/volumes/2/nfs",
                "/spec/volumes/5/gitRepo",
            ]
        );
        assert_eq!(hits[0].severity, Severity::High);
        assert_eq!(hits[1].severity, Severity::Medium);
        assert!(hits[1].message.contains("`nfs`"));
        // `{name: empty}` is defaulted to an emptyDir by the API server.
    }

    #[test]
    fn quiet_for_allowed_types_and_below_restricted() {
        let y = pod(
            "  containers: [{name: a, image: x}]\n  volumes: [{name: a, emptyDir: {}}, {name: b, secret: {secretName: s}}, {name: c, csi: {driver: d}}, {name: d, ephemeral: {volumeClaimTemplate: {spec: {}}}}, {name: e, persistentVolumeClaim: {claimName: c}}, {name: f, downwardAPI: {items: []}}, {name: g, image: {reference: r}}]\n",
        );
        assert!(at(&RULE, "restricted:v1.0", &y).is_empty());
        let y = pod(
            "  containers: [{name: a, image: x}]\n  volumes: [{name: n, nfs: {server: s, path: /}}]\n",
        );
        assert!(at(&RULE, "baseline", &y).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{containers: [{name: a, image: x}], volumes: [{name: n, iscsi: {targetPortal: p, iqn: i, lun: 0}}]}",
        ) {
            assert_eq!(at(&RULE, "restricted", &y).len(), 1, "{kind}");
        }
    }
}
