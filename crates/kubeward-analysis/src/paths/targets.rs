//! What a token can do (the RBAC model's capabilities of each service account, with their
//! scope) turned into edges: to the targets (cluster-admin equivalent, a namespace's Secrets)
//! and sideways (code execution in other pods, other tokens, new privileged pods), plus cloud
//! identities mapped onto service accounts by annotation.

use super::Ctx;
use super::graph::{Reason, Vertex};
use crate::rbac::analysis::{Cap, Hit};
use crate::rbac::model::{Origin, Principal};
use std::collections::{BTreeMap, BTreeSet};

const CLOUD_KEYS: &[&str] = &[
    "eks.amazonaws.com/role-arn",
    "iam.gke.io/gcp-service-account",
    "azure.workload.identity/client-id",
];

fn rule_of(cap: Cap, cluster_admin_role: bool) -> &'static str {
    match cap {
        Cap::FullAdmin if cluster_admin_role => "KW-RBAC-001",
        Cap::FullAdmin => "KW-RBAC-002",
        Cap::ReadSecrets => "KW-RBAC-004",
        Cap::CreateWorkloads => "KW-RBAC-005",
        Cap::ModifyPods => "KW-RBAC-006",
        Cap::Exec => "KW-RBAC-007",
        Cap::Ephemeral => "KW-RBAC-008",
        Cap::NodesProxy => "KW-RBAC-009",
        Cap::Escalate => "KW-RBAC-010",
        Cap::Bind => "KW-RBAC-011",
        Cap::Impersonate => "KW-RBAC-012",
        Cap::ApproveCsr => "KW-RBAC-013",
        Cap::TokenRequest => "KW-RBAC-014",
        _ => "KW-RBAC-031",
    }
}

/// Where a Pod Security level of at least baseline is enforced (new privileged pods are
/// rejected there).
fn enforces_baseline(inv: &kubeward_core::Inventory, ns: &str) -> bool {
    inv.get("Namespace", None, ns)
        .and_then(|n| n.label("pod-security.kubernetes.io/enforce"))
        .is_some_and(|l| l == "baseline" || l == "restricted")
}

pub(super) fn add(cx: &mut Ctx<'_>) {
    let inv = cx.inv;
    let rbac = cx.rbac.clone();
    let m = &rbac.model;
    // Service accounts of each namespace (used by workloads or written as objects).
    let mut by_ns: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for w in &rbac.workloads {
        for t in &w.tokens {
            by_ns
                .entry(t.namespace.to_string())
                .or_default()
                .insert(t.service_account.to_string());
        }
    }
    for sa in inv.of_kind("ServiceAccount") {
        by_ns
            .entry(sa.namespace().unwrap_or("default").to_string())
            .or_default()
            .insert(sa.name.to_string());
    }
    // Capabilities of each service account: its own bindings' and those inherited through its
    // groups (computed for workload tokens).
    let mut hits: BTreeMap<(String, String), Vec<&Hit>> = BTreeMap::new();
    for h in rbac
        .hits
        .iter()
        .chain(rbac.workload_hits.iter().map(|(_, h)| h))
    {
        if let Principal::ServiceAccount(ns, n) = &h.principal {
            let v = hits.entry((ns.to_string(), n.to_string())).or_default();
            if !v.iter().any(|x| x.cap == h.cap && x.scope == h.scope) {
                v.push(h);
            }
        }
    }
    for ((ns, sa), hs) in &hits {
        let from = Vertex::Identity(ns.clone(), sa.clone());
        for h in hs {
            let scope = h.scope.as_deref().map(str::to_string);
            let mut to: Vec<Vertex> = Vec::new();
            match h.cap {
                Cap::FullAdmin | Cap::Escalate | Cap::Bind | Cap::Impersonate | Cap::ApproveCsr => {
                    if scope.is_none() {
                        to.push(Vertex::ClusterAdmin);
                    } else {
                        to.push(Vertex::Secrets(scope.clone()));
                        to.push(Vertex::PodsOf(scope.clone()));
                        to.push(Vertex::TokensOf(scope.clone()));
                    }
                }
                Cap::ReadSecrets => to.push(Vertex::Secrets(scope.clone())),
                Cap::CreateWorkloads => {
                    to.push(Vertex::TokensOf(scope.clone()));
                    let open = match &scope {
                        Some(ns) => !enforces_baseline(inv, ns),
                        None => true,
                    };
                    if open {
                        to.push(Vertex::NodeRoot(None));
                    }
                }
                Cap::Exec | Cap::Ephemeral | Cap::ModifyPods => {
                    to.push(Vertex::PodsOf(scope.clone()))
                }
                Cap::NodesProxy => to.push(Vertex::PodsOf(None)),
                Cap::TokenRequest => to.push(Vertex::TokensOf(scope.clone())),
                _ => {}
            }
            if to.is_empty() {
                continue;
            }
            let mut reasons = Vec::new();
            let mut cluster_admin_role = false;
            for e in &h.evidence {
                let b = m.binding(e.binding);
                if b.role_kind == "ClusterRole" && b.role_name == "cluster-admin" {
                    cluster_admin_role = true;
                }
            }
            let rule = rule_of(h.cap, cluster_admin_role);
            for e in &h.evidence {
                let b = m.binding(e.binding);
                if let Origin::Inventory(id) = b.origin {
                    reasons.push(Reason {
                        rule,
                        object: id,
                        pointer: format!("/subjects/{}", e.subject),
                    });
                } else if let Origin::Inventory(id) = m.role(e.rule.role).origin {
                    reasons.push(Reason {
                        rule,
                        object: id,
                        pointer: format!("/rules/{}", m.rule(e.rule).index),
                    });
                }
            }
            let via: Vec<String> = h
                .evidence
                .iter()
                .map(|e| {
                    let b = m.binding(e.binding);
                    format!("{} → {}", b.display(), m.role(e.rule.role).display())
                })
                .collect();
            let scope_text = match &scope {
                Some(ns) => format!("in namespace {ns}"),
                None => "cluster-wide".into(),
            };
            let s = cx.g.step(
                format!(
                    "rbac:{:?}:{ns}/{sa}:{}",
                    h.cap,
                    scope.as_deref().unwrap_or("*")
                ),
                || {
                    format!(
                        "ServiceAccount {ns}/{sa} can {} {scope_text} ({})",
                        h.cap.what(),
                        via.join("; ")
                    )
                },
                || format!("remove ServiceAccount {ns}/{sa} from the binding, or narrow the role"),
                reasons,
            );
            for t in to {
                cx.g.edge(from.clone(), t, vec![s]);
            }
        }
    }
    // Sideways: pods of a namespace → each of its workloads; tokens of a namespace → each of
    // its service accounts (only for the scopes some edge reaches).
    let scopes: Vec<Vertex> =
        cx.g.vertices
            .iter()
            .filter(|v| matches!(v, Vertex::PodsOf(_) | Vertex::TokensOf(_)))
            .cloned()
            .collect();
    let inherent = cx.g.step(
        "inherent:scope".into(),
        || "follows from the step before".into(),
        String::new,
        Vec::new(),
    );
    for v in scopes {
        match &v {
            Vertex::PodsOf(scope) => {
                for w in &rbac.workloads {
                    if scope.as_deref().is_none_or(|s| s == &*w.namespace) {
                        cx.g.edge(v.clone(), Vertex::Foothold(w.object), vec![inherent]);
                    }
                }
            }
            Vertex::TokensOf(scope) => {
                for (ns, sas) in &by_ns {
                    if scope.as_deref().is_some_and(|s| s != ns) {
                        continue;
                    }
                    for sa in sas {
                        if hits.contains_key(&(ns.clone(), sa.clone())) || cloud_mapped(inv, ns, sa)
                        {
                            cx.g.edge(
                                v.clone(),
                                Vertex::Identity(ns.clone(), sa.clone()),
                                vec![inherent],
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // Cloud identities mapped onto service accounts.
    let identities: Vec<(String, String)> =
        cx.g.vertices
            .iter()
            .filter_map(|v| match v {
                Vertex::Identity(ns, n) => Some((ns.clone(), n.clone())),
                _ => None,
            })
            .collect();
    for (ns, n) in identities {
        let Some(sa) = inv.get("ServiceAccount", Some(&ns), &n) else {
            continue;
        };
        for key in CLOUD_KEYS {
            let Some(value) = sa.annotation(key) else {
                continue;
            };
            let s = cx.g.step(
                format!("cloud:{ns}/{n}:{key}"),
                || format!("ServiceAccount {ns}/{n} is mapped to cloud identity {value} ({key})"),
                || {
                    "map the service account to a narrower cloud role, or remove the annotation"
                        .into()
                },
                vec![Reason {
                    rule: "KW-RBAC-024",
                    object: sa.id,
                    pointer: kubeward_core::ptr!("/metadata/annotations", *key),
                }],
            );
            cx.g.edge(
                Vertex::Identity(ns.clone(), n.clone()),
                Vertex::Cloud(value.to_string()),
                vec![s],
            );
        }
    }
}

fn cloud_mapped(inv: &kubeward_core::Inventory, ns: &str, sa: &str) -> bool {
    inv.get("ServiceAccount", Some(ns), sa)
        .is_some_and(|o| CLOUD_KEYS.iter().any(|k| o.annotation(k).is_some()))
}
