//! What the RBAC rules share: severity grading of a hit, the subject → binding → role → rule
//! chain text, locating a finding and its related objects, and the check of every capability rule.

use super::{
    ADMISSION, APPROVE_CSR, BIND, COREDNS_CONFIG, CREATE_PV, CREATE_WORKLOADS, DEFAULT_SA_TOKEN,
    DELETE_EVENTS, DELETE_NODES, DELETECOLLECTION_WORKLOADS, EPHEMERAL, ESCALATE, EXEC, EXTENSIONS,
    FULL_WILDCARD, IMPERSONATE, KUBE_SYSTEM_CONFIGMAPS, MODIFY_NAMESPACES, MODIFY_PODS, NETWORK,
    NODE_STATUS, NODES_PROXY, POD_STATUS, PORT_FORWARD, READ_SECRETS, SERVICE_STATUS, STEAL_PODS,
    TOKEN_REQUEST, WORKLOAD_TOKEN, WRITE_SECRETS,
};
use crate::rbac::analysis::{Analysis, Cap, Evidence, Hit};
use crate::rbac::authz::{ANONYMOUS, AUTHENTICATED, SERVICEACCOUNTS, UNAUTHENTICATED};
use crate::rbac::caps::Level;
use crate::rbac::model::{Binding, Model, Origin, Principal};
use kubeward_core::finding::Finding;
use kubeward_core::{Emitter, Inventory, InventoryCtx, Severity};

pub(crate) fn up(s: Severity) -> Severity {
    match s {
        Severity::Info => Severity::Low,
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        _ => Severity::Critical,
    }
}

pub(crate) fn down(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        _ => Severity::Info,
    }
}

/// Groups that stand for (nearly) everyone.
pub(crate) fn is_everyone(p: &Principal) -> bool {
    match p {
        Principal::Group(g) => {
            g == AUTHENTICATED
                || g == UNAUTHENTICATED
                || g == SERVICEACCOUNTS
                || g.starts_with("system:serviceaccounts:")
        }
        Principal::User(u) => u == ANONYMOUS,
        Principal::ServiceAccount(..) => false,
    }
}

/// Capabilities about namespaced objects: worse cluster-wide and in kube-system.
pub(crate) fn namespaced_cap(c: Cap) -> bool {
    !matches!(
        c,
        Cap::NodesProxy
            | Cap::Admission
            | Cap::CreatePv
            | Cap::ApproveCsr
            | Cap::NodeStatus
            | Cap::StealPods
            | Cap::Extensions
            | Cap::KubeSystemConfigmaps
            | Cap::CoreDns
            | Cap::DeleteNodes
            | Cap::FullAdmin
    )
}

/// The default severity of the catalogue rule that reports `cap` for subjects, so a workload's
/// token is graded as the same grant held by a user would be.
pub(crate) fn catalogue_severity(cap: Cap) -> Severity {
    let rule = match cap {
        Cap::FullAdmin => &FULL_WILDCARD,
        Cap::ReadSecrets => &READ_SECRETS,
        Cap::CreateWorkloads => &CREATE_WORKLOADS,
        Cap::ModifyPods => &MODIFY_PODS,
        Cap::Exec => &EXEC,
        Cap::Ephemeral => &EPHEMERAL,
        Cap::NodesProxy => &NODES_PROXY,
        Cap::Escalate => &ESCALATE,
        Cap::Bind => &BIND,
        Cap::Impersonate => &IMPERSONATE,
        Cap::ApproveCsr => &APPROVE_CSR,
        Cap::TokenRequest => &TOKEN_REQUEST,
        Cap::WriteSecrets => &WRITE_SECRETS,
        Cap::Admission => &ADMISSION,
        Cap::CreatePv => &CREATE_PV,
        Cap::ModifyNamespaces => &MODIFY_NAMESPACES,
        Cap::StealPods => &STEAL_PODS,
        Cap::NodeStatus => &NODE_STATUS,
        Cap::PodStatus => &POD_STATUS,
        Cap::ServiceStatus => &SERVICE_STATUS,
        Cap::KubeSystemConfigmaps => &KUBE_SYSTEM_CONFIGMAPS,
        Cap::Network => &NETWORK,
        Cap::Extensions => &EXTENSIONS,
        Cap::DeleteEvents => &DELETE_EVENTS,
        Cap::PortForward => &PORT_FORWARD,
        Cap::DefaultSaToken => &DEFAULT_SA_TOKEN,
        Cap::CoreDns => &COREDNS_CONFIG,
        Cap::DeleteNodes => &DELETE_NODES,
        Cap::DeleteCollection => &DELETECOLLECTION_WORKLOADS,
        _ => &WORKLOAD_TOKEN,
    };
    rule.meta.severity
}

pub(crate) fn hit_severity(base: Severity, h: &Hit) -> Severity {
    let mut s = base;
    if h.cap == Cap::FullAdmin {
        if h.scope.is_some() && h.scope.as_deref() != Some("kube-system") {
            s = down(s);
        }
    } else if namespaced_cap(h.cap)
        && (h.scope.is_none() || h.scope.as_deref() == Some("kube-system"))
    {
        s = up(s);
    }
    if h.evidence
        .iter()
        .any(|e| matches!(e.level, Level::OwnNamespace))
    {
        s = down(s);
    }
    if h.narrowed() {
        s = down(s);
    }
    if h.weak() {
        s = down(s);
    }
    if is_everyone(&h.principal) {
        s = up(s);
    }
    s
}

pub(crate) fn scope_text(scope: Option<&str>) -> String {
    match scope {
        None => "cluster-wide".into(),
        Some(ns) => format!("in namespace {ns}"),
    }
}

/// `Role shop/x` or `ClusterRole edit (kubeadm default, not in the scanned input)`.
pub(crate) fn role_text(m: &Model, role: crate::rbac::model::RoleIdx) -> String {
    let r = m.role(role);
    if r.origin.is_bootstrap() {
        format!(
            "{} (kubeadm default, not in the scanned input)",
            r.display()
        )
    } else {
        r.display()
    }
}

/// `subject → binding → role → rules[N] (verbs on resources)`.
pub fn chain(m: &Model, e: &Evidence) -> String {
    let b = m.binding(e.binding);
    let subject = b
        .subjects
        .get(e.subject as usize)
        .map(|s| s.display())
        .unwrap_or_default();
    let bound = b.role.expect("evidence has a role");
    let mut role = role_text(m, bound);
    if e.rule.role != bound {
        role = format!("{role}, which aggregates {}", role_text(m, e.rule.role));
    }
    let rule = m.rule(e.rule);
    let mut s = format!(
        "{subject} → {} → {role} → rules[{}] ({})",
        binding_text(b),
        rule.index,
        rule.describe()
    );
    if e.weak {
        s.push_str(" [websocket exec: clusters before 1.31 or with AuthorizePodWebsocketUpgradeCreatePermission off]");
    }
    s
}

pub(crate) fn binding_text(b: &Binding) -> String {
    if b.origin.is_bootstrap() {
        format!("{} (kubeadm default)", b.display())
    } else {
        b.display()
    }
}

/// Where to report a chain: the rule in its role when the role is in the input, else the
/// binding's roleRef.
pub(crate) fn locate(m: &Model, ev: &[Evidence]) -> Option<(kubeward_core::ObjectId, String)> {
    for e in ev {
        if let Origin::Inventory(id) = m.role(e.rule.role).origin {
            return Some((id, format!("/rules/{}", m.rule(e.rule).index)));
        }
    }
    for e in ev {
        if let Origin::Inventory(id) = m.binding(e.binding).origin {
            return Some((id, "/roleRef".into()));
        }
    }
    None
}

pub(crate) fn add_related(
    m: &Model,
    f: &mut Finding,
    ev: &[Evidence],
    primary: &(kubeward_core::ObjectId, String),
) {
    let mut seen: Vec<(kubeward_core::ObjectId, String)> = vec![primary.clone()];
    for e in ev {
        let b = m.binding(e.binding);
        if let Origin::Inventory(id) = b.origin {
            let p = format!("/subjects/{}", e.subject);
            if !seen.contains(&(id, p.clone())) {
                f.related(
                    id,
                    p.clone(),
                    format!(
                        "{} grants {}",
                        b.display(),
                        role_text(m, b.role.expect("role"))
                    ),
                );
                seen.push((id, p));
            }
        }
        if let Origin::Inventory(id) = m.role(e.rule.role).origin {
            let p = format!("/rules/{}", m.rule(e.rule).index);
            if !seen.contains(&(id, p.clone())) {
                f.related(
                    id,
                    p.clone(),
                    format!(
                        "{} rule {}",
                        m.role(e.rule.role).display(),
                        m.rule(e.rule).index
                    ),
                );
                seen.push((id, p));
            }
        }
    }
}

pub(crate) fn names_note(h: &Hit) -> String {
    let mut names: Vec<String> = Vec::new();
    for e in &h.evidence {
        if let Level::Named(n) = &e.level {
            names.extend(n.iter().map(|s| s.to_string()));
        }
    }
    let own = h.evidence.iter().any(|e| e.level == Level::OwnNamespace);
    let mut s = String::new();
    if !names.is_empty() {
        names.sort();
        names.dedup();
        s.push_str(&format!(" (only objects named {})", names.join(", ")));
    }
    if own {
        s.push_str(" (its own Namespace object only)");
    }
    s
}

pub(crate) fn emit_capability(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>, cap: Cap) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    // Looked for once, and only by the rule that needs it.
    let eks = if cap == Cap::KubeSystemConfigmaps {
        eks_signal(ctx.inventory)
    } else {
        None
    };
    for h in a.hits.iter().filter(|h| h.cap == cap) {
        if cap == Cap::FullAdmin {
            // A binding to cluster-admin itself is KW-RBAC-001's.
            let b = m.binding(h.evidence[0].binding);
            if b.role_kind == "ClusterRole" && b.role_name == "cluster-admin" {
                continue;
            }
        }
        if cap == Cap::CreateObjects {
            if let Some(ns) = &h.scope {
                if ctx
                    .inventory
                    .in_namespace(Some(ns))
                    .any(|o| o.kind == "ResourceQuota")
                {
                    continue;
                }
            }
        }
        let Some(primary) = locate(m, &h.evidence) else {
            continue;
        };
        let chains: Vec<String> = h.evidence.iter().map(|e| chain(m, e)).collect();
        let mut msg = format!(
            "{} can {} {}{}: {}",
            h.principal.display(),
            cap.what(),
            scope_text(h.scope.as_deref()),
            names_note(h),
            chains.join("; and ")
        );
        let mut sev = hit_severity(out.rule().severity, h);
        // On EKS, kube-system/aws-auth maps IAM identities to Kubernetes groups: writing it is
        // a path to system:masters (catalogue #21).
        if cap == Cap::KubeSystemConfigmaps && reaches_name(h, AWS_AUTH) {
            if let Some(why) = &eks {
                sev = Severity::Critical;
                msg.push_str(&format!(
                    ". This is Amazon EKS ({why}): ConfigMap kube-system/{AWS_AUTH} maps IAM roles and users to Kubernetes users and groups, system:masters included, so whoever can write it can make any IAM identity they control cluster-admin"
                ));
            }
        }
        let f = out.report(ctx.inventory.object(primary.0), primary.1.clone(), msg);
        f.severity(sev).key(format!(
            "{:?}|{}|{}",
            cap,
            h.principal.spec(),
            h.scope.as_deref().unwrap_or("*")
        ));
        add_related(m, f, &h.evidence, &primary);
    }
    // Roles no binding grants: reported on the role itself (the fallback).
    crate::rbac::role_level::emit(ctx, out, &a, cap);
}

pub(crate) const AWS_AUTH: &str = "aws-auth";

/// Whether every clause of the hit reaches an object named `name` (not narrowed by
/// resourceNames, or narrowed to lists that include it).
pub(crate) fn reaches_name(h: &Hit, name: &str) -> bool {
    h.evidence.iter().all(|e| match &e.level {
        Level::Named(names) => names.iter().any(|n| n == name),
        _ => true,
    })
}

/// Why the scanned cluster looks like Amazon EKS, if it does: what a cluster source reports
/// (`/version`, nodes), EKS node objects in the input, or an `aws-auth` ConfigMap in
/// kube-system (only EKS reads it).
pub(crate) fn eks_signal(inv: &Inventory) -> Option<String> {
    use kubeward_core::platform::{Platform, detect, node_platform};
    for (source, info) in inv.clusters() {
        if let Some(d) = detect(inv, source, info) {
            if d.platform == Platform::Eks {
                return Some(d.evidence);
            }
        }
    }
    if let Some(d) = inv
        .of_kind("Node")
        .filter_map(node_platform)
        .find(|d| d.platform == Platform::Eks)
    {
        return Some(d.evidence);
    }
    inv.get("ConfigMap", Some("kube-system"), AWS_AUTH)
        .filter(|o| o.group().is_empty())
        .map(|_| format!("the input has ConfigMap kube-system/{AWS_AUTH}"))
}

/// Non-stock bindings of the input, with their subjects' principals.
pub(crate) fn input_bindings(
    m: &Model,
) -> impl Iterator<
    Item = (
        crate::rbac::model::BindingIdx,
        &Binding,
        kubeward_core::ObjectId,
    ),
> {
    m.bindings
        .iter()
        .enumerate()
        .filter_map(|(i, b)| match b.origin {
            Origin::Inventory(id) if !b.stock => Some((i as u32, b, id)),
            _ => None,
        })
}

pub(crate) fn risky_role(a: &Analysis, b: &Binding) -> bool {
    let Some(r) = b.role else { return false };
    let m = &a.model;
    m.role(r).effective.iter().any(|&x| {
        let rule = m.rule(x);
        rule.is_full_wildcard()
            || crate::rbac::caps::role_clauses(
                &a.scopes,
                std::iter::once((x, rule)),
                if b.scope().is_none() {
                    crate::rbac::caps::ScopeKind::Cluster
                } else {
                    crate::rbac::caps::ScopeKind::Namespace
                },
            )
            .iter()
            .enumerate()
            .any(|(i, h)| {
                h.is_some()
                    && crate::rbac::caps::ALL_CLAUSES[i] != crate::rbac::caps::Clause::CreateObjects
            })
    })
}

/// The role a binding refers to, as written (it may not exist): kind, the namespace of a Role,
/// name. Displays as `ClusterRole view` or `Role shop/reader`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RoleRef<'a>(&'a str, Option<&'a str>, &'a str);

pub(crate) fn role_ref(b: &Binding) -> RoleRef<'_> {
    let ns = if b.role_kind == "Role" {
        b.namespace.as_deref()
    } else {
        None
    };
    RoleRef(b.role_kind.as_str(), ns, b.role_name.as_str())
}

impl std::fmt::Display for RoleRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Some(ns) => write!(f, "{} {ns}/{}", self.0, self.2),
            None => write!(f, "{} {}", self.0, self.2),
        }
    }
}
