//! Egress to cluster services that must stay closed or open: the cloud metadata API
//! (KW-NET-109) and DNS (KW-NET-110).

use super::common::{model, names};
use super::{DOCS, NSA};
use crate::netpol::eval::Side;
use crate::netpol::ip::IpRange;
use crate::netpol::policy::{Action, Dir, PeerKind};
use crate::netpol::ports::{ConnSet, Proto};
use kubeward_core::inventory::ObjectId;
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};
use std::collections::BTreeMap;

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
                    crate::netpol::eval::Step::Allowed { rule, conns }
                        if conns.contains(Proto::Tcp, 80) =>
                    {
                        *rule
                    }
                    crate::netpol::eval::Step::Admin {
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
                    .find(|peer| crate::netpol::policy::peer_matches_range(peer, ip))
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{DENY, DNS_OK, np};
    use super::*;
    use crate::netpol::tests::deploy;
    use kubeward_core::testing::{pointers, run};

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
}
