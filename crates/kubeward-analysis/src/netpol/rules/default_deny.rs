//! Namespaces without a default deny (KW-NET-102 ingress, KW-NET-103 egress) and workloads no
//! policy selects (KW-NET-104).

use super::common::{model, names, workload_at, workload_namespaces};
use super::{DOCS, NSA};
use crate::netpol::policy::{Dir, PolicyKind};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static NO_DEFAULT_DENY_IN: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-102",
        name: "namespace-without-default-deny-ingress",
        layer: Layer::PodToPod,
        severity: Severity::Medium,
        title: "Namespace has workloads but no default-deny ingress NetworkPolicy",
        why: "Pods that no ingress policy selects accept connections from every pod in the cluster and \
              from anything that can route to them. Without a namespace-wide default deny, every new \
              workload starts open, and an attacker in any compromised pod can reach it.",
        fix: "Add a policy with `podSelector: {}` and `policyTypes: [Ingress]` (and no ingress rules) to \
              the namespace, then allow the traffic each workload needs with narrower policies \
              (`kubeward netpol suggest` writes them).",
        references: &[
            ("cis", "5.3.2"),
            NSA,
            ("kubescape", "C-0260"),
            ("mitre", "T1210"),
            DOCS,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_default_deny_ingress),
};

pub static NO_DEFAULT_DENY_EG: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-103",
        name: "namespace-without-default-deny-egress",
        layer: Layer::PodToPod,
        severity: Severity::Low,
        title: "Namespace has workloads but no default-deny egress NetworkPolicy",
        why: "Pods that no egress policy selects can open connections anywhere: to every other pod, to \
              the cloud metadata API and to the internet. A compromised pod then moves laterally and \
              exfiltrates data freely.",
        fix: "Add a policy with `podSelector: {}` and `policyTypes: [Egress]` to the namespace, plus a \
              rule allowing DNS (UDP and TCP 53 to kube-dns), then allow each workload's destinations.",
        references: &[("cis", "5.3.2"), NSA, ("mitre", "T1041"), DOCS],
        default_enabled: true,
    },
    check: Check::Inventory(check_default_deny_egress),
};

pub static UNSELECTED: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-104",
        name: "workload-without-network-policy",
        layer: Layer::PodToPod,
        severity: Severity::Medium,
        title: "Workload is selected by no NetworkPolicy",
        why: "A pod that no NetworkPolicy selects is not isolated in either direction: every pod in the \
              cluster, and every address outside that can route to it, may connect to it, and it may \
              connect anywhere.",
        fix: "Select the workload with a policy (a namespace default deny selects every pod) and allow \
              only the connections it needs.",
        references: &[
            ("cis", "5.3.2"),
            ("kube-score", "pod-networkpolicy"),
            ("kubescape", "C-0260"),
            NSA,
            DOCS,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_unselected),
};

fn check_default_deny(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>, dir: Dir) {
    let Some(m) = model(ctx) else { return };
    for (ns, eps) in workload_namespaces(&m) {
        let has = m.policies.iter().any(|p| {
            p.kind == PolicyKind::Network
                && p.ns == Some(ns)
                && p.subject.all_pods()
                && match dir {
                    Dir::Ingress => p.isolates_ingress,
                    Dir::Egress => p.isolates_egress,
                }
        });
        if has {
            continue;
        }
        let namespace = &m.namespaces[ns as usize];
        let (obj, pointer) = match namespace.object {
            Some(o) => (o, "/metadata/name".to_string()),
            None => match workload_at(&m, eps[0]) {
                Some((o, _)) => (o, "/metadata/namespace".to_string()),
                None => continue,
            },
        };
        let open: Vec<u32> = eps
            .iter()
            .copied()
            .filter(|e| !m.isolated(dir, m.endpoints[*e as usize].class))
            .collect();
        let tail = if open.is_empty() {
            "; every current workload is selected by a narrower policy, but new ones start open"
                .to_string()
        } else {
            format!(
                "; not isolated for {}: {}{}",
                dir.field(),
                names(&m, &open),
                if dir == Dir::Egress {
                    " (they reach the cloud metadata API too)"
                } else {
                    ""
                }
            )
        };
        let f = out.report(
            ctx.inventory.object(obj),
            pointer,
            format!(
                "namespace {} has {} workload{} and no default-deny {} NetworkPolicy (`podSelector: {{}}` with `policyTypes: [{}]`){tail}",
                namespace.name,
                eps.len(),
                if eps.len() == 1 { "" } else { "s" },
                dir.field(),
                dir.title()
            ),
        );
        if open.is_empty() {
            f.severity(Severity::Low);
        }
    }
}

fn check_default_deny_ingress(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_default_deny(ctx, out, Dir::Ingress);
}

fn check_default_deny_egress(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_default_deny(ctx, out, Dir::Egress);
}

fn check_unselected(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    let mut selected = vec![false; m.classes.len()];
    for p in m.policies.iter().filter(|p| p.kind == PolicyKind::Network) {
        for c in &p.subject_classes {
            selected[*c as usize] = true;
        }
    }
    for (i, e) in m.workloads() {
        if selected[e.class as usize] {
            continue;
        }
        let Some((obj, pointer)) = workload_at(&m, i) else {
            continue;
        };
        out.report(
            ctx.inventory.object(obj),
            pointer,
            format!(
                "{} is selected by no NetworkPolicy: every pod in the cluster and every routable address may connect to it, and it may connect anywhere (the cloud metadata API included)",
                e.display
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{DENY, np};
    use super::*;
    use crate::netpol::tests::deploy;
    use kubeward_core::testing::run;

    #[test]
    fn default_deny_per_direction() {
        let w = deploy("a", "x", "app=x", "");
        let h = run(&NO_DEFAULT_DENY_IN, &w);
        assert_eq!(h.len(), 1);
        assert!(
            h[0].message.contains("namespace a has 1 workload"),
            "{}",
            h[0].message
        );
        assert_eq!(h[0].pointer, "/metadata/namespace");
        let only_in = w.clone() + &np("a", "d", "podSelector: {}\npolicyTypes: [Ingress]");
        assert!(run(&NO_DEFAULT_DENY_IN, &only_in).is_empty());
        assert_eq!(run(&NO_DEFAULT_DENY_EG, &only_in).len(), 1);
        assert!(run(&NO_DEFAULT_DENY_EG, &(w + &np("a", "d", DENY))).is_empty());
    }

    #[test]
    fn unselected_workloads() {
        let y = deploy("a", "x", "app=x", "")
            + &deploy("a", "z", "app=z", "")
            + &np("a", "p", "podSelector: {matchLabels: {app: x}}");
        let h = run(&UNSELECTED, &y);
        assert_eq!(h.len(), 1);
        assert!(h[0].message.starts_with("a/z[Deployment]"));
        assert_eq!(h[0].pointer, "/spec/template/metadata/labels");
    }
}
