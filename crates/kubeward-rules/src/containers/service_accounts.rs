//! Shared logic of KW-CTR-013 (token automount) and KW-CTR-014 (default ServiceAccount): which
//! ServiceAccount a pod runs as, whether its token is mounted (pod field first, then the
//! ServiceAccount's), and which bindings in the inventory grant that ServiceAccount anything.

use kubeward_core::podspec::WORKLOAD_KINDS;
use kubeward_core::{Inventory, Node, Object, ObjectId, PodSpec};
use std::collections::HashMap;

/// Bindings that name a ServiceAccount as a subject: (namespace, name) → (binding, pointer).
pub(crate) fn bindings_by_subject(
    inv: &Inventory,
) -> HashMap<(String, String), Vec<(ObjectId, String)>> {
    let mut out: HashMap<(String, String), Vec<(ObjectId, String)>> = HashMap::new();
    for kind in ["RoleBinding", "ClusterRoleBinding"] {
        for b in inv.of_kind(kind) {
            if b.group() != "rbac.authorization.k8s.io" {
                continue;
            }
            for (i, s) in b
                .root
                .get("subjects")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                let key = match s.str_at("kind") {
                    Some("ServiceAccount") => {
                        let ns = s.str_at("namespace").or(if kind == "RoleBinding" {
                            b.namespace()
                        } else {
                            None
                        });
                        match (ns, s.str_at("name")) {
                            (Some(ns), Some(n)) => (ns.to_string(), n.to_string()),
                            _ => continue,
                        }
                    }
                    Some("User") => {
                        let Some(rest) = s
                            .str_at("name")
                            .and_then(|n| n.strip_prefix("system:serviceaccount:"))
                        else {
                            continue;
                        };
                        match rest.split_once(':') {
                            Some((ns, n)) => (ns.to_string(), n.to_string()),
                            None => continue,
                        }
                    }
                    _ => continue,
                };
                out.entry(key)
                    .or_default()
                    .push((b.id, format!("/subjects/{i}")));
            }
        }
    }
    out
}

/// Whether the pod mounts its service-account token, and why.
pub(crate) enum Token<'a> {
    /// Not mounted: the pod or its ServiceAccount says `automountServiceAccountToken: false`.
    Off,
    /// Mounted. `pod_field` is the pod's explicit `true`; `sa` the ServiceAccount object if it is
    /// in the inventory (it then does not say false).
    On {
        pod_field: bool,
        sa: Option<&'a Object>,
    },
    /// The pod does not decide, and the ServiceAccount is not in the inventory.
    Unknown,
}

pub(crate) struct PodIdentity<'a> {
    pub object: &'a Object,
    pub pod: PodSpec<'a>,
    pub namespace: &'a str,
    pub sa_name: &'a str,
    /// The pointer where the ServiceAccount is chosen (or the pod spec, when it is implicit).
    pub sa_pointer: String,
    pub sa_written: bool,
    pub token: Token<'a>,
    /// The pod mounts a projected serviceAccountToken volume itself.
    pub projected_token: bool,
}

/// Every pod spec of the inventory with its identity. PodTemplates are skipped: they run
/// nothing by themselves.
pub(crate) fn pod_identities(inv: &Inventory) -> Vec<PodIdentity<'_>> {
    let mut out = Vec::new();
    for kind in WORKLOAD_KINDS {
        if *kind == "PodTemplate" {
            continue;
        }
        for obj in inv.of_kind(kind) {
            let Some(pod) = PodSpec::of(obj) else {
                continue;
            };
            let Some(namespace) = obj.namespace() else {
                continue;
            };
            let (sa_name, sa_pointer, sa_written) = match (
                pod.spec
                    .str_at("serviceAccountName")
                    .filter(|s| !s.is_empty()),
                pod.spec.str_at("serviceAccount").filter(|s| !s.is_empty()),
            ) {
                (Some(n), _) => (n, pod.ptr(&["serviceAccountName"]), true),
                (None, Some(n)) => (n, pod.ptr(&["serviceAccount"]), true),
                (None, None) => ("default", pod.ptr(&[]), false),
            };
            let sa = inv.get("ServiceAccount", Some(namespace), sa_name);
            let token = match pod.spec.bool_at("automountServiceAccountToken") {
                Some(false) => Token::Off,
                Some(true) => Token::On {
                    pod_field: true,
                    sa,
                },
                None => match sa {
                    Some(s) if s.root.bool_at("automountServiceAccountToken") == Some(false) => {
                        Token::Off
                    }
                    Some(s) => Token::On {
                        pod_field: false,
                        sa: Some(s),
                    },
                    // The `default` ServiceAccount that Kubernetes creates does not opt out.
                    None if sa_name == "default" => Token::On {
                        pod_field: false,
                        sa: None,
                    },
                    None => Token::Unknown,
                },
            };
            let projected_token = pod.volumes().any(|(_, v)| {
                v.path(&["projected", "sources"])
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .any(|s| s.get("serviceAccountToken").is_some())
            });
            out.push(PodIdentity {
                object: obj,
                pod,
                namespace,
                sa_name,
                sa_pointer,
                sa_written,
                token,
                projected_token,
            });
        }
    }
    out
}
