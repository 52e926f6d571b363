//! `kubeward rbac graph`: subjects → bindings → roles, with the edges that grant dangerous
//! capabilities marked, as Graphviz dot, Mermaid or JSON. Filters keep it readable on large
//! clusters: one namespace, one subject (with its implicit groups), or risky edges only.

use super::analysis::{Analysis, Cap};
use super::authz::Identity;
use super::model::Principal;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What to draw.
#[derive(Clone, Debug, Default)]
pub struct GraphOptions {
    /// RoleBindings of this namespace, and ClusterRoleBindings of its service accounts.
    pub namespace: Option<String>,
    /// Only bindings that apply to this identity.
    pub subject: Option<Identity>,
    /// Only bindings that grant a dangerous capability.
    pub risky_only: bool,
    /// Also draw the kubeadm default bindings.
    pub include_defaults: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Node {
    pub id: String,
    pub kind: String,
    pub label: String,
    pub namespace: Option<String>,
    pub default: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub risks: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

fn cap_name(c: Cap) -> &'static str {
    match c {
        Cap::FullAdmin => "full-admin",
        Cap::ReadSecrets => "read-secrets",
        Cap::CreateWorkloads => "create-workloads",
        Cap::ModifyPods => "modify-pods",
        Cap::Exec => "exec",
        Cap::Ephemeral => "ephemeral-containers",
        Cap::NodesProxy => "nodes-proxy",
        Cap::Escalate => "escalate",
        Cap::Bind => "bind",
        Cap::Impersonate => "impersonate",
        Cap::ApproveCsr => "approve-csr",
        Cap::TokenRequest => "token-request",
        Cap::WriteSecrets => "write-secrets",
        Cap::Admission => "admission-control",
        Cap::CreatePv => "create-pv",
        Cap::ModifyNamespaces => "modify-namespaces",
        Cap::StealPods => "steal-pods",
        Cap::NodeStatus => "node-status",
        Cap::PodStatus => "pod-status",
        Cap::ServiceStatus => "service-status",
        Cap::KubeSystemConfigmaps => "kube-system-configmaps",
        Cap::Network => "network-control",
        Cap::Extensions => "extensions-control",
        Cap::DeleteEvents => "delete-events",
        Cap::PortForward => "port-forward",
        Cap::DefaultSaToken => "default-sa-token",
        Cap::CoreDns => "coredns-config",
        Cap::DeleteNodes => "delete-nodes",
        Cap::DeleteCollection => "deletecollection-workloads",
        Cap::CreateObjects => "create-objects",
    }
}

fn principal_id(p: &Principal) -> String {
    match p {
        Principal::User(n) => format!("User/{n}"),
        Principal::Group(n) => format!("Group/{n}"),
        Principal::ServiceAccount(ns, n) => format!("ServiceAccount/{ns}/{n}"),
    }
}

/// Builds the graph.
pub fn build(a: &Analysis, opts: &GraphOptions) -> Graph {
    let m = &a.model;
    let wanted: Option<Vec<Principal>> = opts.subject.as_ref().map(|i| i.principals());
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    let mut edges: Vec<Edge> = Vec::new();
    for b in &m.bindings {
        if b.origin.is_bootstrap() && !opts.include_defaults {
            continue;
        }
        if let Some(ns) = &opts.namespace {
            let here = b.scope() == Some(ns.as_str());
            let ns_sa = b.subjects.iter().any(|s| match &s.principal {
                Some(Principal::ServiceAccount(sns, _)) => sns == ns,
                Some(Principal::Group(g)) => g.strip_prefix("system:serviceaccounts:") == Some(ns),
                _ => false,
            });
            if !(here || b.scope().is_none() && ns_sa) {
                continue;
            }
        }
        let subjects: Vec<&Principal> = b
            .subjects
            .iter()
            .filter_map(|s| s.principal.as_ref())
            .filter(|p| wanted.as_ref().is_none_or(|w| w.contains(p)))
            .collect();
        if wanted.is_some() && subjects.is_empty() {
            continue;
        }
        let risks: Vec<String> = match b.role {
            Some(r) => a
                .role_caps(r, b.scope())
                .into_iter()
                .map(|c| cap_name(c).to_string())
                .collect(),
            None => Vec::new(),
        };
        if opts.risky_only && risks.is_empty() {
            continue;
        }
        let bid = b.id();
        nodes.insert(
            bid.clone(),
            Node {
                id: bid.clone(),
                kind: b.kind.as_str().into(),
                label: b.name.to_string(),
                namespace: b.namespace.as_ref().map(|s| s.to_string()),
                default: b.origin.is_bootstrap(),
            },
        );
        let rid = match b.role {
            Some(r) => {
                let role = m.role(r);
                let id = role.id();
                nodes.entry(id.clone()).or_insert(Node {
                    id: id.clone(),
                    kind: role.kind.as_str().into(),
                    label: role.name.to_string(),
                    namespace: role.namespace.as_ref().map(|s| s.to_string()),
                    default: role.origin.is_bootstrap(),
                });
                id
            }
            None => {
                let id = format!("missing/{}/{}", b.role_kind, b.role_name);
                nodes.entry(id.clone()).or_insert(Node {
                    id: id.clone(),
                    kind: "Missing".into(),
                    label: format!("{} {} (missing)", b.role_kind, b.role_name),
                    namespace: None,
                    default: false,
                });
                id
            }
        };
        for p in subjects {
            let pid = principal_id(p);
            let (kind, label, ns) = match p {
                Principal::User(n) => ("User", n.to_string(), None),
                Principal::Group(n) => ("Group", n.to_string(), None),
                Principal::ServiceAccount(ns, n) => {
                    ("ServiceAccount", n.to_string(), Some(ns.to_string()))
                }
            };
            nodes.entry(pid.clone()).or_insert(Node {
                id: pid.clone(),
                kind: kind.into(),
                label,
                namespace: ns,
                default: false,
            });
            edges.push(Edge {
                from: pid,
                to: bid.clone(),
                risks: risks.clone(),
            });
        }
        edges.push(Edge {
            from: bid,
            to: rid,
            risks,
        });
    }
    edges.sort();
    edges.dedup();
    Graph {
        nodes: nodes.into_values().collect(),
        edges,
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz dot. Risky edges are red and labelled with what they grant.
pub fn dot(g: &Graph) -> String {
    let mut o = String::from(
        "digraph rbac {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n",
    );
    for n in &g.nodes {
        let shape = match n.kind.as_str() {
            "User" | "Group" | "ServiceAccount" => "ellipse",
            "RoleBinding" | "ClusterRoleBinding" => "box",
            "Missing" => "octagon",
            _ => "hexagon",
        };
        let label = match &n.namespace {
            Some(ns) => format!("{}\\n{}/{}", n.kind, ns, n.label),
            None => format!("{}\\n{}", n.kind, n.label),
        };
        let style = if n.default { ", style=dashed" } else { "" };
        let _ = writeln!(
            o,
            "  \"{}\" [shape={shape}, label=\"{}\"{style}];",
            esc(&n.id),
            esc(&label).replace("\\\\n", "\\n")
        );
    }
    for e in &g.edges {
        if e.risks.is_empty() {
            let _ = writeln!(o, "  \"{}\" -> \"{}\";", esc(&e.from), esc(&e.to));
        } else {
            let _ = writeln!(
                o,
                "  \"{}\" -> \"{}\" [color=red, penwidth=2, label=\"{}\"];",
                esc(&e.from),
                esc(&e.to),
                esc(&e.risks.join(", "))
            );
        }
    }
    o.push_str("}\n");
    o
}

/// Mermaid flowchart. Risky edges are thick (`==>`) and labelled.
pub fn mermaid(g: &Graph) -> String {
    let mut o = String::from("flowchart LR\n");
    let ids: BTreeMap<&str, String> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), format!("n{i}")))
        .collect();
    for n in &g.nodes {
        let text = match &n.namespace {
            Some(ns) => format!("{} {}/{}", n.kind, ns, n.label),
            None => format!("{} {}", n.kind, n.label),
        };
        let text = text.replace('"', "#quot;");
        let id = &ids[n.id.as_str()];
        let _ = match n.kind.as_str() {
            "User" | "Group" | "ServiceAccount" => writeln!(o, "  {id}([\"{text}\"])"),
            "RoleBinding" | "ClusterRoleBinding" => writeln!(o, "  {id}[\"{text}\"]"),
            _ => writeln!(o, "  {id}{{{{\"{text}\"}}}}"),
        };
    }
    for e in &g.edges {
        let (f, t) = (&ids[e.from.as_str()], &ids[e.to.as_str()]);
        if e.risks.is_empty() {
            let _ = writeln!(o, "  {f} --> {t}");
        } else {
            let _ = writeln!(o, "  {f} ==>|\"{}\"| {t}", e.risks.join(", "));
        }
    }
    o
}

pub fn json(g: &Graph) -> Value {
    json!({
        "nodes": g.nodes.iter().map(|n| json!({
            "id": n.id, "kind": n.kind, "name": n.label, "namespace": n.namespace,
            "kubeadm_default": n.default,
        })).collect::<Vec<_>>(),
        "edges": g.edges.iter().map(|e| json!({
            "from": e.from, "to": e.to, "risky": !e.risks.is_empty(), "risks": e.risks,
        })).collect::<Vec<_>>(),
    })
}
