//! Pods → service account → token: which API identity each workload carries.
//!
//! A token reaches a pod's containers through the automounted service-account volume
//! (`automountServiceAccountToken` on the pod wins over the one on the ServiceAccount; both
//! default to true), through a projected `serviceAccountToken` volume source (mounted whatever
//! automount says; a token with a non-API audience is not accepted by the API server), or
//! through a legacy `kubernetes.io/service-account-token` Secret mounted as a volume or read
//! into an environment variable (possibly another service account's token).

use super::model::Str;
use kubeward_core::tree::Node;
use kubeward_core::{Inventory, ObjectId, PodSpec};

/// One token a workload holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub namespace: Str,
    pub service_account: Str,
    /// How it gets there, for messages.
    pub how: String,
    /// Where that is written in the workload (JSON pointer).
    pub pointer: String,
    /// The ServiceAccount object is not in the input, so its automount setting is unknown
    /// (the default, mounted, is assumed).
    pub assumed: bool,
}

/// A workload that carries a pod spec.
#[derive(Clone, Debug)]
pub struct Workload {
    pub object: ObjectId,
    pub namespace: Str,
    /// The pod's service account (`default` when not written).
    pub service_account: Str,
    /// Pointer to `serviceAccountName` (or the pod spec when not written).
    pub sa_pointer: String,
    pub tokens: Vec<Token>,
    /// Pod (template) labels, for Service selectors.
    pub labels: Option<Node>,
}

/// Kinds whose objects are made by a controller we would already see as their owner.
fn owned_by_listed(inv: &Inventory, o: &kubeward_core::Object) -> bool {
    o.root
        .path(&["metadata", "ownerReferences"])
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .any(|r| {
            r.bool_at("controller") == Some(true)
                && r.str_at("kind")
                    .zip(r.str_at("name"))
                    .is_some_and(|(k, n)| inv.get(k, o.namespace(), n).is_some())
        })
}

/// Every workload of the inventory (objects made by a listed controller are left out: their
/// owner stands for them), with the tokens it mounts.
pub fn collect(inv: &Inventory) -> Vec<Workload> {
    let mut out = Vec::new();
    for o in inv.workloads().filter(|o| o.kind != "PodTemplate") {
        let Some(pod) = PodSpec::of(o) else { continue };
        if owned_by_listed(inv, o) {
            continue;
        }
        out.push(workload(inv, &pod, &|p| p));
    }
    // The pods of Argo Workflows templates, one entry per service-account identity of the
    // object (templates with the same account and tokens are one entry), pointers on the
    // templates' fields.
    for kind in [
        "Workflow",
        "CronWorkflow",
        "WorkflowTemplate",
        "ClusterWorkflowTemplate",
    ] {
        for o in inv.of_kind(kind) {
            if owned_by_listed(inv, o) {
                continue;
            }
            let first = out.len();
            for tp in kubeward_core::argo::template_pods(o) {
                let Some(pod) = tp.pod_spec() else { continue };
                let w = workload(inv, &pod, &|p| tp.real_pointer(&p));
                let same = |x: &Workload| {
                    x.service_account == w.service_account
                        && x.tokens.len() == w.tokens.len()
                        && x.tokens.iter().zip(&w.tokens).all(|(a, b)| {
                            (&a.namespace, &a.service_account) == (&b.namespace, &b.service_account)
                        })
                };
                if !out[first..].iter().any(same) {
                    out.push(w);
                }
            }
        }
    }
    out
}

/// The identity of one pod spec; `real` turns a pointer into the pod spec into one into the
/// object (the identity for built-in kinds).
fn workload(inv: &Inventory, pod: &PodSpec<'_>, real: &dyn Fn(String) -> String) -> Workload {
    let o = pod.object;
    {
        let ns: Str = o.namespace().unwrap_or("default").into();
        let (sa, sa_pointer) = match pod
            .spec
            .str_at("serviceAccountName")
            .filter(|s| !s.is_empty())
        {
            Some(s) => (s, pod.ptr(&["serviceAccountName"])),
            None => match pod.spec.str_at("serviceAccount").filter(|s| !s.is_empty()) {
                Some(s) => (s, pod.ptr(&["serviceAccount"])),
                None => ("default", pod.ptr(&[])),
            },
        };
        let sa: Str = sa.into();
        let mut tokens = Vec::new();
        let sa_obj = inv.get("ServiceAccount", Some(&ns), &sa);
        match pod.spec.bool_at("automountServiceAccountToken") {
                Some(true) => tokens.push(Token {
                    namespace: ns.clone(),
                    service_account: sa.clone(),
                    how: "automountServiceAccountToken: true on the pod".into(),
                    pointer: pod.ptr(&["automountServiceAccountToken"]),
                    assumed: false,
                }),
                Some(false) => {}
                None => match sa_obj.and_then(|s| s.root.bool_at("automountServiceAccountToken")) {
                    Some(false) => {}
                    Some(true) => tokens.push(Token {
                        namespace: ns.clone(),
                        service_account: sa.clone(),
                        how: "automounted: the ServiceAccount sets automountServiceAccountToken: true".into(),
                        pointer: sa_pointer.clone(),
                        assumed: false,
                    }),
                    None => tokens.push(Token {
                        namespace: ns.clone(),
                        service_account: sa.clone(),
                        how: if sa_obj.is_some() {
                            "automounted: neither the pod nor the ServiceAccount turns it off".into()
                        } else {
                            "automounted: the pod does not turn it off, and the ServiceAccount is not in the input, so its default is assumed".into()
                        },
                        pointer: sa_pointer.clone(),
                        assumed: sa_obj.is_none(),
                    }),
                },
            }
        let mounted: Vec<&str> = pod
            .containers()
            .flat_map(|c| {
                c.items("volumeMounts")
                    .filter_map(|(_, m)| m.str_at("name"))
            })
            .collect();
        for (vi, v) in pod.volumes() {
            let vname = v.str_at("name").unwrap_or("");
            if !mounted.contains(&vname) {
                continue;
            }
            for (si, src) in v
                .path(&["projected", "sources"])
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                let Some(t) = src.get("serviceAccountToken") else {
                    continue;
                };
                let audience = t.str_at("audience").unwrap_or("");
                let api = audience.is_empty()
                    || audience.contains("kubernetes.default.svc")
                    || audience == "kubernetes";
                if api {
                    tokens.push(Token {
                        namespace: ns.clone(),
                        service_account: sa.clone(),
                        how: format!("projected serviceAccountToken in volume \"{vname}\""),
                        pointer: pod.ptr(&[
                            "volumes",
                            &vi.to_string(),
                            "projected",
                            "sources",
                            &si.to_string(),
                            "serviceAccountToken",
                        ]),
                        assumed: false,
                    });
                }
            }
            if let Some(secret) = v.path(&["secret", "secretName"]).and_then(Node::as_str) {
                if let Some(owner) = sa_token_secret(inv, &ns, secret) {
                    tokens.push(Token {
                        namespace: ns.clone(),
                        service_account: owner.into(),
                        how: format!(
                            "legacy token Secret \"{secret}\" mounted as volume \"{vname}\""
                        ),
                        pointer: pod.ptr(&["volumes", &vi.to_string(), "secret", "secretName"]),
                        assumed: false,
                    });
                }
            }
        }
        for c in pod.containers() {
            for (ei, e) in c.items("env") {
                let Some(secret) = e
                    .path(&["valueFrom", "secretKeyRef", "name"])
                    .and_then(Node::as_str)
                else {
                    continue;
                };
                if e.path(&["valueFrom", "secretKeyRef", "key"])
                    .and_then(Node::as_str)
                    != Some("token")
                {
                    continue;
                }
                if let Some(owner) = sa_token_secret(inv, &ns, secret) {
                    tokens.push(Token {
                        namespace: ns.clone(),
                        service_account: owner.into(),
                        how: format!(
                            "legacy token Secret \"{secret}\" read into {} env",
                            c.describe()
                        ),
                        pointer: c.ptr(&["env", &ei.to_string(), "valueFrom", "secretKeyRef"]),
                        assumed: false,
                    });
                }
            }
        }
        // One entry per service account token (the first way it arrives is enough).
        let mut seen = std::collections::HashSet::new();
        tokens.retain(|t| seen.insert((t.namespace.clone(), t.service_account.clone())));
        for t in &mut tokens {
            t.pointer = real(std::mem::take(&mut t.pointer));
        }
        Workload {
            object: o.id,
            namespace: ns,
            service_account: sa,
            sa_pointer: real(sa_pointer),
            tokens,
            labels: pod.labels().cloned(),
        }
    }
}

/// The service account whose token `secret` (in `ns`) holds, if it is a legacy token Secret.
fn sa_token_secret<'a>(inv: &'a Inventory, ns: &str, secret: &str) -> Option<&'a str> {
    let s = inv.get("Secret", Some(ns), secret)?;
    (s.root.str_at("type") == Some("kubernetes.io/service-account-token"))
        .then(|| s.annotation("kubernetes.io/service-account.name"))
        .flatten()
}
