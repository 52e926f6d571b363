//! KW-NODE-003: nodes with public addresses.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets, ptr};
use std::net::IpAddr;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-003",
        name: "node-public-address",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "Node has a public IP address",
        why: "A node with a public address exposes the kubelet (10250), NodePort services \
              (30000-32767), SSH and anything bound to the host network to the internet unless \
              every firewall rule is right. Private nodes behind a load balancer or NAT remove \
              that whole class of exposure.",
        fix: "Run nodes in private subnets (EKS/GKE/AKS private nodes) and expose workloads \
              through load balancers or ingress; if public addresses are unavoidable, restrict \
              inbound traffic to the ports and sources you need.",
        references: &[
            ("cis", "5.4.3"),
            ("kubescape", "C-0229"),
            ("mitre", "T1133"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Node"]),
        run: check,
    },
};

/// Whether an address is routable on the internet (not private, loopback, link-local, CGNAT,
/// unique-local or documentation space).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0xdb8))
        }
    }
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    for (i, a) in o
        .root
        .path(&["status", "addresses"])
        .map(|n| n.items())
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let (Some(t), Some(addr)) = (a.str_at("type"), a.str_at("address")) else {
            continue;
        };
        if t != "ExternalIP" && t != "InternalIP" {
            continue;
        }
        let Ok(ip) = addr.parse::<IpAddr>() else {
            continue;
        };
        if is_public(ip) {
            out.report(
                o,
                ptr!("/status/addresses", i, "address"),
                format!("node {} has the public {t} {addr}", o.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn addresses() {
        let y = "apiVersion: v1\nkind: Node\nmetadata: {name: node1}\nstatus:\n  addresses:\n  - {type: InternalIP, address: 10.0.1.5}\n  - {type: ExternalIP, address: 34.77.1.2}\n  - {type: ExternalIP, address: 100.64.0.9}\n  - {type: Hostname, address: n}\n";
        assert_eq!(
            pointers(&run(&RULE, y)),
            vec!["/status/addresses/1/address"]
        );
        let y = "apiVersion: v1\nkind: Node\nmetadata: {name: node1}\nstatus: {addresses: [{type: InternalIP, address: 'fd00::5'}]}\n";
        assert!(run(&RULE, y).is_empty());
    }
}
