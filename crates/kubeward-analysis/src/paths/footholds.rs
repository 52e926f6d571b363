//! What a foothold in a workload gives: its node (escapes: privileged, hostPID, runtime
//! socket, sensitive hostPath, dangerous capabilities), its service-account tokens, and the
//! node's cloud identity through the metadata API. And what root on a node gives: the tokens
//! of the pods on it.

use super::Ctx;
use super::graph::{Reason, StepId, Vertex};
use crate::netpol::policy::Dir;
use kubeward_core::tree::Node;
use kubeward_core::{ObjectId, PodSpec};

/// Host paths whose mount is root on the node (or the node's credentials): the runtime
/// sockets and their folders, the kubelet's and the runtime's state, the node's
/// configuration and credentials, and their parents.
const SOCKET_PATHS: &[&str] = &[
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/podman/podman.sock",
    "/run/cri-dockerd.sock",
    "/run/k3s/containerd/containerd.sock",
    "/run/containerd",
    "/run/crio",
    "/run",
];
const SENSITIVE_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/etc/kubernetes",
    "/root",
    "/home",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/var",
    "/var/lib",
    "/var/lib/kubelet",
    "/var/lib/kubelet/pods",
    "/var/lib/kubelet/pki",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/etcd",
    "/var/log",
    "/usr",
    "/lib",
    "/bin",
    "/sbin",
];
/// Folders whose every part is sensitive.
const INSIDE_SENSITIVE: &[&str] = &[
    "/etc/kubernetes",
    "/var/lib/kubelet",
    "/var/lib/etcd",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/root",
    "/proc",
    "/boot",
];
/// Capabilities that are a known way out of the container.
const ESCAPE_CAPS: &[&str] = &["ALL", "SYS_ADMIN", "SYS_MODULE", "DAC_READ_SEARCH"];

/// `/var/run/x//y/` → `/run/x/y`; `None` for relative or `..` paths (left to the rules).
fn canonical(path: &str) -> Option<String> {
    if !path.starts_with('/') || path.split('/').any(|s| s == "..") {
        return None;
    }
    let parts: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let mut p = format!("/{}", parts.join("/"));
    if p == "/var/run" || p.starts_with("/var/run/") {
        p = p["/var".len()..].to_string();
    }
    Some(p)
}

fn escape_reasons(pod: &PodSpec<'_>, id: ObjectId) -> Vec<(Reason, String)> {
    let mut v = Vec::new();
    for c in pod.containers() {
        let sc = c.security_context();
        if sc.and_then(|s| s.bool_at("privileged")) == Some(true) {
            v.push((
                Reason {
                    rule: "KW-PSS-003",
                    object: id,
                    pointer: c.ptr(&["securityContext", "privileged"]),
                },
                format!("{} runs privileged", c.describe()),
            ));
        }
        let adds = sc
            .and_then(|s| s.path(&["capabilities", "add"]))
            .map(Node::items)
            .unwrap_or(&[]);
        for (i, cap) in adds.iter().enumerate() {
            let Some(raw) = cap.as_str() else { continue };
            let up = raw.trim().to_ascii_uppercase();
            let name = up.strip_prefix("CAP_").unwrap_or(&up);
            if ESCAPE_CAPS.contains(&name) {
                v.push((
                    Reason {
                        rule: "KW-CTR-005",
                        object: id,
                        pointer: c.ptr(&["securityContext", "capabilities", "add", &i.to_string()]),
                    },
                    format!("{} adds capability {name}", c.describe()),
                ));
            }
        }
    }
    if pod.spec.bool_at("hostPID") == Some(true) {
        v.push((
            Reason {
                rule: "KW-PSS-002",
                object: id,
                pointer: pod.ptr(&["hostPID"]),
            },
            "the pod shares the node's process namespace (hostPID)".into(),
        ));
    }
    let mounted: Vec<&str> = pod
        .containers()
        .flat_map(|c| {
            c.items("volumeMounts")
                .filter_map(|(_, m)| m.str_at("name"))
        })
        .collect();
    for (vi, vol) in pod.volumes() {
        let Some(path) = vol.path(&["hostPath", "path"]).and_then(Node::as_str) else {
            continue;
        };
        if !mounted.contains(&vol.str_at("name").unwrap_or("")) {
            continue;
        }
        let Some(canon) = canonical(path) else {
            continue;
        };
        let socket = SOCKET_PATHS.contains(&canon.as_str())
            || (canon.ends_with(".sock") && canon.starts_with("/run/"));
        let rule = if socket {
            "KW-CTR-006"
        } else if SENSITIVE_PATHS.contains(&canon.as_str())
            || INSIDE_SENSITIVE
                .iter()
                .any(|p| canon.strip_prefix(p).is_some_and(|r| r.starts_with('/')))
        {
            "KW-CTR-007"
        } else {
            continue;
        };
        v.push((
            Reason {
                rule,
                object: id,
                pointer: pod.ptr(&["volumes", &vi.to_string(), "hostPath", "path"]),
            },
            format!("it mounts the node's {path}"),
        ));
    }
    v
}

/// The node vertex a workload's pods run on.
fn node_of(pod: &PodSpec<'_>) -> Vertex {
    Vertex::NodeRoot(
        pod.spec
            .str_at("nodeName")
            .filter(|n| !n.is_empty())
            .map(str::to_string),
    )
}

pub(super) fn add(cx: &mut Ctx<'_>) {
    let inv = cx.inv;
    let rbac = cx.rbac.clone();
    // Cloud nodes: their metadata API hands out the node's cloud role.
    let cloud_node = inv.of_kind("Node").find_map(|n| {
        let pid = n
            .root
            .path(&["spec", "providerID"])
            .and_then(Node::as_str)?;
        let cloud = ["aws", "gce", "azure"]
            .into_iter()
            .find(|c| pid.starts_with(&format!("{c}://")))?;
        Some((n.id, cloud))
    });
    // Node vertices that exist: the nodes pods name, and `any`.
    let mut named_nodes: Vec<String> = Vec::new();
    for w in &rbac.workloads {
        if let Some(pod) = PodSpec::of(inv.object(w.object)) {
            if let Vertex::NodeRoot(Some(n)) = node_of(&pod) {
                named_nodes.push(n);
            }
        }
    }
    named_nodes.sort();
    named_nodes.dedup();
    for w in &rbac.workloads {
        let obj = inv.object(w.object);
        let name = obj.display();
        let Some(pod) = PodSpec::of(obj) else {
            continue;
        };
        let node = node_of(&pod);
        let escapes = escape_reasons(&pod, w.object);
        if !escapes.is_empty() {
            let whys: Vec<&str> = escapes.iter().map(|(_, w)| w.as_str()).collect();
            let text = format!(
                "{name} can take over its node: {}",
                crate::some_of(&whys, 3)
            );
            let s = cx.g.step(
                format!("escape:{}", w.object.0),
                || text,
                || "drop privileged, hostPID, escape capabilities and sensitive hostPath mounts (Pod Security baseline)".into(),
                escapes.into_iter().map(|(r, _)| r).collect(),
            );
            cx.g.edge(Vertex::Foothold(w.object), node.clone(), vec![s]);
        }
        // The nodes whose root holds this workload's tokens.
        let mut on: Vec<Vertex> = vec![node.clone()];
        if obj.kind == "DaemonSet" {
            on = std::iter::once(Vertex::NodeRoot(None))
                .chain(
                    named_nodes
                        .iter()
                        .map(|n| Vertex::NodeRoot(Some(n.clone()))),
                )
                .collect();
        }
        for t in &w.tokens {
            let s = token_step(cx, w.object, &name, t);
            let id = Vertex::Identity(t.namespace.to_string(), t.service_account.to_string());
            cx.g.edge(Vertex::Foothold(w.object), id.clone(), vec![s]);
            for n in &on {
                cx.g.edge(n.clone(), id.clone(), vec![s]);
            }
        }
        // The metadata API, when the nodes are cloud instances and egress is open.
        if let Some((node_obj, cloud)) = cloud_node {
            let class = cx.class_of.get(&w.object).copied();
            let egress_open = class.is_none_or(|c| !cx.netpol.isolated(Dir::Egress, c));
            let host_network = pod.spec.bool_at("hostNetwork") == Some(true);
            if egress_open || host_network {
                let imds = cx.g.step(
                    format!("imds:{}", node_obj.0),
                    || format!("pods reach the {cloud} instance metadata API and the node's credentials"),
                    || "block the metadata API for pods (IMDSv2 hop limit 1, GKE metadata server, AKS IMDS restriction)".into(),
                    vec![Reason {
                        rule: "KW-NODE-004",
                        object: node_obj,
                        pointer: "/spec/providerID".into(),
                    }],
                );
                let mut steps = vec![imds];
                if !host_network {
                    steps.push(cx.g.step(
                        format!("egress-open:{}", w.object.0),
                        || format!("no NetworkPolicy limits {name}'s egress"),
                        || {
                            format!(
                                "deny egress from {name} to 169.254.169.254 with a NetworkPolicy"
                            )
                        },
                        vec![Reason {
                            rule: "KW-NET-103",
                            object: w.object,
                            pointer: pod.meta_ptr(&["labels"]),
                        }],
                    ));
                }
                cx.g.edge(
                    Vertex::Foothold(w.object),
                    Vertex::Cloud(format!("{cloud} node role")),
                    steps,
                );
            }
        }
    }
    if let Some((_, cloud)) = cloud_node {
        let nodes: Vec<Vertex> =
            cx.g.vertices
                .iter()
                .filter(|v| matches!(v, Vertex::NodeRoot(_)))
                .cloned()
                .collect();
        for n in nodes {
            let s = cx.g.step(
                "node-role".into(),
                || format!("root on a node uses the node's {cloud} role"),
                String::new,
                Vec::new(),
            );
            cx.g.edge(n, Vertex::Cloud(format!("{cloud} node role")), vec![s]);
        }
    }
}

/// The step "this workload holds this token" (shared by the foothold and its node).
pub(super) fn token_step(
    cx: &mut Ctx<'_>,
    object: ObjectId,
    name: &str,
    t: &crate::rbac::workloads::Token,
) -> StepId {
    cx.g.step(
        format!("token:{}:{}/{}", object.0, t.namespace, t.service_account),
        || {
            format!(
                "{name} holds the token of ServiceAccount {}/{} ({})",
                t.namespace, t.service_account, t.how
            )
        },
        || {
            format!(
                "set automountServiceAccountToken: false on {name} (or remove the token volume)"
            )
        },
        vec![Reason {
            rule: "KW-RBAC-031",
            object,
            pointer: t.pointer.clone(),
        }],
    )
}
