//! Findings of the NetworkPolicy analysis: KW-NET-101 and up (layer pod-to-pod, or network for
//! "open to the outside"). Each rule builds the model from the inventory and points at the
//! policy and rule in the source, or at the workload when no policy is involved.

use super::eval::Side;
use super::ip::{Atoms, IpRange, is_internal};
use super::model::{Model, Options};
use super::policy::{Action, Dir, NsScope, PeerKind, PolicyKind};
use super::ports::{ConnSet, Proto};
use kubeward_core::inventory::ObjectId;
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity, Status};
use std::collections::BTreeMap;

const DOCS: (&str, &str) = (
    "docs",
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
);
const NSA: (&str, &str) = (
    "nsa",
    "Kubernetes Hardening Guide: Network separation and hardening",
);

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

pub static METADATA: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-109",
        name: "egress-to-cloud-metadata",
        layer: Layer::PodToPod,
        severity: Severity::High,
        title: "Egress rule lets workloads reach the cloud metadata API (169.254.169.254)",
        why: "The instance metadata service hands out the node's cloud credentials. A pod that can reach \
     it turns any SSRF or code execution into a cloud account compromise. kubeward checks every \
     well-known metadata address: 169.254.169.254 (AWS, GCP, Azure, OpenStack), fd00:ec2::254 \
     (AWS over IPv6), 169.254.170.2 (ECS task credentials) and 100.100.100.200 (Alibaba \
     Cloud); an `ipBlock` whose CIDR contains one of them without excepting it lets pods \
     through.",
        fix: "Isolate the workload for egress and allow only its destinations; when a rule needs a wide \
     range such as 0.0.0.0/0 or 169.254.0.0/16, add the metadata addresses it contains to \
     `except` (`169.254.169.254/32`, `169.254.170.2/32`, `100.100.100.200/32`, and \
     `fd00:ec2::254/128` for `::/0`), or deny them for all pods with an AdminNetworkPolicy.",
        references: &[
            ("mitre", "T1552.005"),
            NSA,
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/security-checklist/#network-security",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_metadata),
};

pub static DNS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-110",
        name: "egress-deny-breaks-dns",
        layer: Layer::PodToPod,
        severity: Severity::Medium,
        title: "Egress default deny blocks DNS",
        why: "Once a pod is isolated for egress it needs a rule for UDP and TCP 53 to kube-dns. Without \
     UDP the pod cannot resolve names at all; without TCP, large answers (and DNSSEC) fail \
     intermittently. Teams then \"fix\" the outage by removing the egress policy.",
        fix: "Add an egress rule to `namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: \
     kube-system}}` + `podSelector: {matchLabels: {k8s-app: kube-dns}}` on UDP 53 and TCP 53.",
        references: &[
            (
                "docs",
                "https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/",
            ),
            DOCS,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_dns),
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

/// Every NetworkPolicy rule, in ID order.
pub static RULES: &[&Rule] = &[
    &INVALID,
    &NO_DEFAULT_DENY_IN,
    &NO_DEFAULT_DENY_EG,
    &UNSELECTED,
    &DANGLING,
    &EMPTY_PEER,
    &INEFFECTIVE,
    &ALLOW_ALL,
    &METADATA,
    &DNS,
    &EVERY_NS,
    &OUTSIDE,
    &CAVEAT,
];

fn relevant(ctx: &InventoryCtx<'_>) -> bool {
    let inv = ctx.inventory;
    [
        "NetworkPolicy",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "Pod",
    ]
    .iter()
    .chain(super::model::TEMPLATE_KINDS)
    .any(|k| inv.of_kind(k).next().is_some())
}

/// Models of one inventory, per value of `ipblock_matches_pods`.
#[derive(Default)]
struct Models {
    plain: std::sync::OnceLock<std::sync::Arc<Model>>,
    ipblock_pods: std::sync::OnceLock<std::sync::Arc<Model>>,
}

/// The model of the inventory, built once per scan and shared by every rule here (the
/// build uses no rayon, as [`kubeward_core::Inventory::memo`] requires).
pub(crate) fn model(ctx: &InventoryCtx<'_>) -> Option<std::sync::Arc<Model>> {
    if !relevant(ctx) {
        return None;
    }
    let opts = Options {
        ipblock_matches_pods: ctx.settings.ipblock_matches_pods,
        ingress_controller: ctx.settings.ingress_controller.as_ref().map(|c| {
            super::ingress::Location {
                namespace: c.namespace.clone(),
                labels: c.labels.clone(),
            }
        }),
    };
    let models = ctx.inventory.memo(Models::default);
    let cell = if opts.ipblock_matches_pods {
        &models.ipblock_pods
    } else {
        &models.plain
    };
    Some(
        cell.get_or_init(|| std::sync::Arc::new(Model::build(ctx.inventory, opts)))
            .clone(),
    )
}

/// Where a finding about a workload points: its pod labels.
fn workload_at(m: &Model, e: u32) -> Option<(ObjectId, String)> {
    let ep = &m.endpoints[e as usize];
    let obj = *ep.objects.first()?;
    let p = if ep.labels_ptr.is_empty() {
        "/metadata".to_string()
    } else {
        ep.labels_ptr.clone()
    };
    Some((obj, p))
}

pub(crate) fn names(m: &Model, members: &[u32]) -> String {
    let mut v: Vec<&str> = members
        .iter()
        .map(|e| m.endpoints[*e as usize].display.as_str())
        .collect();
    v.sort_unstable();
    crate::some_of(&v, 5)
}

pub(crate) fn real_members(m: &Model, classes: &[u32]) -> Vec<u32> {
    let mut v: Vec<u32> = classes
        .iter()
        .flat_map(|c| m.classes[*c as usize].members.iter().copied())
        .filter(|e| !m.endpoints[*e as usize].synthetic)
        .collect();
    v.sort_unstable();
    v
}

/// The Ingresses and Routes that send the ingress controller's traffic to `class`
/// (`Ingress shop/web, Route shop/api`), if any.
fn routed_by(m: &Model, inv: &kubeward_core::Inventory, class: u32) -> Option<String> {
    let i = m
        .ingress_routed
        .binary_search_by_key(&class, |r| r.class)
        .ok()?;
    let by: Vec<String> = m.ingress_routed[i]
        .by
        .iter()
        .map(|id| {
            let o = inv.object(*id);
            format!("{} {}", o.kind, super::model::qualified(o))
        })
        .collect();
    Some(by.join(", "))
}

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
                        super::policy::Members::All => (0..m.classes.len() as u32).collect(),
                        super::policy::Members::None => Vec::new(),
                        super::policy::Members::Some(v) => v.clone(),
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
                    if let super::policy::PortSpec::Named(n) = e.spec {
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

/// Namespaces with real workloads → their endpoints.
fn workload_namespaces(m: &Model) -> BTreeMap<u32, Vec<u32>> {
    let mut map: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (i, e) in m.workloads() {
        map.entry(e.ns).or_default().push(i);
    }
    map
}

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
                if e.key == key && e.op == super::labels::Op::In {
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

/// Cloud metadata services: AWS, GCP, Azure, OpenStack and others (IPv4 and AWS's IPv6
/// address), the ECS task metadata endpoint, Alibaba Cloud. All answer on HTTP.
pub(crate) const METADATA_ADDRESSES: &[&str] = &[
    "169.254.169.254",
    "fd00:ec2::254",
    "169.254.170.2",
    "100.100.100.200",
];

fn check_metadata(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    let ips: Vec<(&'static str, IpRange)> = METADATA_ADDRESSES
        .iter()
        .map(|a| (*a, IpRange::single(a.parse().expect("static"))))
        .collect();
    // (policy object, peer pointer, rule label) → (workloads it lets through, addresses).
    // Workloads that no egress policy selects reach them too; KW-NET-103/104 report those
    // (their messages say so).
    type Hits = (Vec<u32>, Vec<&'static str>);
    let mut by_rule: BTreeMap<(ObjectId, String, String), Hits> = BTreeMap::new();
    for (c, cl) in m.classes.iter().enumerate() {
        if cl.synthetic {
            continue;
        }
        let c = c as u32;
        for (addr, ip) in &ips {
            // The untraced verdict is cheap; trace only the addresses that get through.
            if !m
                .direction(Dir::Egress, c, Side::External(ip), None)
                .contains(Proto::Tcp, 80)
            {
                continue;
            }
            let mut trace = Vec::new();
            let allowed = m.direction(Dir::Egress, c, Side::External(ip), Some(&mut trace));
            if !allowed.contains(Proto::Tcp, 80) {
                continue;
            }
            for step in &trace {
                let r = match step {
                    super::eval::Step::Allowed { rule, conns }
                        if conns.contains(Proto::Tcp, 80) =>
                    {
                        *rule
                    }
                    super::eval::Step::Admin {
                        rule,
                        action: Action::Allow,
                        conns,
                    } if conns.contains(Proto::Tcp, 80) => *rule,
                    _ => continue,
                };
                let rule = &m.rules[r as usize];
                let p = &m.policies[rule.policy as usize];
                // The peer whose range holds the address (a CIDR that contains it and does not
                // except it), or the rule when it has no peers.
                let pointer = rule
                    .peers
                    .iter()
                    .flatten()
                    .find(|peer| super::policy::peer_matches_range(peer, ip))
                    .map(|peer| peer.pointer.clone())
                    .unwrap_or_else(|| rule.pointer.clone());
                let slot = by_rule
                    .entry((
                        p.object,
                        pointer,
                        format!("{} {} {}", p.kind.as_str(), p.display(&m), rule.label()),
                    ))
                    .or_default();
                slot.0.extend(cl.members.iter().copied());
                if !slot.1.contains(addr) {
                    slot.1.push(addr);
                }
            }
        }
    }
    for ((obj, pointer, label), (mut eps, addrs)) in by_rule {
        eps.sort_unstable();
        eps.dedup();
        let excepts: Vec<String> = addrs
            .iter()
            .map(|a| {
                if a.contains(':') {
                    format!("{a}/128")
                } else {
                    format!("{a}/32")
                }
            })
            .collect();
        out.report(
            ctx.inventory.object(obj),
            pointer,
            format!(
                "{label} lets {} reach the cloud metadata API {} on TCP 80 (add {} to `except`)",
                names(&m, &eps),
                addrs.join(", "),
                excepts.join(", ")
            ),
        );
    }
}

fn check_dns(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let Some(m) = model(ctx) else { return };
    let dns: Vec<u32> = {
        let mut v: Vec<u32> = m
            .dns_endpoints()
            .iter()
            .map(|e| m.endpoints[*e as usize].class)
            .collect();
        v.dedup();
        v
    };
    // (isolating policy) → (missing protocols, workloads)
    let mut found: BTreeMap<(u32, String, bool), Vec<u32>> = BTreeMap::new();
    for (c, cl) in m.classes.iter().enumerate() {
        let c = c as u32;
        if cl.synthetic || !(m.isolated(Dir::Egress, c) || m.has_admin(Dir::Egress, c)) {
            continue;
        }
        let mut reach = ConnSet::none();
        for d in &dns {
            reach.union_with(&m.allowed(Side::Class(c), Side::Class(*d)));
        }
        let missing: Vec<&str> = [Proto::Udp, Proto::Tcp]
            .into_iter()
            .filter(|p| !reach.contains(*p, 53))
            .map(Proto::as_str)
            .collect();
        if missing.is_empty() {
            continue;
        }
        let cr = &m.per_class[c as usize];
        let Some(pol) = cr
            .np_eg
            .iter()
            .min_by_key(|p| &m.policies[**p as usize].name)
            .copied()
            .or_else(|| {
                cr.admin_eg
                    .first()
                    .or(cr.base_eg.first())
                    .map(|r| m.rules[*r as usize].policy)
            })
        else {
            continue;
        };
        let wide_block = !m.options.ipblock_matches_pods
            && cr.np_eg_rules.iter().any(|r| {
                m.rules[*r as usize].peers.iter().flatten().any(
                    |p| matches!(&p.kind, PeerKind::Block { set, .. } if set.is_whole_family()),
                )
            });
        found
            .entry((pol, missing.join(" and "), wide_block))
            .or_default()
            .extend(cl.members.iter().copied());
    }
    for ((pol, missing, wide_block), eps) in found {
        let p = &m.policies[pol as usize];
        let obj = ctx.inventory.object(p.object);
        let pointer = if obj.root.locate("/spec/policyTypes").complete {
            "/spec/policyTypes"
        } else {
            "/spec"
        };
        out.report(
            obj,
            pointer,
            format!(
                "{} {} isolates {} for egress and no rule allows DNS over {missing} port 53 to kube-dns{}",
                p.kind.as_str(),
                p.display(&m),
                names(&m, &eps),
                if wide_block {
                    " (a /0 ipBlock is taken not to match pod addresses; set `ipblock_matches_pods` if your network plugin matches them)"
                } else {
                    ""
                }
            ),
        );
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
                    .any(|a| super::policy::peer_matches_range(peer, a))
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
    use super::*;
    use crate::netpol::tests::deploy;
    use kubeward_core::testing::{pointers, run};

    fn np(ns: &str, name: &str, spec: &str) -> String {
        format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{}\n",
            spec.lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    }

    const DENY: &str = "podSelector: {}\npolicyTypes: [Ingress, Egress]";
    const DNS_OK: &str = "podSelector: {}\npolicyTypes: [Egress]\negress:\n- to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n  ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]";

    fn hardened() -> String {
        std::fs::read_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/hardened-app"
        ))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| std::fs::read_to_string(p).unwrap() + "\n")
        .collect::<Vec<_>>()
        .concat()
    }

    #[test]
    fn hardened_example_is_clean() {
        let y = hardened();
        for r in RULES {
            let hits = run(r, &y);
            assert!(hits.is_empty(), "{}: {hits:#?}", r.meta.id);
        }
    }

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
    fn metadata_api() {
        let w = deploy("a", "x", "app=x", "");
        // Not isolated for egress: KW-NET-103/104 report it, not this rule.
        assert!(run(&METADATA, &w).is_empty());
        let wide = w.clone()
            + &np(
                "a",
                "p",
                "podSelector: {}\npolicyTypes: [Egress]\negress:\n- to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]",
            );
        assert_eq!(
            pointers(&run(&METADATA, &wide)),
            vec!["/spec/egress/0/to/0"]
        );
        let blocked = w
            + &np(
                "a",
                "p",
                "podSelector: {}\npolicyTypes: [Egress]\negress:\n- to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.0.0/16, 100.100.100.200/32]}}]",
            );
        assert!(run(&METADATA, &blocked).is_empty());
    }

    #[test]
    fn metadata_api_addresses_inside_wider_blocks() {
        let w = deploy("a", "x", "app=x", "");
        let egress = |to: &str, ports: &str| {
            w.clone()
                + &np(
                    "a",
                    "p",
                    &format!(
                        "podSelector: {{}}\npolicyTypes: [Egress]\negress:\n- to: [{to}]{ports}"
                    ),
                )
        };
        // (peer, ports, fires, addresses named in the message)
        let table: &[(&str, &str, bool, &[&str])] = &[
            (
                "{ipBlock: {cidr: 169.254.169.254/32}}",
                "",
                true,
                &["169.254.169.254"],
            ),
            (
                "{ipBlock: {cidr: 169.254.0.0/16}}",
                "",
                true,
                &["169.254.169.254", "169.254.170.2"],
            ),
            (
                "{ipBlock: {cidr: 169.254.0.0/16, except: [169.254.169.254/32]}}",
                "",
                true,
                &["169.254.170.2"],
            ),
            (
                "{ipBlock: {cidr: 169.254.0.0/16, except: [169.254.169.254/32, 169.254.170.2/32]}}",
                "",
                false,
                &[],
            ),
            (
                "{ipBlock: {cidr: 100.64.0.0/10}}",
                "",
                true,
                &["100.100.100.200"],
            ),
            (
                "{ipBlock: {cidr: 100.100.100.200/32}}",
                "\n  ports: [{port: 443}]",
                false,
                &[],
            ),
            (
                "{ipBlock: {cidr: 100.100.100.200/32}}",
                "\n  ports: [{port: 80}]",
                true,
                &["100.100.100.200"],
            ),
            ("{ipBlock: {cidr: '::/0'}}", "", true, &["fd00:ec2::254"]),
            (
                "{ipBlock: {cidr: 'fd00::/8', except: ['fd00:ec2::/32']}}",
                "",
                false,
                &[],
            ),
            ("{ipBlock: {cidr: 10.0.0.0/8}}", "", false, &[]),
            (
                "{ipBlock: {cidr: 169.254.169.0/24}}",
                "",
                true,
                &["169.254.169.254"],
            ),
            ("{ipBlock: {cidr: 169.254.171.0/24}}", "", false, &[]),
        ];
        for (to, ports, fires, addrs) in table {
            let h = run(&METADATA, &egress(to, ports));
            assert_eq!(!h.is_empty(), *fires, "{to}{ports}: {h:?}");
            if *fires {
                assert_eq!(pointers(&h), vec!["/spec/egress/0/to/0"], "{to}");
                let named: Vec<&str> = super::METADATA_ADDRESSES
                    .iter()
                    .copied()
                    .filter(|a| h[0].message.contains(&format!(" {a}")))
                    .collect();
                let mut want = addrs.to_vec();
                want.sort_unstable();
                let mut got = named.clone();
                got.sort_unstable();
                assert_eq!(got, want, "{to}: {}", h[0].message);
            }
        }
    }

    #[test]
    fn dns_blocked() {
        let w = deploy("a", "x", "app=x", "");
        let h = run(&DNS, &(w.clone() + &np("a", "deny", DENY)));
        assert_eq!(pointers(&h), vec!["/spec/policyTypes"]);
        assert!(
            h[0].message.contains("UDP and TCP port 53"),
            "{}",
            h[0].message
        );
        let udp_only = np(
            "a",
            "dns",
            &DNS_OK.replace(", {port: 53, protocol: TCP}", ""),
        );
        let h = run(&DNS, &(w.clone() + &np("a", "deny", DENY) + &udp_only));
        assert!(h[0].message.contains("over TCP port 53"));
        assert!(
            run(
                &DNS,
                &(w + &np("a", "deny", DENY) + &np("a", "dns", DNS_OK))
            )
            .is_empty()
        );
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
