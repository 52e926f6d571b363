//! KW-DAT-004: StorageClasses whose volumes are not encrypted at rest with a key the
//! organisation controls, for provisioners whose encryption kubeward knows.

use kubeward_core::{
    Check, Emitter, Layer, Node, Object, ObjectCtx, Rule, RuleMeta, Severity, Status, Targets,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-DAT-004",
        name: "storage-class-unencrypted",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "StorageClass does not encrypt its volumes (or not with your key)",
        why: "Volumes hold databases, uploads and backups. AWS EBS volumes (in-tree \
              `kubernetes.io/aws-ebs` and CSI `ebs.csi.aws.com`) are encrypted only with \
              `encrypted: \"true\"` (unless the account enforces EBS encryption by default, \
              which a manifest cannot show), and unencrypted snapshots can be shared or copied \
              out of the account. GCE PD and Azure Disk always encrypt with provider-managed \
              keys; without `disk-encryption-kms-key` (GCE PD CSI) or `diskEncryptionSetID` \
              (Azure Disk CSI) you cannot revoke access by disabling your own key or prove key \
              custody, so those findings are low. Ceph RBD encrypts with `encrypted: \"true\"`, \
              but the OSDs may encrypt their disks, which a manifest does not show; for that and \
              for provisioners kubeward does not know, the finding is UNKNOWN.",
        fix: "AWS EBS: set `parameters.encrypted: \"true\"` and a `kmsKeyId`. GCE PD CSI: set \
              `disk-encryption-kms-key` to a Cloud KMS key. Azure Disk CSI: set \
              `diskEncryptionSetID`. Ceph RBD CSI: `encrypted: \"true\"` with a KMS \
              configuration. Existing volumes keep their old settings: migrate them.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Secrets, encryption at rest",
            ),
            ("mitre", "T1530"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/storage/storage-classes/#parameters",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["StorageClass"]),
        run: check,
    },
};

/// A parameter by case-insensitive key (the drivers lower-case keys), with its pointer.
fn param<'a>(o: &'a Object, key: &str) -> Option<(&'a Node, String)> {
    o.root.get("parameters")?.entries().find_map(|(k, v)| {
        k.eq_ignore_ascii_case(key).then(|| {
            (
                v,
                format!("/parameters/{}", kubeward_core::tree::escape_token(k)),
            )
        })
    })
}

/// Go's strconv.ParseBool.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if o.group() != "storage.k8s.io" {
        return;
    }
    let Some(provisioner) = o.root.str_at("provisioner") else {
        return;
    };
    let at_params = || {
        if o.root.get("parameters").is_some() {
            "/parameters".to_string()
        } else {
            "/provisioner".to_string()
        }
    };
    let name = &o.name;
    match provisioner {
        "kubernetes.io/aws-ebs" | "ebs.csi.aws.com" => {
            let csi = provisioner == "ebs.csi.aws.com";
            match param(o, "encrypted") {
                None => {
                    out.report(
                        o,
                        at_params(),
                        format!(
                            "StorageClass {name} ({provisioner}) does not set encrypted: \"true\": its EBS volumes are unencrypted unless the AWS account enforces encryption by default"
                        ),
                    );
                }
                Some((v, ptr)) => match v.as_str() {
                    Some("true") => {}
                    Some(s) => match parse_bool(s) {
                        Some(true) if !csi => {}
                        Some(true) => {
                            out.report(
                                o,
                                ptr,
                                format!(
                                    "StorageClass {name}: encrypted is `{s}`; older versions of the EBS CSI driver encrypt only for the exact string \"true\""
                                ),
                            )
                            .status(Status::Unknown);
                        }
                        Some(false) => {
                            out.report(
                                o,
                                ptr,
                                format!(
                                    "StorageClass {name} ({provisioner}) sets encrypted: \"{s}\": its EBS volumes are unencrypted unless the AWS account enforces encryption by default"
                                ),
                            );
                        }
                        None => {
                            out.report(
                                o,
                                ptr,
                                format!(
                                    "StorageClass {name}: encrypted is `{s}`, which the driver cannot parse; provisioning fails or does not encrypt"
                                ),
                            )
                            .status(Status::Unknown);
                        }
                    },
                    None => {
                        out.report(
                            o,
                            ptr,
                            format!(
                                "StorageClass {name}: parameters must be strings (write encrypted: \"true\"); the API server rejects {}",
                                v.type_name()
                            ),
                        )
                        .status(Status::Unknown);
                    }
                },
            }
        }
        "pd.csi.storage.gke.io" | "kubernetes.io/gce-pd" => {
            let has_key = param(o, "disk-encryption-kms-key")
                .and_then(|(v, _)| v.as_str().map(|s| !s.trim().is_empty()))
                .unwrap_or(false);
            if has_key && provisioner == "pd.csi.storage.gke.io" {
                return;
            }
            let msg = if provisioner == "kubernetes.io/gce-pd" {
                format!(
                    "StorageClass {name} uses the in-tree GCE PD provisioner, which cannot use a customer-managed key: volumes are encrypted with Google-managed keys only"
                )
            } else {
                format!(
                    "StorageClass {name} does not set disk-encryption-kms-key: volumes are encrypted with Google-managed keys only"
                )
            };
            out.report(o, at_params(), msg).severity(Severity::Low);
        }
        "disk.csi.azure.com" | "kubernetes.io/azure-disk" => {
            let has_set = param(o, "diskEncryptionSetID")
                .and_then(|(v, _)| v.as_str().map(|s| !s.trim().is_empty()))
                .unwrap_or(false);
            if has_set && provisioner == "disk.csi.azure.com" {
                return;
            }
            let msg = if provisioner == "kubernetes.io/azure-disk" {
                format!(
                    "StorageClass {name} uses the in-tree Azure Disk provisioner, which cannot use a disk encryption set: volumes are encrypted with platform-managed keys only"
                )
            } else {
                format!(
                    "StorageClass {name} does not set diskEncryptionSetID: volumes are encrypted with platform-managed keys only"
                )
            };
            out.report(o, at_params(), msg).severity(Severity::Low);
        }
        "rbd.csi.ceph.com" => {
            if param(o, "encrypted").and_then(|(v, _)| v.as_str()) == Some("true") {
                return;
            }
            out.report(
                o,
                at_params(),
                format!(
                    "StorageClass {name} (Ceph RBD) does not set encrypted: \"true\": volumes are encrypted only if the Ceph OSDs encrypt their disks, which the manifests do not show"
                ),
            )
            .status(Status::Unknown);
        }
        other => {
            out.report(
                o,
                "/provisioner",
                format!(
                    "StorageClass {name}: kubeward does not know whether provisioner {other} encrypts volumes at rest; check its documentation"
                ),
            )
            .status(Status::Unknown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};
    use kubeward_core::{Severity, Status};
    use serde_json::json;

    fn sc(provisioner: &str, params: serde_json::Value) -> String {
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
               "metadata": {"name": "s"}, "provisioner": provisioner, "parameters": params})
        .to_string()
    }

    #[test]
    fn aws_ebs_in_tree_and_csi() {
        for p in ["kubernetes.io/aws-ebs", "ebs.csi.aws.com"] {
            assert!(run(&RULE, &sc(p, json!({"type": "gp3", "encrypted": "true"}))).is_empty());
            // Keys are case-insensitive for both.
            assert!(run(&RULE, &sc(p, json!({"Encrypted": "true"}))).is_empty());
            let hits = run(&RULE, &sc(p, json!({"type": "gp3"})));
            assert_eq!(pointers(&hits), vec!["/parameters"]);
            assert_eq!(
                (hits[0].severity, hits[0].status),
                (Severity::Medium, Status::Fail)
            );
            let hits = run(&RULE, &sc(p, json!({"encrypted": "false"})));
            assert_eq!(pointers(&hits), vec!["/parameters/encrypted"]);
            assert_eq!(hits[0].status, Status::Fail);
            let hits = run(&RULE, &sc(p, json!({"encrypted": "maybe"})));
            assert_eq!(hits[0].status, Status::Unknown);
            // A YAML boolean is not a string: the API server rejects the object.
            let hits = run(&RULE, &sc(p, json!({"encrypted": true})));
            assert_eq!(hits[0].status, Status::Unknown);
        }
        // strconv.ParseBool spellings: fine in-tree, uncertain with the CSI driver.
        assert!(
            run(
                &RULE,
                &sc("kubernetes.io/aws-ebs", json!({"encrypted": "True"}))
            )
            .is_empty()
        );
        let hits = run(&RULE, &sc("ebs.csi.aws.com", json!({"encrypted": "True"})));
        assert_eq!(hits[0].status, Status::Unknown);
    }

    #[test]
    fn gce_azure_ceph_and_others() {
        assert!(
            run(&RULE, &sc("pd.csi.storage.gke.io", json!({"disk-encryption-kms-key": "projects/p/locations/l/keyRings/r/cryptoKeys/k"}))).is_empty()
        );
        let hits = run(
            &RULE,
            &sc("pd.csi.storage.gke.io", json!({"type": "pd-ssd"})),
        );
        assert_eq!(
            (hits[0].severity, hits[0].status),
            (Severity::Low, Status::Fail)
        );
        assert_eq!(run(&RULE, &sc("kubernetes.io/gce-pd", json!({}))).len(), 1);
        assert!(
            run(&RULE, &sc("disk.csi.azure.com", json!({"diskEncryptionSetID": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/diskEncryptionSets/d"}))).is_empty()
        );
        let hits = run(
            &RULE,
            &sc("disk.csi.azure.com", json!({"skuName": "Premium_LRS"})),
        );
        assert_eq!(hits[0].severity, Severity::Low);
        assert!(run(&RULE, &sc("rbd.csi.ceph.com", json!({"encrypted": "true"}))).is_empty());
        for p in [
            "rbd.csi.ceph.com",
            "cephfs.csi.ceph.com",
            "kubernetes.io/no-provisioner",
            "driver.longhorn.io",
        ] {
            let hits = run(&RULE, &sc(p, json!({})));
            assert_eq!(hits.len(), 1, "{p}");
            assert_eq!(hits[0].status, Status::Unknown, "{p}");
        }
    }
}
