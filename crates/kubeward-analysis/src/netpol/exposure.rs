//! `kubeward netpol exposure`: for each workload, who can reach it (the entire cluster, which
//! namespaces, the outside) and what it can reach, written as the peers the rules name
//! (so namespaces and pods that are not in the input are covered too).

use super::model::{Model, location};
use super::policy::{Action, Dir, NsScope, PeerKind, PodScope, PolicyKind, PortSpec, Rule};
use super::ports::ConnSet;
use kubeward_core::Inventory;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PeerLine {
    /// `entire-cluster`, `ns/[pod with {app=web}]`, `[namespace with {team=a}]/[all pods]`,
    /// `10.0.0.0/8 except 10.1.0.0/16[External]`, `0.0.0.0-255.255.255.255[External]`.
    pub peer: String,
    pub conn: String,
    /// The tier and action when not a plain NetworkPolicy allow (`ANP deny-dev: Deny`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The policy rule, or `default` when nothing isolates the workload.
    pub via: String,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Side {
    pub entire_cluster: bool,
    /// Namespaces in (or named by) the input that the rules reach.
    pub namespaces: Vec<String>,
    /// Selectors of further namespaces the rules reach (`{team=a}`).
    pub namespace_selectors: Vec<String>,
    /// Some pods only, where a rule selects pods by label (`[all namespaces]/[pod with
    /// {k8s-app=kube-dns}]`, `shop/[pod with {app=db}]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<String>,
    pub outside: bool,
    /// Ingress only: the connections the cluster's ingress controller may open because an
    /// Ingress or Route sends traffic here, as the policies allow them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingress_controller: Option<String>,
    pub peers: Vec<PeerLine>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Exposure {
    pub workload: String,
    pub ingress: Side,
    pub egress: Side,
}

/// Exposure of every workload, sorted by name.
pub fn exposure(m: &Model, inv: &Inventory) -> Vec<Exposure> {
    let routed: std::collections::HashMap<u32, (ConnSet, &[kubeward_core::ObjectId])> =
        super::ingress::allowed(m)
            .into_iter()
            .map(|(c, conns, by)| (c, (conns, by)))
            .collect();
    let mut v: Vec<Exposure> = m
        .workloads()
        .map(|(_, e)| {
            let mut ingress = side(m, inv, e.class, Dir::Ingress);
            if let Some((conns, by)) = routed.get(&e.class) {
                let conn = conns.to_string();
                let via = by
                    .iter()
                    .map(|id| {
                        let o = inv.object(*id);
                        format!(
                            "{} {} ({})",
                            o.kind,
                            super::model::qualified(o),
                            location(inv, *id, "/spec")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                ingress.peers.push(PeerLine {
                    peer: super::ingress::NAME.into(),
                    conn: conn.clone(),
                    action: None,
                    via,
                });
                ingress.ingress_controller = Some(conn);
            }
            Exposure {
                workload: e.display.clone(),
                ingress,
                egress: side(m, inv, e.class, Dir::Egress),
            }
        })
        .collect();
    v.sort_by(|a, b| a.workload.cmp(&b.workload));
    v
}

fn side(m: &Model, inv: &Inventory, class: u32, dir: Dir) -> Side {
    let mut s = Side::default();
    let cr = &m.per_class[class as usize];
    let (admin, np, base) = match dir {
        Dir::Ingress => (&cr.admin_in, &cr.np_in_rules, &cr.base_in),
        Dir::Egress => (&cr.admin_eg, &cr.np_eg_rules, &cr.base_eg),
    };
    let isolated = m.isolated(dir, class);
    let mut nss: BTreeSet<String> = BTreeSet::new();
    let mut sels: BTreeSet<String> = BTreeSet::new();
    let mut pods: BTreeSet<String> = BTreeSet::new();
    let tiers: [(&[u32], bool); 3] = [
        (admin, true),
        (if isolated { np } else { &[] }, false),
        (if isolated { &[] } else { base }, true),
    ];
    for (rules, is_admin) in tiers {
        for &r in rules {
            let rule = &m.rules[r as usize];
            let p = &m.policies[rule.policy as usize];
            let conn = conns_text(m, rule, dir, class);
            let action =
                is_admin.then(|| format!("{} {}: {}", p.kind.tag(), p.name, rule.action.as_str()));
            let via = format!(
                "{} {} {} ({})",
                p.kind.as_str(),
                p.display(m),
                rule.label(),
                location(inv, p.object, &rule.pointer)
            );
            let grants = rule.action == Action::Allow;
            let push = |peer: String, s: &mut Side| {
                s.peers.push(PeerLine {
                    peer,
                    conn: conn.clone(),
                    action: action.clone(),
                    via: via.clone(),
                })
            };
            match &rule.peers {
                None => {
                    if grants {
                        s.entire_cluster = true;
                        s.outside = true;
                    }
                    push("entire-cluster".into(), &mut s);
                    push("0.0.0.0-255.255.255.255[External]".into(), &mut s);
                }
                Some(peers) => {
                    for peer in peers {
                        let text = match &peer.kind {
                            PeerKind::Pods(scope) => {
                                if grants {
                                    reach(m, scope, &mut s, &mut nss, &mut sels, &mut pods);
                                }
                                describe(m, scope)
                            }
                            PeerKind::Block { text, .. } => {
                                if grants {
                                    s.outside = true;
                                }
                                format!("{text}[External]")
                            }
                            PeerKind::Nodes(sel) => {
                                format!("[nodes with {{{}}}]", sel.display(&m.syms))
                            }
                            PeerKind::Unknown(t) => format!("[{t}]"),
                        };
                        push(text, &mut s);
                    }
                }
            }
        }
    }
    if !isolated {
        s.entire_cluster = true;
        s.outside = true;
        for peer in ["entire-cluster", "0.0.0.0-255.255.255.255[External]"] {
            s.peers.push(PeerLine {
                peer: peer.into(),
                conn: ConnSet::all().to_string(),
                action: None,
                via: format!("default (no NetworkPolicy selects it for {})", dir.field()),
            });
        }
    }
    s.namespaces = nss.into_iter().collect();
    s.namespace_selectors = sels.into_iter().collect();
    s.pods = pods.into_iter().collect();
    s
}

fn reach(
    m: &Model,
    scope: &PodScope,
    s: &mut Side,
    nss: &mut BTreeSet<String>,
    sels: &mut BTreeSet<String>,
    pods: &mut BTreeSet<String>,
) {
    // A pod selector narrows the reach to some pods: say which, never "the namespace" or
    // "the entire cluster" (a DNS-only egress rule reaches the DNS pods, nothing else).
    if !scope.all_pods() {
        pods.insert(describe(m, scope));
        return;
    }
    match &scope.ns {
        NsScope::Own(n) => {
            nss.insert(m.namespaces[*n as usize].name.to_string());
        }
        NsScope::Select(sel) if sel.is_empty() => s.entire_cluster = true,
        NsScope::Select(sel) => {
            for ns in &m.namespaces {
                if sel.matches(&ns.labels) {
                    nss.insert(ns.name.to_string());
                }
            }
            if sel.single_label(m.ns_name_key).is_none() {
                sels.insert(format!("{{{}}}", sel.display(&m.syms)));
            }
        }
    }
}

/// netpol-analyzer style peer text.
pub fn describe(m: &Model, scope: &PodScope) -> String {
    let ns = match &scope.ns {
        NsScope::Own(n) => m.namespaces[*n as usize].name.to_string(),
        NsScope::Select(sel) if sel.is_empty() => {
            if scope.all_pods() {
                return "entire-cluster".into();
            }
            "[all namespaces]".into()
        }
        NsScope::Select(sel) => match sel.single_label(m.ns_name_key) {
            Some(v) => m.syms.str(v).to_string(),
            None => format!("[namespace with {{{}}}]", sel.display(&m.syms)),
        },
    };
    let pods = match &scope.pods {
        Some(sel) if !sel.is_empty() => format!("[pod with {{{}}}]", sel.display(&m.syms)),
        _ => "[all pods]".into(),
    };
    format!("{ns}/{pods}")
}

fn conns_text(m: &Model, rule: &Rule, dir: Dir, class: u32) -> String {
    if dir == Dir::Ingress {
        return rule.conns_at(Some(m.class(class))).to_string();
    }
    // Egress: named ports resolve at destinations that are not known here.
    let mut t = if rule.numeric.is_empty() {
        String::new()
    } else {
        rule.numeric.to_string()
    };
    let mut seen = BTreeSet::new();
    for e in rule.ports.iter().flatten() {
        if let PortSpec::Named(n) = e.spec {
            let admin = m.policies[rule.policy as usize].kind != PolicyKind::Network;
            let label = if admin {
                format!("named port {}", m.syms.str(n))
            } else {
                format!("named port {}/{}", m.syms.str(n), e.proto.as_str())
            };
            if seen.insert(label.clone()) {
                if !t.is_empty() {
                    t.push(',');
                }
                t.push_str(&label);
            }
        }
    }
    t
}

/// Text report.
pub fn render_text(v: &[Exposure]) -> String {
    let mut o = String::new();
    for e in v {
        let _ = writeln!(o, "{}", e.workload);
        for (title, side, arrow) in [
            ("reachable from", &e.ingress, "<="),
            ("can reach", &e.egress, "=>"),
        ] {
            let _ = writeln!(o, "  {title}: {}", summary(side));
            for p in &side.peers {
                let _ = writeln!(
                    o,
                    "    {arrow} {} : {}{}   [{}]",
                    p.peer,
                    p.conn,
                    p.action
                        .as_ref()
                        .map(|a| format!(" ({a})"))
                        .unwrap_or_default(),
                    p.via
                );
            }
        }
    }
    o
}

fn summary(s: &Side) -> String {
    let mut parts = Vec::new();
    if s.entire_cluster {
        parts.push("entire cluster".to_string());
    } else if s.namespaces.is_empty() && s.namespace_selectors.is_empty() && s.pods.is_empty() {
        parts.push("nobody".to_string());
    } else {
        let mut n = Vec::new();
        if !s.namespaces.is_empty() {
            n.push(format!("namespaces {}", s.namespaces.join(", ")));
        }
        if !s.namespace_selectors.is_empty() {
            n.push(format!(
                "any namespace labelled {}",
                s.namespace_selectors.join(" or ")
            ));
        }
        if !s.pods.is_empty() {
            n.push(format!("pods {}", s.pods.join(", ")));
        }
        parts.push(n.join(" and "));
    }
    parts.push(format!("outside: {}", if s.outside { "yes" } else { "no" }));
    if let Some(c) = &s.ingress_controller {
        parts.push(format!("ingress controller: {c}"));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netpol::tests::deploy;
    use kubeward_core::testing::load;

    #[test]
    fn symbolic_peers_and_summaries() {
        let y = deploy("a", "web", "app=web", "http:8080")
            + &deploy("a", "db", "app=db", "")
            + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: a}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from: [{namespaceSelector: {matchLabels: {team: blue}}, podSelector: {matchLabels: {role: lb}}}, {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: edge}}}]\n    ports: [{port: http}]\n  egress:\n  - to: [{podSelector: {matchLabels: {app: db}}}, {ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]\n";
        let l = load(&y);
        let m = Model::build(&l.inventory, Default::default());
        let v = exposure(&m, &l.inventory);
        let web = v
            .iter()
            .find(|e| e.workload == "a/web[Deployment]")
            .unwrap();
        assert!(!web.ingress.entire_cluster);
        assert_eq!(web.ingress.namespaces, vec!["edge"]);
        // Pods selected by label are named as such, not as their whole namespace.
        assert!(web.ingress.namespace_selectors.is_empty());
        assert_eq!(
            web.ingress.pods,
            vec!["[namespace with {team=blue}]/[pod with {role=lb}]"]
        );
        assert!(!web.ingress.outside);
        let peers: Vec<(&str, &str)> = web
            .ingress
            .peers
            .iter()
            .map(|p| (p.peer.as_str(), p.conn.as_str()))
            .collect();
        assert_eq!(
            peers,
            vec![
                (
                    "[namespace with {team=blue}]/[pod with {role=lb}]",
                    "TCP 8080"
                ),
                ("edge/[all pods]", "TCP 8080")
            ]
        );
        assert!(web.egress.outside);
        assert_eq!(
            web.egress.peers[1].peer,
            "10.0.0.0/8 except 10.1.0.0/16[External]"
        );
        let db = v.iter().find(|e| e.workload == "a/db[Deployment]").unwrap();
        assert!(db.ingress.entire_cluster && db.ingress.outside);
        let t = render_text(&v);
        assert!(t.contains("  reachable from: namespaces edge and pods [namespace with {team=blue}]/[pod with {role=lb}]; outside: no\n"), "{t}");
        assert!(
            t.contains("  can reach: pods a/[pod with {app=db}]; outside: yes\n"),
            "{t}"
        );
    }

    #[test]
    fn dns_only_egress_reaches_the_dns_pods_not_the_cluster() {
        let y = deploy("shop", "web", "app=web", "")
            + &deploy("kube-system", "coredns", "k8s-app=kube-dns", "dns:53")
            + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: dns, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n";
        let l = load(&y);
        let m = Model::build(&l.inventory, Default::default());
        let v = exposure(&m, &l.inventory);
        let web = v
            .iter()
            .find(|e| e.workload == "shop/web[Deployment]")
            .unwrap();
        assert!(!web.egress.entire_cluster);
        assert!(!web.egress.outside);
        assert_eq!(
            web.egress.pods,
            vec!["[all namespaces]/[pod with {k8s-app=kube-dns}]"]
        );
        let t = render_text(&v);
        assert!(
            t.contains(
                "  can reach: pods [all namespaces]/[pod with {k8s-app=kube-dns}]; outside: no\n"
            ),
            "{t}"
        );
        // A namespaceSelector {} without a pod selector is the entire cluster.
        let y = y.replace(", podSelector: {matchLabels: {k8s-app: kube-dns}}", "");
        let l = load(&y);
        let m = Model::build(&l.inventory, Default::default());
        let v = exposure(&m, &l.inventory);
        let web = v
            .iter()
            .find(|e| e.workload == "shop/web[Deployment]")
            .unwrap();
        assert!(web.egress.entire_cluster);
    }
}

/// A policy rule that lets traffic in from far away (for attack paths).
#[derive(Clone, Debug, PartialEq)]
pub struct Opener {
    pub policy: kubeward_core::ObjectId,
    pub pointer: String,
    /// Admits addresses outside the cluster (an `ipBlock`, or every peer).
    pub outside: bool,
    /// Admits every pod of every namespace.
    pub entire_cluster: bool,
}

/// Who may open connections to a class, for attack paths: `None` when no NetworkPolicy
/// isolates it for ingress (everyone may), else the allow rules (NetworkPolicy and admin
/// tier) that admit the outside or every pod.
pub fn ingress_openers(m: &Model, class: u32) -> Option<Vec<Opener>> {
    let cr = &m.per_class[class as usize];
    // Admin-tier denies are not modelled here: an unisolated class is open.
    if !m.isolated(Dir::Ingress, class) {
        return None;
    }
    let mut out = Vec::new();
    let tiers: [&[u32]; 2] = [&cr.admin_in, &cr.np_in_rules];
    for rules in tiers {
        for &r in rules {
            let rule = &m.rules[r as usize];
            if rule.action != Action::Allow {
                continue;
            }
            let p = &m.policies[rule.policy as usize];
            let (mut outside, mut cluster) = (false, false);
            match &rule.peers {
                None => (outside, cluster) = (true, true),
                Some(peers) => {
                    for peer in peers {
                        match &peer.kind {
                            PeerKind::Pods(scope)
                                if matches!(&scope.ns, NsScope::Select(s) if s.is_empty())
                                    && scope.all_pods() =>
                            {
                                cluster = true;
                            }
                            PeerKind::Block { .. } => outside = true,
                            _ => {}
                        }
                    }
                }
            }
            if outside || cluster {
                out.push(Opener {
                    policy: p.object,
                    pointer: rule.pointer.clone(),
                    outside,
                    entire_cluster: cluster,
                });
            }
        }
    }
    Some(out)
}
