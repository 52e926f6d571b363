//! Egress findings about node-level services: KW-NET-114 (the kubelet API).

use super::common::{model, names, real_members};
use crate::netpol::ip::{Cidr, IpRange, IpSet};
use crate::netpol::model::Model;
use crate::netpol::policy::{Action, Dir, PeerKind, PolicyKind, Rule as PolicyRule};
use crate::netpol::ports::{ConnSet, Proto};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};
use std::net::IpAddr;

/// The kubelet's authenticated API and its read-only port.
pub const KUBELET_PORTS: &[u16] = &[10250, 10255];

/// Private ranges where node addresses usually are, when no Node object says where.
const PRIVATE: &[&str] = &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

pub static KUBELET: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-114",
        name: "egress-to-kubelet",
        layer: Layer::PodToPod,
        severity: Severity::Medium,
        title: "Egress rule lets workloads reach the kubelet API (TCP 10250/10255) on nodes",
        why: "The kubelet listens on every node: TCP 10250 runs commands in any pod of the node \
              (`exec`, `run`), reads its logs and lists its pods when authentication or \
              authorization is weak, and the read-only port 10255 hands pod specs, environment \
              and metrics to anyone. An egress rule that opens these ports (or every port) toward \
              node addresses lets a compromised pod probe and attack the node agents, the usual \
              step from one pod to every workload on the node. Only monitoring agents such as \
              metrics-server or a Prometheus scraping kubelets need it.",
        fix: "Leave the kubelet ports out of the rule's `ports`, narrow the `ipBlock` to the \
              destinations the workload needs (`except` the node subnets), and allow TCP 10250 \
              only in a policy that selects the monitoring agent that scrapes kubelets. Keep the \
              read-only port disabled (`readOnlyPort: 0`).",
        references: &[
            ("mitre", "T1609"),
            ("mitre", "T1613"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Network separation and hardening",
            ),
            (
                "docs",
                "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_kubelet),
};

/// Node addresses from Node objects' `status.addresses` (InternalIP and ExternalIP).
fn node_addresses(ctx: &InventoryCtx<'_>) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = ctx
        .inventory
        .of_kind("Node")
        .filter(|n| n.group().is_empty())
        .flat_map(|n| {
            n.root
                .path(&["status", "addresses"])
                .map(kubeward_core::Node::items)
                .unwrap_or(&[])
                .iter()
        })
        .filter(|a| matches!(a.str_at("type"), Some("InternalIP" | "ExternalIP")))
        .filter_map(|a| a.str_at("address")?.parse().ok())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The kubelet ports a rule's port list opens (`ports` missing: every port).
fn kubelet_ports(rule: &PolicyRule) -> Vec<u16> {
    let conns: &ConnSet = &rule.numeric;
    KUBELET_PORTS
        .iter()
        .copied()
        .filter(|p| conns.contains(Proto::Tcp, *p))
        .collect()
}

/// The private ranges `set` holds whole (the heuristic used when node addresses are unknown).
fn private_ranges_in(set: &IpSet) -> Vec<&'static str> {
    PRIVATE
        .iter()
        .copied()
        .filter(|c| {
            Cidr::parse(c)
                .map(|(cidr, _)| set.contains_range(&cidr.range()))
                .unwrap_or(false)
        })
        .collect()
}

fn check_kubelet(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    let nodes = node_addresses(ctx);
    for p in &m.policies {
        let who = || {
            let subjects = real_members(&m, &p.subject_classes);
            if subjects.is_empty() {
                "the pods it selects".to_string()
            } else {
                names(&m, &subjects)
            }
        };
        for (_, rule) in p.rules(&m, Dir::Egress) {
            if rule.action != Action::Allow {
                continue;
            }
            let ports = kubelet_ports(rule);
            if ports.is_empty() {
                continue;
            }
            let ports_text = ports
                .iter()
                .map(|p| format!("TCP {p}"))
                .collect::<Vec<_>>()
                .join(" and ");
            let how = if rule.ports.is_none() {
                "every port, so "
            } else {
                ""
            };
            for peer in rule.peers.iter().flatten() {
                let reaches = match &peer.kind {
                    PeerKind::Block { text, set, .. } => block_reaches_nodes(&m, text, set, &nodes),
                    PeerKind::Nodes(sel) if p.kind != PolicyKind::Network => {
                        Some(format!("nodes with {{{}}}", sel.display(&m.syms)))
                    }
                    _ => None,
                };
                let Some(reaches) = reaches else { continue };
                out.report(
                    ctx.inventory.object(p.object),
                    peer.pointer.clone(),
                    format!(
                        "{} {} {} opens {how}{ports_text} (the kubelet) to {reaches} for {}",
                        p.kind.as_str(),
                        p.display(&m),
                        rule.label(),
                        who(),
                    ),
                );
            }
        }
    }
}

/// What node addresses an `ipBlock` reaches, in words, or `None`.
fn block_reaches_nodes(_m: &Model, text: &str, set: &IpSet, nodes: &[IpAddr]) -> Option<String> {
    if nodes.is_empty() {
        let private = private_ranges_in(set);
        if private.is_empty() {
            return None;
        }
        let what = if private.len() > 1 {
            "private ranges"
        } else {
            "private range"
        };
        return Some(format!(
            "{text}, which holds the {what} {} where node addresses usually are \
             (a heuristic: the input has no Node objects, so node addresses are unknown)",
            private.join(", ")
        ));
    }
    let hit: Vec<String> = nodes
        .iter()
        .filter(|ip| set.contains_range(&IpRange::single(**ip)))
        .map(IpAddr::to_string)
        .collect();
    if hit.is_empty() {
        return None;
    }
    let shown = crate::some_of(&hit.iter().map(String::as_str).collect::<Vec<_>>(), 5);
    Some(format!("{text}, which holds node addresses {shown}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netpol::tests::deploy;
    use kubeward_core::testing::{pointers, run};

    fn np(spec: &str) -> String {
        format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: a}}\nspec:\n{}\n",
            spec.lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    }

    fn node(name: &str, ip: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nstatus:\n  addresses:\n  - {{type: InternalIP, address: {ip}}}\n  - {{type: Hostname, address: {name}}}\n"
        )
    }

    fn egress(to: &str, ports: &str) -> String {
        deploy("a", "x", "app=x", "")
            + &np(&format!(
                "podSelector: {{}}\npolicyTypes: [Egress]\negress:\n- to: [{to}]{ports}"
            ))
    }

    #[test]
    fn kubelet_without_node_objects_uses_the_private_range_heuristic() {
        // (peer, ports, fires)
        let table: &[(&str, &str, bool)] = &[
            ("{ipBlock: {cidr: 0.0.0.0/0}}", "", true),
            ("{ipBlock: {cidr: 10.0.0.0/8}}", "", true),
            (
                "{ipBlock: {cidr: 172.16.0.0/12}}",
                "\n  ports: [{port: 10250}]",
                true,
            ),
            (
                "{ipBlock: {cidr: 192.168.0.0/16}}",
                "\n  ports: [{port: 10255}]",
                true,
            ),
            (
                "{ipBlock: {cidr: 10.0.0.0/8}}",
                "\n  ports: [{port: 10000, endPort: 10300}]",
                true,
            ),
            ("{ipBlock: {cidr: '::/0'}}", "", true),
            (
                "{ipBlock: {cidr: 0.0.0.0/0}}",
                "\n  ports: [{port: 443}]",
                false,
            ),
            (
                "{ipBlock: {cidr: 0.0.0.0/0}}",
                "\n  ports: [{port: 10250, protocol: UDP}]",
                false,
            ),
            (
                "{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/16]}}",
                "",
                false,
            ),
            ("{ipBlock: {cidr: 10.244.0.0/16}}", "", false),
            ("{ipBlock: {cidr: 8.8.8.8/32}}", "", false),
            ("{namespaceSelector: {}}", "", false),
        ];
        for (to, ports, fires) in table {
            let h = run(&KUBELET, &egress(to, ports));
            assert_eq!(!h.is_empty(), *fires, "{to}{ports}: {h:?}");
            if *fires {
                assert_eq!(pointers(&h), vec!["/spec/egress/0/to/0"], "{to}");
                assert!(h[0].message.contains("heuristic"), "{}", h[0].message);
                assert!(h[0].message.contains("a/x[Deployment]"), "{}", h[0].message);
            }
        }
    }

    #[test]
    fn kubelet_with_node_addresses() {
        let nodes = node("n1", "10.0.1.10") + &node("n2", "10.0.2.10");
        // (peer, ports, fires)
        let table: &[(&str, &str, bool)] = &[
            ("{ipBlock: {cidr: 10.0.0.0/16}}", "", true),
            (
                "{ipBlock: {cidr: 10.0.1.10/32}}",
                "\n  ports: [{port: 10250}]",
                true,
            ),
            (
                "{ipBlock: {cidr: 0.0.0.0/0}}",
                "\n  ports: [{port: 10255}]",
                true,
            ),
            // The pod range: no node there.
            ("{ipBlock: {cidr: 10.244.0.0/16}}", "", false),
            (
                "{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.1.0/24, 10.0.2.0/24]}}",
                "",
                false,
            ),
            (
                "{ipBlock: {cidr: 10.0.0.0/16}}",
                "\n  ports: [{port: 443}]",
                false,
            ),
        ];
        for (to, ports, fires) in table {
            let h = run(&KUBELET, &(egress(to, ports) + &nodes));
            assert_eq!(!h.is_empty(), *fires, "{to}{ports}: {h:?}");
            if *fires {
                assert_eq!(pointers(&h), vec!["/spec/egress/0/to/0"], "{to}");
                assert!(
                    h[0].message.contains("node addresses 10.0.1.10"),
                    "{}",
                    h[0].message
                );
                assert!(!h[0].message.contains("heuristic"), "{}", h[0].message);
            }
        }
    }

    #[test]
    fn kubelet_through_an_admin_nodes_peer() {
        let anp = "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: scrape}\nspec:\n  priority: 5\n  subject: {namespaces: {}}\n  egress:\n  - action: Allow\n    to: [{nodes: {matchLabels: {}}}]\n    ports: [{portNumber: {port: 10250, protocol: TCP}}]\n";
        let h = run(&KUBELET, &(deploy("a", "x", "app=x", "") + anp));
        assert_eq!(pointers(&h), vec!["/spec/egress/0/to/0"], "{h:?}");
        let deny = anp.replace("action: Allow", "action: Deny");
        assert!(run(&KUBELET, &(deploy("a", "x", "app=x", "") + &deny)).is_empty());
    }
}
