//! KW-DAT-005: NFS volumes, whose data crosses the network unencrypted.

use kubeward_core::{
    Check, Emitter, Layer, Node, Object, ObjectCtx, Rule, RuleMeta, Severity, Targets,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-DAT-005",
        name: "nfs-volume-unencrypted",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "NFS volume sends data over the network unencrypted",
        why: "NFS (v3 and v4 with the default `sec=sys`) sends file contents in clear text and \
              trusts the client's claimed UID: anyone on the path between node and server reads \
              and alters the data, and any host allowed by the export can mount it as any user. \
              Only Kerberos privacy (`sec=krb5p`) encrypts the traffic. Inline `nfs:` volumes in \
              pods cannot set mount options at all; PersistentVolumes and NFS CSI StorageClasses \
              can.",
        fix: "Use a PersistentVolume (or an nfs.csi.k8s.io StorageClass) with \
              `mountOptions: [\"sec=krb5p\"]`, or a storage backend that encrypts in transit (NFS \
              over TLS where the server supports it, a cloud file service with encryption in \
              transit, a block volume); restrict the export to the nodes' addresses.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Secrets, encryption in transit",
            ),
            ("mitre", "T1040"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/storage/volumes/#nfs",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::All,
        run: check,
    },
};

const NFS_CSI: &str = "nfs.csi.k8s.io";

fn krb5p(o: &Object, pointer: &[&str]) -> bool {
    let opts = o
        .root
        .path(pointer)
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .chain(
            o.annotation("volume.beta.kubernetes.io/mount-options")
                .into_iter()
                .flat_map(|a| a.split(',')),
        );
    for opt in opts {
        for part in opt.split(',') {
            if let Some(v) = part.trim().strip_prefix("sec=") {
                if v.split(':').any(|f| f == "krb5p") {
                    return true;
                }
            }
        }
    }
    false
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if let Some(pod) = ctx.pod {
        for (i, v) in pod.volumes() {
            let Some(nfs) = v.get("nfs") else { continue };
            out.report(
                o,
                pod.ptr(&["volumes", &i.to_string(), "nfs"]),
                format!(
                    "volume \"{}\" mounts NFS export {}:{} inline, which cannot require Kerberos privacy (sec=krb5p): its data crosses the network in clear text",
                    v.str_at("name").unwrap_or(""),
                    nfs.str_at("server").unwrap_or("?"),
                    nfs.str_at("path").unwrap_or("?")
                ),
            );
        }
        return;
    }
    match (o.group(), o.kind.as_str()) {
        ("", "PersistentVolume") => {
            let Some(spec) = o.root.get("spec") else {
                return;
            };
            let (pointer, what) = if let Some(nfs) = spec.get("nfs") {
                (
                    "/spec/nfs",
                    format!(
                        "NFS export {}:{}",
                        nfs.str_at("server").unwrap_or("?"),
                        nfs.str_at("path").unwrap_or("?")
                    ),
                )
            } else if spec.path(&["csi", "driver"]).and_then(Node::as_str) == Some(NFS_CSI) {
                ("/spec/csi", format!("an {NFS_CSI} volume"))
            } else {
                return;
            };
            if krb5p(o, &["spec", "mountOptions"]) {
                return;
            }
            out.report(
                o,
                pointer,
                format!(
                    "PersistentVolume {} is {what} without sec=krb5p in its mountOptions: its data crosses the network in clear text",
                    o.name
                ),
            );
        }
        ("storage.k8s.io", "StorageClass") => {
            if o.root.str_at("provisioner") != Some(NFS_CSI) || krb5p(o, &["mountOptions"]) {
                return;
            }
            out.report(
                o,
                "/provisioner",
                format!(
                    "StorageClass {} provisions NFS volumes without sec=krb5p in its mountOptions: their data crosses the network in clear text",
                    o.name
                ),
            );
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::all_kinds;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn pv(spec: serde_json::Value) -> String {
        json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"}, "spec": spec})
            .to_string()
    }

    #[test]
    fn persistent_volumes_and_mount_options() {
        let nfs = json!({"server": "10.0.0.2", "path": "/exports/a"});
        assert_eq!(
            pointers(&run(&RULE, &pv(json!({"nfs": nfs})))),
            vec!["/spec/nfs"]
        );
        for opts in [json!(["nfsvers=4.1", "sec=krb5i"]), json!(["hard"])] {
            assert_eq!(
                run(&RULE, &pv(json!({"nfs": nfs, "mountOptions": opts}))).len(),
                1
            );
        }
        for opts in [
            json!(["nfsvers=4.1", "sec=krb5p"]),
            json!(["hard,sec=krb5p"]),
            json!(["sec=krb5:krb5p"]),
        ] {
            assert!(run(&RULE, &pv(json!({"nfs": nfs, "mountOptions": opts}))).is_empty());
        }
        let csi = json!({"csi": {"driver": "nfs.csi.k8s.io", "volumeHandle": "h"}});
        assert_eq!(pointers(&run(&RULE, &pv(csi))), vec!["/spec/csi"]);
        assert!(
            run(
                &RULE,
                &pv(json!({"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "v"}}))
            )
            .is_empty()
        );
        let sc = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                        "metadata": {"name": "nfs"}, "provisioner": "nfs.csi.k8s.io"});
        assert_eq!(run(&RULE, &sc.to_string()).len(), 1);
        let mut sc2 = sc.clone();
        sc2["mountOptions"] = json!(["sec=krb5p"]);
        assert!(run(&RULE, &sc2.to_string()).is_empty());
    }

    #[test]
    fn inline_volumes_in_every_kind() {
        let spec = json!({"containers": [{"name": "a", "image": "x"}],
            "volumes": [{"name": "e", "emptyDir": {}},
                        {"name": "backup", "nfs": {"server": "nas", "path": "/b"}}]});
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            let hits = run(&RULE, &y);
            assert_eq!(
                pointers(&hits),
                vec![format!("{p}/volumes/1/nfs")],
                "{kind}"
            );
            assert!(hits[0].message.contains("nas:/b"));
        }
    }
}
