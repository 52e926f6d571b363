//! The Kubernetes "Ports and Protocols" table (kubernetes.io/docs/reference/networking/
//! ports-and-protocols/): which inbound ports each node role is expected to expose and to
//! whom, and firewall rules (nftables, a cloud security-group JSON) that allow only those.

use crate::{Answer, Service};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    ControlPlane,
    Worker,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::ControlPlane => "control-plane",
            Role::Worker => "worker",
        }
    }
}

/// Who may connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum From {
    All,
    ControlPlane,
    LoadBalancers,
    /// The node itself (loopback).
    SelfOnly,
}

/// One allowed inbound port range.
#[derive(Clone, Debug, Serialize)]
pub struct Allowed {
    pub from_port: u16,
    pub to_port: u16,
    pub from: From,
    pub purpose: &'static str,
}

const fn a(from_port: u16, to_port: u16, from: From, purpose: &'static str) -> Allowed {
    Allowed {
        from_port,
        to_port,
        from,
        purpose,
    }
}

/// The table for a role (TCP, inbound).
pub fn expected(role: Role, nodeport: (u16, u16)) -> Vec<Allowed> {
    match role {
        Role::ControlPlane => vec![
            a(6443, 6443, From::All, "Kubernetes API server"),
            a(
                2379,
                2380,
                From::ControlPlane,
                "etcd server client API and peers",
            ),
            a(10250, 10250, From::ControlPlane, "Kubelet API"),
            a(10259, 10259, From::SelfOnly, "kube-scheduler"),
            a(10257, 10257, From::SelfOnly, "kube-controller-manager"),
        ],
        Role::Worker => vec![
            a(10250, 10250, From::ControlPlane, "Kubelet API"),
            a(10256, 10256, From::LoadBalancers, "kube-proxy health"),
            a(nodeport.0, nodeport.1, From::All, "NodePort Services"),
        ],
    }
}

/// The role the answers suggest: an API server or etcd answering means a control-plane node.
pub fn infer_role(answers: &[&Answer]) -> Role {
    if answers.iter().any(|a| {
        a.is_open()
            && matches!(
                a.service,
                Service::ApiServer | Service::Etcd | Service::EtcdPeer
            )
    }) {
        Role::ControlPlane
    } else {
        Role::Worker
    }
}

/// Whether `port` may answer to a remote prober on a node of `role`.
pub fn allowed_remotely(role: Role, port: u16, nodeport: (u16, u16)) -> bool {
    expected(role, nodeport)
        .iter()
        .any(|r| r.from != From::SelfOnly && (r.from_port..=r.to_port).contains(&port))
}

fn range(r: &Allowed) -> String {
    if r.from_port == r.to_port {
        r.from_port.to_string()
    } else {
        format!("{}-{}", r.from_port, r.to_port)
    }
}

/// nftables rules for a node of `role`: the Kubernetes ports are accepted only from the
/// sources the table names and dropped from everyone else; the ports that must never be
/// reachable from other hosts (read-only kubelet 10255, insecure API 8080, kube-proxy
/// metrics 10249) are dropped unless on loopback. Other traffic is left to the host's own
/// policy: the table does not end in a default drop that would cut SSH or the CNI.
pub fn nftables(role: Role, nodeport: (u16, u16)) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "# kubeward probe --emit nftables: Kubernetes ports of a {} node\n\
         # Fill the sets with your node and load-balancer addresses, then: nft -f FILE\n\
         table inet kubeward {{\n\
         \x20 set control_plane {{ type ipv4_addr; flags interval; }}\n\
         \x20 set load_balancers {{ type ipv4_addr; flags interval; }}\n\
         \x20 chain input {{\n\
         \x20   type filter hook input priority filter - 1; policy accept;\n\
         \x20   iif \"lo\" accept\n",
        role.name()
    ));
    for r in expected(role, nodeport) {
        let p = range(&r);
        let line = match r.from {
            From::All => format!("    tcp dport {p} accept comment \"{}\"\n", r.purpose),
            From::ControlPlane => format!(
                "    tcp dport {p} ip saddr @control_plane accept comment \"{}\"\n    tcp dport {p} drop\n",
                r.purpose
            ),
            From::LoadBalancers => format!(
                "    tcp dport {p} ip saddr @load_balancers accept comment \"{}\"\n    tcp dport {p} drop\n",
                r.purpose
            ),
            From::SelfOnly => format!(
                "    tcp dport {p} drop comment \"{} (loopback only)\"\n",
                r.purpose
            ),
        };
        s.push_str(&line);
    }
    let never: &[(u16, &str)] = &[
        (10255, "read-only kubelet"),
        (8080, "insecure API server port"),
        (10249, "kube-proxy metrics"),
    ];
    for (p, what) in never {
        s.push_str(&format!("    tcp dport {p} drop comment \"{what}\"\n"));
    }
    if role == Role::Worker {
        for (p, what) in [
            (6443u16, "no API server on workers"),
            (2379, "no etcd on workers"),
        ] {
            s.push_str(&format!("    tcp dport {p} drop comment \"{what}\"\n"));
        }
    }
    s.push_str("  }\n}\n");
    s
}

/// A cloud-neutral security-group description for both roles: ingress rules with sources
/// that name the other group (`sg:control-plane`, `sg:load-balancers`) or `0.0.0.0/0`.
pub fn security_groups(nodeport: (u16, u16)) -> serde_json::Value {
    let group = |role: Role| {
        let rules: Vec<serde_json::Value> = expected(role, nodeport)
            .into_iter()
            .filter(|r| r.from != From::SelfOnly)
            .map(|r| {
                serde_json::json!({
                    "protocol": "tcp",
                    "fromPort": r.from_port,
                    "toPort": r.to_port,
                    "source": match r.from {
                        From::All => "0.0.0.0/0",
                        From::ControlPlane => "sg:control-plane",
                        From::LoadBalancers => "sg:load-balancers",
                        From::SelfOnly => unreachable!(),
                    },
                    "description": r.purpose,
                })
            })
            .collect();
        serde_json::json!({ "name": role.name(), "ingress": rules })
    };
    serde_json::json!({
        "generatedBy": "kubeward probe --emit security-group",
        "note": "Kubernetes ports only (Ports and Protocols table); add SSH, CNI and DNS as your setup needs. kube-scheduler (10259) and kube-controller-manager (10257) are loopback-only and get no rule.",
        "groups": [group(Role::ControlPlane), group(Role::Worker)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_emitters() {
        let np = (30000, 32767);
        assert!(allowed_remotely(Role::ControlPlane, 6443, np));
        assert!(!allowed_remotely(Role::ControlPlane, 10259, np));
        assert!(!allowed_remotely(Role::ControlPlane, 30080, np));
        assert!(allowed_remotely(Role::Worker, 30080, np));
        assert!(!allowed_remotely(Role::Worker, 6443, np));
        let nft = nftables(Role::ControlPlane, np);
        assert!(nft.contains("tcp dport 2379-2380 ip saddr @control_plane accept"));
        assert!(nft.contains("tcp dport 10259 drop"));
        assert!(nft.contains("tcp dport 10255 drop"));
        let w = nftables(Role::Worker, np);
        assert!(w.contains("tcp dport 30000-32767 accept"));
        assert!(w.contains("tcp dport 10256 ip saddr @load_balancers accept"));
        let sg = security_groups(np);
        let cp = &sg["groups"][0]["ingress"];
        assert_eq!(cp.as_array().unwrap().len(), 3);
        assert_eq!(cp[1]["source"], "sg:control-plane");
        assert_eq!(sg["groups"][1]["ingress"][2]["fromPort"], 30000);
    }
}
