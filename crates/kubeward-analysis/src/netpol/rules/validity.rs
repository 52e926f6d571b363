//! Policies the API server rejects (KW-NET-101), rules that can never match (KW-NET-107) and
//! the analysis caveats (KW-NET-113).

use super::DOCS;
use super::common::model;
use crate::netpol::policy::Dir;
use crate::netpol::ports::Proto;
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity, Status};
use std::collections::BTreeMap;

pub static INVALID: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-101",
        name: "invalid-network-policy",
        layer: Layer::PodToPod,
        severity: Severity::High,
        title: "Network policy is invalid and would be rejected by the API server",
        why: "The API server refuses a policy that breaks its validation rules (an empty peer, an \
              `ipBlock` mixed with selectors, an `except` outside its `cidr`, `endPort` with a named \
              port, an unknown protocol or operator). Applied from a pipeline, the rejection is easy to \
              miss and the namespace keeps running without the isolation the author intended. kubeward \
              leaves the policy out of the analysis, as the cluster would.",
        fix: "Fix the field the finding points at (the message says what the API server expects), then \
              apply the policy and check it was accepted.",
        references: &[
            DOCS,
            (
                "docs",
                "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_invalid),
};

pub static INEFFECTIVE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-107",
        name: "network-policy-rule-has-no-effect",
        layer: Layer::PodToPod,
        severity: Severity::Low,
        title: "NetworkPolicy rule or port can never match",
        why: "Rules for a direction missing from `policyTypes` are ignored, a named port resolves only on \
              destination pods that define it with the same protocol, and a named port cannot apply to \
              an `ipBlock`. Such a rule looks like an allowance (or a restriction) in review and does \
              nothing in the cluster.",
        fix: "List the direction in `policyTypes`, use a port name the destination pods define (with the \
              right protocol) or a port number.",
        references: &[DOCS],
        default_enabled: true,
    },
    check: Check::Inventory(check_ineffective),
};

pub static CAVEAT: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-113",
        name: "network-policy-analysis-caveat",
        layer: Layer::PodToPod,
        severity: Severity::Info,
        title: "Network policy analysis depends on something kubeward cannot see",
        why: "Some policy semantics depend on the cluster: admin policies of equal priority are ordered by \
              the network plugin, node addresses are unknown offline, pods of one owner may carry \
              different labels. kubeward states the assumption it made instead of guessing silently.",
        fix: "Read the message: give admin policies distinct priorities, label all pods of a workload \
              alike, or analyse a cluster dump that has the missing objects.",
        references: &[DOCS, ("docs", "https://network-policy-api.sigs.k8s.io/")],
        default_enabled: true,
    },
    check: Check::Inventory(check_caveat),
};

fn check_invalid(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    for i in m.issues.iter().filter(|i| i.error) {
        out.report(
            ctx.inventory.object(i.object),
            i.pointer.clone(),
            format!(
                "{} (the API server rejects this policy; kubeward analysed the cluster without it)",
                i.message
            ),
        )
        .status(Status::Unknown);
    }
}

fn check_caveat(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    for i in m.issues.iter().filter(|i| !i.error && !i.ineffective) {
        out.report(
            ctx.inventory.object(i.object),
            i.pointer.clone(),
            i.message.clone(),
        )
        .status(Status::Unknown);
    }
}

fn check_ineffective(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    for i in m.issues.iter().filter(|i| i.ineffective) {
        out.report(
            ctx.inventory.object(i.object),
            i.pointer.clone(),
            i.message.clone(),
        );
    }
    // Named ports that no destination defines.
    for p in &m.policies {
        for dir in [Dir::Ingress, Dir::Egress] {
            for (_, r) in p.rules(&m, dir) {
                let Some(entries) = &r.ports else { continue };
                let dests: Vec<u32> = match dir {
                    Dir::Ingress => p.subject_classes.clone(),
                    Dir::Egress => match &r.members {
                        crate::netpol::policy::Members::All => {
                            (0..m.classes.len() as u32).collect()
                        }
                        crate::netpol::policy::Members::None => Vec::new(),
                        crate::netpol::policy::Members::Some(v) => v.clone(),
                    },
                };
                let dests: Vec<u32> = dests
                    .into_iter()
                    .filter(|c| !m.classes[*c as usize].synthetic)
                    .collect();
                if dests.is_empty() {
                    continue;
                }
                // Admin namedPort entries are expanded to every protocol: judge per name.
                let mut by_name: BTreeMap<(u32, String), (bool, Vec<Proto>)> = BTreeMap::new();
                for e in entries {
                    if let crate::netpol::policy::PortSpec::Named(n) = e.spec {
                        let slot = by_name
                            .entry((n, e.pointer.clone()))
                            .or_insert((false, Vec::new()));
                        slot.1.push(e.proto);
                        slot.0 |= dests
                            .iter()
                            .any(|c| m.classes[*c as usize].named_port(n, e.proto).is_some());
                    }
                }
                for ((n, pointer), (found, protos)) in by_name {
                    if found {
                        continue;
                    }
                    let name = m.syms.str(n);
                    let other = dests
                        .iter()
                        .flat_map(|c| m.classes[*c as usize].ports.iter())
                        .find(|(pn, _, _)| *pn == n)
                        .map(|(_, pr, num)| {
                            format!(
                                " (the pods define `{name}` as {} {num}, not {})",
                                pr.as_str(),
                                protos[0].as_str()
                            )
                        })
                        .unwrap_or_default();
                    out.report(
                        ctx.inventory.object(p.object),
                        format!("{pointer}/port"),
                        format!(
                            "{} {} {}: no destination pod defines a port named `{name}`{other}, so this port matches nothing",
                            p.kind.as_str(),
                            p.display(&m),
                            r.label()
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{DENY, np};
    use super::*;
    use crate::netpol::tests::deploy;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn invalid_policy_is_unknown_and_located() {
        let y = deploy("a", "x", "app=x", "")
            + &np("a", "p", "podSelector: {}\ningress:\n- from: [{}]");
        let h = run(&INVALID, &y);
        assert_eq!(pointers(&h), vec!["/spec/ingress/0/from/0"]);
        assert_eq!(h[0].status, Status::Unknown);
        assert!(
            run(
                &INVALID,
                &(deploy("a", "x", "app=x", "") + &np("a", "p", DENY))
            )
            .is_empty()
        );
    }

    #[test]
    fn ineffective_rules_and_ports() {
        let y = deploy("a", "x", "app=x", "dns:53/UDP")
            + &np(
                "a",
                "p",
                "podSelector: {matchLabels: {app: x}}\npolicyTypes: [Ingress]\ningress:\n- ports: [{port: dns}]\n- ports: [{port: dns, protocol: UDP}]\negress:\n- to: [{podSelector: {}}]",
            );
        let h = run(&INEFFECTIVE, &y);
        let p = pointers(&h);
        assert_eq!(
            p,
            vec!["/spec/ingress/0/ports/0/port", "/spec/egress"],
            "{h:#?}"
        );
        assert!(h[0].message.contains("as UDP 53, not TCP"));
        let ok = deploy("a", "x", "app=x", "dns:53/UDP")
            + &np(
                "a",
                "p",
                "podSelector: {}\ningress:\n- ports: [{port: dns, protocol: UDP}]",
            );
        assert!(run(&INEFFECTIVE, &ok).is_empty());
    }

    #[test]
    fn caveats() {
        let anp = |n: &str| {
            format!(
                "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {{name: {n}}}\nspec:\n  priority: 7\n  subject: {{namespaces: {{}}}}\n  ingress:\n  - action: Allow\n    from: [{{namespaces: {{}}}}]\n"
            )
        };
        let y = deploy("a", "x", "app=x", "") + &anp("one") + &anp("two");
        let h = run(&CAVEAT, &y);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].status, Status::Unknown);
        assert!(run(&CAVEAT, &(deploy("a", "x", "app=x", "") + &anp("one"))).is_empty());
    }
}
