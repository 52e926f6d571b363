//! Rules that open too much: allow-everything rules (KW-NET-108), every namespace (KW-NET-111),
//! open to the outside (KW-NET-112).

use super::common::{model, names, routed_by, workload_at};
use super::{DOCS, NSA};
use crate::netpol::ip::{Atoms, IpRange, is_internal};
use crate::netpol::policy::{Action, Dir, PeerKind, PolicyKind};
use kubeward_core::inventory::ObjectId;
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};
use std::collections::BTreeMap;

pub static ALLOW_ALL: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-108",
        name: "network-policy-allows-everything",
        layer: Layer::PodToPod,
        severity: Severity::Medium,
        title: "Network policy rule allows every peer",
        why: "A rule with no `from`/`to`, a `namespaceSelector: {}` peer or an `ipBlock` of 0.0.0.0/0 \
              admits every pod of every namespace (and, for the first and last, every address outside the \
              cluster). It turns a default deny back into an allow-all for the ports it names.",
        fix: "Name the peers that need the connection: a `podSelector` in the own namespace, or \
              `namespaceSelector` + `podSelector` in one peer for another namespace; use narrow CIDRs for \
              external addresses.",
        references: &[NSA, ("mitre", "T1210"), DOCS],
        default_enabled: true,
    },
    check: Check::Inventory(check_allow_all),
};

pub static EVERY_NS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-111",
        name: "reachable-from-every-namespace",
        layer: Layer::PodToPod,
        severity: Severity::Medium,
        title: "Workload is reachable from every namespace",
        why: "An ingress rule with `namespaceSelector: {}` admits pods from every namespace, including \
              namespaces created later and tenants you do not control. Any compromised pod anywhere in \
              the cluster reaches this workload.",
        fix: "Replace `namespaceSelector: {}` with the namespaces that need access (by \
              `kubernetes.io/metadata.name` or a label you control) and add a `podSelector` in the same \
              peer.",
        references: &[NSA, ("mitre", "T1210"), DOCS],
        default_enabled: true,
    },
    check: Check::Inventory(check_every_namespace),
};

pub static OUTSIDE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-112",
        name: "workload-open-to-outside",
        layer: Layer::Network,
        severity: Severity::Medium,
        title: "NetworkPolicy admits traffic from public addresses",
        why: "An ingress rule that allows public (non-private) address ranges lets anything on the \
              internet that can route to the pod connect, through a LoadBalancer, a NodePort or a \
              routable pod network, bypassing the ingress controller and its authentication.",
        fix: "Allow only the ingress controller's pods (or the load balancer's private ranges) instead \
              of public CIDRs or rules without `from`.",
        references: &[NSA, ("mitre", "T1190"), DOCS],
        default_enabled: true,
    },
    check: Check::Inventory(check_outside),
};

fn check_allow_all(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    for p in &m.policies {
        if p.kind == PolicyKind::Network && p.subject_classes.is_empty() {
            continue;
        }
        for r in p.ingress.iter().chain(&p.egress) {
            let rule = &m.rules[*r as usize];
            if rule.action != Action::Allow {
                continue;
            }
            let ports = if rule.ports.is_none() {
                "every port".to_string()
            } else {
                format!(
                    "{}{}",
                    rule.numeric,
                    if rule.has_named {
                        " and named ports"
                    } else {
                        ""
                    }
                )
            };
            let who = |what: &str| {
                format!(
                    "{} {} {} allows {what} ({ports})",
                    p.kind.as_str(),
                    p.display(&m),
                    rule.label()
                )
            };
            match &rule.peers {
                None => {
                    let field = ctx.inventory.object(p.object).root.locate(&format!(
                        "{}/{}",
                        rule.pointer,
                        rule.dir.peers_field()
                    ));
                    let pointer = if field.complete {
                        format!("{}/{}", rule.pointer, rule.dir.peers_field())
                    } else {
                        rule.pointer.clone()
                    };
                    out.report(
                        ctx.inventory.object(p.object),
                        pointer,
                        who(match rule.dir {
                            Dir::Ingress => {
                                "connections from every pod and every address (no `from`)"
                            }
                            Dir::Egress => "connections to every pod and every address (no `to`)",
                        }),
                    );
                }
                Some(peers) => {
                    for peer in peers {
                        let what = match &peer.kind {
                            PeerKind::Pods(s) if s.all_namespaces() && s.all_pods() => {
                                "every pod in every namespace (`namespaceSelector: {}`)"
                            }
                            PeerKind::Block { set, .. } if set.is_whole_family() => {
                                "every address (a /0 ipBlock)"
                            }
                            _ => continue,
                        };
                        out.report(
                            ctx.inventory.object(p.object),
                            peer.pointer.clone(),
                            who(what),
                        );
                    }
                }
            }
        }
    }
}

fn check_every_namespace(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    for (i, e) in m.workloads() {
        let c = e.class;
        let cr = &m.per_class[c as usize];
        let mut via: Vec<(ObjectId, String, String)> = Vec::new();
        let admin_allow = cr
            .admin_in
            .iter()
            .filter(|r| m.rules[**r as usize].action == Action::Allow);
        let np_rules = if m.isolated(Dir::Ingress, c) {
            cr.np_in_rules.as_slice()
        } else {
            &[]
        };
        for r in admin_allow.chain(np_rules) {
            let rule = &m.rules[*r as usize];
            let p = &m.policies[rule.policy as usize];
            let hit = match &rule.peers {
                None => Some(rule.pointer.clone()),
                Some(peers) => peers
                    .iter()
                    .find(|peer| matches!(&peer.kind, PeerKind::Pods(s) if s.all_namespaces()))
                    .map(|peer| peer.pointer.clone()),
            };
            if let Some(pointer) = hit {
                via.push((
                    p.object,
                    pointer,
                    format!("{} {} {}", p.kind.as_str(), p.display(&m), rule.label()),
                ));
            }
        }
        if via.is_empty() {
            continue;
        }
        let Some((obj, pointer)) = workload_at(&m, i) else {
            continue;
        };
        // A routed workload often admits every namespace only to let the ingress controller in.
        let hint = match routed_by(&m, ctx.inventory, c) {
            Some(by) if m.ingress_controller.is_none() => format!(
                "; it is routed by {by}: admit the ingress controller by its namespace and labels \
                 instead (and name them in `settings.ingress_controller` so kubeward matches it)"
            ),
            Some(by) => {
                format!("; it is routed by {by}: the ingress controller needs only its own peer")
            }
            None => String::new(),
        };
        let f = out.report(
            ctx.inventory.object(obj),
            pointer,
            format!(
                "{} accepts connections from pods in every namespace through {}{hint}",
                e.display,
                via.iter()
                    .map(|v| v.2.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        for (o, p, label) in via {
            f.related(o, p, label);
        }
    }
}

fn check_outside(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    let atoms: &Atoms = &m.ingress_ext.atoms;
    let public: Vec<&IpRange> = atoms.ranges.iter().filter(|r| !is_internal(r)).collect();
    // (policy, rule) → workloads, public ranges.
    let mut by_rule: BTreeMap<(u32, u32), (Vec<u32>, Vec<IpRange>)> = BTreeMap::new();
    for (c, cl) in m.classes.iter().enumerate() {
        let c = c as u32;
        if cl.synthetic || !m.isolated(Dir::Ingress, c) {
            continue;
        }
        for &r in &m.per_class[c as usize].np_in_rules {
            let rule = &m.rules[r as usize];
            let ranges: Vec<IpRange> = public
                .iter()
                .filter(|a| rule.peer_matches_range(a))
                .map(|a| **a)
                .collect();
            if ranges.is_empty() || rule.conns_at(Some(cl)).is_empty() {
                continue;
            }
            let slot = by_rule.entry((rule.policy, r)).or_default();
            slot.0.extend(cl.members.iter().copied());
            slot.1 = ranges;
        }
    }
    for ((pol, r), (eps, ranges)) in by_rule {
        let p = &m.policies[pol as usize];
        let rule = &m.rules[r as usize];
        let pointer = rule
            .peers
            .iter()
            .flatten()
            .find(|peer| {
                ranges
                    .iter()
                    .any(|a| crate::netpol::policy::peer_matches_range(peer, a))
            })
            .map(|peer| peer.pointer.clone())
            .unwrap_or_else(|| rule.pointer.clone());
        let shown: Vec<String> = ranges.iter().take(3).map(|r| r.to_string()).collect();
        let mut routed: Vec<String> = eps
            .iter()
            .filter_map(|e| routed_by(&m, ctx.inventory, m.endpoints[*e as usize].class))
            .collect();
        routed.sort_unstable();
        routed.dedup();
        let hint = if routed.is_empty() {
            String::new()
        } else {
            format!(
                " (routed by {}: the ingress controller reaches it without public addresses)",
                routed.join(", ")
            )
        };
        out.report(
            ctx.inventory.object(p.object),
            pointer,
            format!(
                "{} {} {} admits public addresses ({}{}) to {}{hint}",
                p.kind.as_str(),
                p.display(&m),
                rule.label(),
                shown.join(", "),
                if ranges.len() > 3 { ", ..." } else { "" },
                names(&m, &eps)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::np;
    use super::*;
    use crate::netpol::tests::deploy;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn allow_everything_rules() {
        let y = deploy("a", "x", "app=x", "")
            + &np(
                "a",
                "p",
                "podSelector: {}\ningress:\n- ports: [{port: 80}]\n- from: [{namespaceSelector: {}}]\n- from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: mon}}}]\negress:\n- to: [{ipBlock: {cidr: 0.0.0.0/0}}]",
            );
        let h = run(&ALLOW_ALL, &y);
        assert_eq!(
            pointers(&h),
            vec![
                "/spec/ingress/0",
                "/spec/ingress/1/from/0",
                "/spec/egress/0/to/0"
            ]
        );
        assert!(h[0].message.contains("(TCP 80)"));
    }

    #[test]
    fn every_namespace() {
        let w = deploy("a", "x", "app=x", "");
        let y = w.clone()
            + &np(
                "a",
                "p",
                "podSelector: {}\ningress:\n- from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: prometheus}}}]",
            );
        let h = run(&EVERY_NS, &y);
        assert_eq!(h.len(), 1);
        assert!(h[0].message.contains("NetworkPolicy a/p ingress rule #1"));
        let y = w + &np(
            "a",
            "p",
            "podSelector: {}\ningress:\n- from: [{namespaceSelector: {matchLabels: {team: a}}}]",
        );
        assert!(run(&EVERY_NS, &y).is_empty());
    }

    #[test]
    fn open_to_outside() {
        let w = deploy("a", "x", "app=x", "");
        let y = w.clone()
            + &np(
                "a",
                "p",
                "podSelector: {}\ningress:\n- from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]\n- from: [{ipBlock: {cidr: 10.0.0.0/8}}]",
            );
        let h = run(&OUTSIDE, &y);
        assert_eq!(pointers(&h), vec!["/spec/ingress/0/from/0"]);
        assert!(h[0].message.contains("0.0.0.0-9.255.255.255"));
        assert!(
            run(
                &OUTSIDE,
                &(w + &np(
                    "a",
                    "p",
                    "podSelector: {}\ningress:\n- from: [{ipBlock: {cidr: 10.0.0.0/8}}]"
                ))
            )
            .is_empty()
        );
    }

    #[test]
    fn routed_workloads_get_an_ingress_controller_hint() {
        let w = deploy("a", "x", "app=x", "http:8080")
            + "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\nspec: {selector: {app: x}, ports: [{port: 80, targetPort: http}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: a}\nspec:\n  defaultBackend: {service: {name: s, port: {number: 80}}}\n";
        let every = w.clone()
            + &np(
                "a",
                "p",
                "podSelector: {}\ningress:\n- from: [{namespaceSelector: {}}]",
            );
        let h = run(&EVERY_NS, &every);
        assert_eq!(h.len(), 1);
        assert!(
            h[0].message.contains("routed by Ingress a/web")
                && h[0].message.contains("settings.ingress_controller"),
            "{}",
            h[0].message
        );
        let s = kubeward_core::config::Settings {
            ingress_controller: Some(kubeward_core::config::IngressController {
                namespace: "ingress-nginx".into(),
                labels: Default::default(),
            }),
            ..Default::default()
        };
        let h = kubeward_core::testing::run_with(&[&EVERY_NS], s, &every);
        assert!(
            h[0].message
                .contains("the ingress controller needs only its own peer"),
            "{}",
            h[0].message
        );
        let outside = w + &np(
            "a",
            "p",
            "podSelector: {}\ningress:\n- from: [{ipBlock: {cidr: 0.0.0.0/0}}]",
        );
        let h = run(&OUTSIDE, &outside);
        assert_eq!(h.len(), 1);
        assert!(h[0].message.contains("(routed by Ingress a/web: the ingress controller reaches it without public addresses)"), "{}", h[0].message);
        // Not routed: no hint.
        let plain = deploy("a", "x", "app=x", "")
            + &np(
                "a",
                "p",
                "podSelector: {}\ningress:\n- from: [{namespaceSelector: {}}]",
            );
        assert!(!run(&EVERY_NS, &plain)[0].message.contains("routed"));
    }
}
