//! KW-CTR-019: `subPath` mounts of a hostPath, or of a volume another mount can write.

use kubeward_core::{
    Check, Container, Emitter, Layer, Node, ObjectCtx, Rule, RuleMeta, Severity, Targets,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-019",
        name: "subpath-of-writable-volume",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "subPath mount of a hostPath or of a volume a container can write",
        why: "The kubelet resolves `subPath` and `subPathExpr` on the node, as root, inside the \
              volume's directory. When a container can write into that volume (another mount of \
              it without `readOnly: true`, in any container of the pod, init containers \
              included), it can replace the sub-path with a symlink and win the race against \
              the kubelet: the next container start mounts whatever the link points at on the \
              node, the node's root filesystem included (CVE-2017-1002101, CVE-2021-25741). \
              Patched kubelets close the known races, but the pattern keeps the node one \
              kubelet bug away from the pod; a subPath into a hostPath needs no second writer \
              at all to be dangerous. ConfigMap, Secret, downward API and projected volumes are \
              mounted read-only by the kubelet and are not reported.",
        fix: "Mount the volume without subPath (a dedicated volume per container, or an \
              emptyDir per purpose), mount every other use of it `readOnly: true`, and keep \
              hostPath volumes out of subPath mounts; run patched kubelets.",
        references: &[
            ("kubescape", "C-0058"),
            ("mitre", "T1611"),
            (
                "docs",
                "https://github.com/kubernetes/kubernetes/issues/104980",
            ),
            (
                "docs",
                "https://github.com/kubernetes/kubernetes/issues/60813",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

/// Volume sources the kubelet always mounts read-only.
const READ_ONLY_SOURCES: &[&str] = &["configMap", "secret", "downwardAPI", "projected"];

struct Mount<'a> {
    container: Container<'a>,
    index: usize,
    node: &'a Node,
}

impl Mount<'_> {
    fn volume(&self) -> &str {
        self.node.str_at("name").unwrap_or("")
    }
    fn read_only(&self) -> bool {
        self.node.bool_at("readOnly") == Some(true)
    }
    fn sub_path(&self) -> Option<(&'static str, &str)> {
        ["subPath", "subPathExpr"].into_iter().find_map(|f| {
            self.node
                .str_at(f)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (f, v))
        })
    }
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    // Most pods have no subPath mount: decide that without allocating.
    let any_sub_path = pod.containers().any(|c| {
        c.items("volumeMounts")
            .any(|(_, m)| m.get("subPath").is_some() || m.get("subPathExpr").is_some())
    });
    if !any_sub_path {
        return;
    }
    let mounts: Vec<Mount<'_>> = pod
        .containers()
        .flat_map(|c| {
            c.items("volumeMounts").map(move |(index, node)| Mount {
                container: c,
                index,
                node,
            })
        })
        .collect();
    for (i, m) in mounts.iter().enumerate() {
        let Some((field, sub)) = m.sub_path() else {
            continue;
        };
        let Some(volume) = pod
            .volumes()
            .map(|(_, v)| v)
            .find(|v| v.str_at("name") == Some(m.volume()))
        else {
            continue;
        };
        let pointer = m
            .container
            .ptr(&["volumeMounts", &m.index.to_string(), field]);
        let what = format!(
            "{} mounts volume {} with {field} {sub}",
            m.container.describe(),
            m.volume()
        );
        if let Some(path) = volume.path(&["hostPath", "path"]).and_then(Node::as_str) {
            out.report(
                ctx.object,
                pointer,
                format!(
                    "{what}, a hostPath ({path}): a symlink at that sub-path resolves on the node (CVE-2021-25741){}",
                    pod.found_note()
                ),
            );
            continue;
        }
        if READ_ONLY_SOURCES.iter().any(|s| volume.get(s).is_some()) {
            continue;
        }
        let writer = mounts
            .iter()
            .enumerate()
            .find(|(j, w)| *j != i && w.volume() == m.volume() && !w.read_only());
        if let Some((_, w)) = writer {
            let by =
                if w.container.kind == m.container.kind && w.container.index == m.container.index {
                    "another mount of the same container".to_string()
                } else {
                    w.container.describe()
                };
            out.report(
                ctx.object,
                pointer,
                format!(
                    "{what}, and {by} mounts that volume writable: it can plant a symlink the kubelet follows on the node when it sets up the sub-path (CVE-2017-1002101, CVE-2021-25741){}",
                    pod.found_note()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::{all_kinds, pod_yaml, sorted};
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn host_path_and_shared_writable_volumes() {
        let y = pod_yaml(json!({
            "initContainers": [{"name": "seed", "image": "x",
                                "volumeMounts": [{"name": "shared", "mountPath": "/seed"}]}],
            "containers": [
                {"name": "app", "image": "x", "volumeMounts": [
                    {"name": "shared", "mountPath": "/data", "subPath": "app", "readOnly": true},
                    {"name": "host", "mountPath": "/logs", "subPathExpr": "$(POD_NAME)", "readOnly": true},
                    {"name": "cfg", "mountPath": "/etc/app.conf", "subPath": "app.conf"},
                    {"name": "own", "mountPath": "/cache", "subPath": "c"}
                ]},
                {"name": "side", "image": "x", "volumeMounts": [
                    {"name": "cfg", "mountPath": "/cfg"},
                    {"name": "own", "mountPath": "/own", "subPath": "d", "readOnly": true}
                ]}
            ],
            "volumes": [
                {"name": "shared", "emptyDir": {}},
                {"name": "host", "hostPath": {"path": "/var/log/pods"}},
                {"name": "cfg", "configMap": {"name": "c"}},
                {"name": "own", "emptyDir": {}}
            ]
        }));
        let hits = run(&RULE, &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/containers/0/volumeMounts/0/subPath",
                "/spec/containers/0/volumeMounts/1/subPathExpr",
                // `own`: the app's own subPath mount is writable, so the sidecar's subPath
                // mount of the same volume is exposed.
                "/spec/containers/1/volumeMounts/1/subPath",
            ])
        );
        let shared = &hits
            .iter()
            .find(|h| h.pointer.ends_with("0/subPath"))
            .unwrap()
            .message;
        assert!(
            shared.contains("init container \"seed\" mounts that volume writable"),
            "{shared}"
        );
        let host = &hits
            .iter()
            .find(|h| h.pointer.ends_with("subPathExpr"))
            .unwrap()
            .message;
        assert!(host.contains("a hostPath (/var/log/pods)"), "{host}");
    }

    #[test]
    fn quiet_when_every_other_mount_is_read_only() {
        let spec = json!({
            "containers": [
                {"name": "app", "image": "x", "volumeMounts": [
                    {"name": "data", "mountPath": "/d", "subPath": "a"},
                    {"name": "data", "mountPath": "/e", "subPath": "b", "readOnly": true}]}
            ],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "c"}}]
        });
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            // The first mount is writable, so the second (subPath) one is reported...
            assert_eq!(run(&RULE, &y).len(), 1, "{kind}");
        }
        let spec = json!({
            "containers": [
                {"name": "app", "image": "x", "volumeMounts": [
                    {"name": "data", "mountPath": "/d", "subPath": "a", "readOnly": true},
                    {"name": "data", "mountPath": "/e", "subPath": "b", "readOnly": true}]}
            ],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "c"}}]
        });
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
    }
}
