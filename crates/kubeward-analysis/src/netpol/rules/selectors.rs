//! Selectors that match nothing: policies that select no pod (KW-NET-105) and peers that match
//! no workload (KW-NET-106).

use super::DOCS;
use super::common::{model, real_members, workload_namespaces};
use crate::netpol::model::Model;
use crate::netpol::policy::{NsScope, PeerKind, PolicyKind};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static DANGLING: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-105",
        name: "network-policy-selects-nothing",
        layer: Layer::PodToPod,
        severity: Severity::Low,
        title: "NetworkPolicy selects no workload",
        why: "A policy whose `podSelector` matches no pod protects nothing. It usually means a label was \
              renamed or mistyped, so the workload it was written for is running without it.",
        fix: "Fix the `podSelector` so it matches the intended pods' labels, or delete the policy.",
        references: &[("kube-score", "networkpolicy-targets-pod"), DOCS],
        default_enabled: true,
    },
    check: Check::Inventory(check_dangling),
};

pub static EMPTY_PEER: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-106",
        name: "network-policy-peer-matches-nothing",
        layer: Layer::PodToPod,
        severity: Severity::Low,
        title: "NetworkPolicy peer matches no workload",
        why: "A `from`/`to` peer that matches no pod allows nothing. Usually a label or namespace name is \
              wrong, so the traffic the author meant to allow is blocked, and someone will be tempted to \
              \"fix\" it with a broader rule.",
        fix: "Correct the selectors so they match the intended pods (namespace peers select by namespace \
              labels; name a namespace with `kubernetes.io/metadata.name`).",
        references: &[DOCS],
        default_enabled: true,
    },
    check: Check::Inventory(check_empty_peer),
};

fn check_dangling(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    let with_workloads = workload_namespaces(&m);
    for p in m.policies.iter().filter(|p| p.kind == PolicyKind::Network) {
        let ns = p.ns.expect("NetworkPolicy has a namespace");
        if !with_workloads.contains_key(&ns) {
            continue;
        }
        if !real_members(&m, &p.subject_classes).is_empty() {
            continue;
        }
        let sel = p
            .subject
            .pods
            .as_ref()
            .map(|s| s.display(&m.syms))
            .unwrap_or_default();
        out.report(
            ctx.inventory.object(p.object),
            "/spec/podSelector",
            format!(
                "NetworkPolicy {} selects no workload of namespace {} (podSelector `{}`)",
                p.display(&m),
                m.namespaces[ns as usize].name,
                if sel.is_empty() { "{}" } else { &sel }
            ),
        );
    }
}

/// Namespaces a scope can reach, when they are all known: the own namespace, or a selector
/// that pins namespace names.
fn known_namespaces(m: &Model, scope: &NsScope) -> Option<Vec<u32>> {
    match scope {
        NsScope::Own(n) => Some(vec![*n]),
        NsScope::Select(s) => {
            let key = m.ns_name_key;
            let mut names: Vec<u32> = Vec::new();
            let mut pinned = false;
            for (k, v) in &s.match_labels {
                if *k == key {
                    pinned = true;
                    names.push(*v);
                }
            }
            for e in &s.exprs {
                if e.key == key && e.op == crate::netpol::labels::Op::In {
                    pinned = true;
                    names.extend(&e.values);
                }
            }
            if !pinned {
                return None;
            }
            Some(
                names
                    .iter()
                    .filter_map(|v| m.ns_index.get(m.syms.str(*v)).copied())
                    .collect(),
            )
        }
    }
}

fn check_empty_peer(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    let with_workloads = workload_namespaces(&m);
    for p in &m.policies {
        if p.subject_classes.is_empty() && p.kind == PolicyKind::Network {
            // Already reported as dangling (or nothing to judge against).
            continue;
        }
        for r in p.ingress.iter().chain(&p.egress) {
            let rule = &m.rules[*r as usize];
            for peer in rule.peers.iter().flatten() {
                let PeerKind::Pods(scope) = &peer.kind else {
                    continue;
                };
                let Some(nss) = known_namespaces(&m, &scope.ns) else {
                    continue;
                };
                // Judge only namespaces whose workloads are all in the input.
                if nss.is_empty() || !nss.iter().all(|n| with_workloads.contains_key(n)) {
                    continue;
                }
                let any = nss.iter().any(|n| {
                    m.ns_classes[*n as usize].iter().any(|c| {
                        let cl = &m.classes[*c as usize];
                        !cl.synthetic && scope.matches(&m, cl)
                    })
                });
                if any {
                    continue;
                }
                let ns_names: Vec<&str> = nss
                    .iter()
                    .map(|n| m.namespaces[*n as usize].name.as_str())
                    .collect();
                let sel = scope
                    .pods
                    .as_ref()
                    .map(|s| s.display(&m.syms))
                    .unwrap_or_default();
                out.report(
                    ctx.inventory.object(p.object),
                    peer.pointer.clone(),
                    format!(
                        "{} {} {}: the peer matches no workload (pods with `{}` in namespace {})",
                        p.kind.as_str(),
                        p.display(&m),
                        rule.label(),
                        if sel.is_empty() { "{}" } else { &sel },
                        ns_names.join(", ")
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::np;
    use super::*;
    use crate::netpol::tests::deploy;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn dangling_policy() {
        let y = deploy("a", "x", "app=x", "")
            + &np("a", "p", "podSelector: {matchLabels: {app: typo}}");
        assert_eq!(pointers(&run(&DANGLING, &y)), vec!["/spec/podSelector"]);
        // A namespace with no workloads in the input cannot be judged.
        let y = deploy("a", "x", "app=x", "")
            + &np("b", "p", "podSelector: {matchLabels: {app: typo}}");
        assert!(run(&DANGLING, &y).is_empty());
    }

    #[test]
    fn peers_matching_nothing() {
        let y = deploy("a", "x", "app=x", "")
            + &deploy("b", "z", "app=z", "")
            + &np(
                "a",
                "p",
                "podSelector: {matchLabels: {app: x}}\ningress:\n- from: [{podSelector: {matchLabels: {app: ghost}}}]\n- from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b}}, podSelector: {matchLabels: {app: z}}}]\n- from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {app: ghost}}}]",
            );
        // The first peer is wrong; the second matches; kube-system is not in the input.
        assert_eq!(
            pointers(&run(&EMPTY_PEER, &y)),
            vec!["/spec/ingress/0/from/0"]
        );
    }
}
