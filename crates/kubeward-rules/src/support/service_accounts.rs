//! Shared logic of KW-CTR-013 (token automount) and KW-CTR-014 (default ServiceAccount): which
//! ServiceAccount a pod runs as, whether its token is mounted (pod field first, then the
//! ServiceAccount's), and which bindings in the inventory grant that ServiceAccount anything.
//! Computed once per inventory and shared by both rules.

use kubeward_core::{Inventory, Node, ObjectId, PodSpec};
use std::collections::HashMap;
use std::sync::Arc;

/// Whether the pod mounts its service-account token, and why.
pub(crate) enum Token {
    /// Not mounted: the pod or its ServiceAccount says `automountServiceAccountToken: false`.
    Off,
    /// Mounted. `pod_field` is the pod's explicit `true`; `sa` the ServiceAccount object if it is
    /// in the inventory (it then does not say false).
    On {
        pod_field: bool,
        sa: Option<ObjectId>,
    },
    /// The pod does not decide, and the ServiceAccount is not in the inventory.
    Unknown,
}

pub(crate) struct PodIdentity {
    pub object: ObjectId,
    /// Pointer of the pod spec in the object.
    pub spec_ptr: &'static str,
    pub namespace: String,
    pub sa_name: String,
    /// The field that names the ServiceAccount (`serviceAccountName`, the deprecated
    /// `serviceAccount`), or `None` when it is implicit.
    pub sa_field: Option<&'static str>,
    pub token: Token,
    /// The pod mounts a projected serviceAccountToken volume itself.
    pub projected_token: bool,
}

impl PodIdentity {
    /// Where the ServiceAccount is chosen (the pod spec, when it is implicit).
    pub fn sa_pointer(&self) -> String {
        match self.sa_field {
            Some(f) => format!("{}/{f}", self.spec_ptr),
            None => self.spec_ptr.to_string(),
        }
    }
}

pub(crate) struct Identities {
    /// Every pod spec of the inventory except PodTemplates (they run nothing by themselves).
    pub pods: Vec<PodIdentity>,
    /// Bindings that name a ServiceAccount as a subject: (namespace, name) → (binding, pointer).
    pub bound: HashMap<(String, String), Vec<(ObjectId, String)>>,
}

/// The identities of `inv`, computed once.
pub(crate) fn identities(inv: &Inventory) -> Arc<Identities> {
    inv.memo(|| Identities {
        pods: pod_identities(inv),
        bound: bindings_by_subject(inv),
    })
}

fn bindings_by_subject(inv: &Inventory) -> HashMap<(String, String), Vec<(ObjectId, String)>> {
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
                        // The RBAC authorizer defaults a RoleBinding subject's namespace to the
                        // binding's.
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

fn pod_identities(inv: &Inventory) -> Vec<PodIdentity> {
    let mut out = Vec::new();
    for obj in inv.workloads().filter(|o| o.kind != "PodTemplate") {
        let Some(pod) = PodSpec::of(obj) else {
            continue;
        };
        let Some(namespace) = obj.namespace() else {
            continue;
        };
        let (sa_name, sa_field) = match (
            pod.spec
                .str_at("serviceAccountName")
                .filter(|s| !s.is_empty()),
            pod.spec.str_at("serviceAccount").filter(|s| !s.is_empty()),
        ) {
            (Some(n), _) => (n, Some("serviceAccountName")),
            (None, Some(n)) => (n, Some("serviceAccount")),
            (None, None) => ("default", None),
        };
        let sa = inv.get("ServiceAccount", Some(namespace), sa_name);
        let token = match pod.spec.bool_at("automountServiceAccountToken") {
            Some(false) => Token::Off,
            Some(true) => Token::On {
                pod_field: true,
                sa: sa.map(|s| s.id),
            },
            None => match sa {
                Some(s) if s.root.bool_at("automountServiceAccountToken") == Some(false) => {
                    Token::Off
                }
                Some(s) => Token::On {
                    pod_field: false,
                    sa: Some(s.id),
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
            object: obj.id,
            spec_ptr: pod.spec_ptr,
            namespace: namespace.to_string(),
            sa_name: sa_name.to_string(),
            sa_field,
            token,
            projected_token,
        });
    }

    out
}
