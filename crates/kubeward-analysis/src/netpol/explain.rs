//! `kubeward netpol explain SRC DST`: allowed or denied, and which policy and rule (or the
//! default) decided each direction.

use super::error::QueryError;
use super::eval::{Side, Step};
use super::ip::IpRange;
use super::model::{Model, location};
use super::policy::{Action, Dir, PolicyKind};
use super::ports::{ConnSet, Proto};
use kubeward_core::Inventory;
use std::fmt::Write;
use std::net::IpAddr;

/// One end of the connection to explain.
#[derive(Clone, Copy, Debug)]
pub enum End {
    Workload(u32),
    Address(IpAddr),
    /// The cluster's ingress controller (`{ingress-controller}`), only as a source.
    IngressController,
}

/// Parses `ns/name[Kind]`, `ns/name`, `1.2.3.4`, `1.2.3.4[External]` or
/// `{ingress-controller}`.
pub fn parse_end(m: &Model, text: &str) -> Result<End, QueryError> {
    if text == super::ingress::NAME || text == "ingress-controller" {
        return Ok(End::IngressController);
    }
    let bare = text.strip_suffix("[External]").unwrap_or(text);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(End::Address(ip));
    }
    if let Some((a, _)) = bare.split_once('-') {
        if let Ok(ip) = a.parse::<IpAddr>() {
            return Ok(End::Address(ip));
        }
    }
    m.find_endpoint(text).map(End::Workload)
}

/// Parses `8080`, `8080/TCP`, `53/udp`.
pub fn parse_port(s: &str) -> Result<(Proto, u16), QueryError> {
    let (num, proto) = match s.split_once('/') {
        Some((n, p)) => (
            n,
            Proto::parse_loose(p).ok_or_else(|| QueryError::PortProtocol(s.to_string()))?,
        ),
        None => (s, Proto::Tcp),
    };
    match num.parse::<u16>() {
        Ok(n) if n > 0 => Ok((proto, n)),
        _ => Err(QueryError::Port(s.to_string())),
    }
}

fn end_name(m: &Model, e: End) -> String {
    match e {
        End::Workload(w) => m.endpoints[w as usize].display.clone(),
        End::Address(ip) => format!("{ip}[External]"),
        End::IngressController => super::ingress::NAME.to_string(),
    }
}

/// The explanation as text.
pub fn explain(
    m: &Model,
    inv: &Inventory,
    src: End,
    dst: End,
    port: Option<(Proto, u16)>,
) -> Result<String, String> {
    explain_verdict(m, inv, src, dst, port).map(|(text, _)| text)
}

/// [`explain`], and whether any connection is allowed (the `--port`, or any port): the CLI's
/// exit code follows it, as `rbac can`'s does.
pub fn explain_verdict(
    m: &Model,
    inv: &Inventory,
    src: End,
    dst: End,
    port: Option<(Proto, u16)>,
) -> Result<(String, bool), String> {
    let (sr, dr) = (range_of(src), range_of(dst));
    fn side<'a>(m: &Model, e: End, r: &'a Option<IpRange>) -> Side<'a> {
        match e {
            End::Workload(w) => Side::Class(m.endpoints[w as usize].class),
            End::Address(_) => Side::External(r.as_ref().expect("address")),
            End::IngressController => Side::IngressController,
        }
    }
    let (s, d) = (side(m, src, &sr), side(m, dst, &dr));
    if !matches!((s, d), (Side::Class(_), _) | (_, Side::Class(_))) {
        return Err("one end must be a workload".into());
    }
    if matches!(dst, End::IngressController) {
        return Err(format!(
            "{} is only a source: its own egress policies are not analysed",
            super::ingress::NAME
        ));
    }
    let limit = port.map(|(p, n)| ConnSet::ports(p, n, n));
    let cut = |c: &ConnSet| match &limit {
        Some(l) => c.intersect(l),
        None => c.clone(),
    };
    let mut eg_steps = Vec::new();
    let mut in_steps = Vec::new();
    let eg = match s {
        Side::Class(c) => m.direction(Dir::Egress, c, d, Some(&mut eg_steps)),
        Side::External(_) | Side::IngressController => ConnSet::all(),
    };
    let ing = match d {
        Side::Class(c) => m.direction(Dir::Ingress, c, s, Some(&mut in_steps)),
        Side::External(_) | Side::IngressController => ConnSet::all(),
    };
    let allowed = cut(&eg.intersect(&ing));
    let space = limit.clone().unwrap_or_else(ConnSet::all);
    let denied = space.subtract(&allowed);

    let mut o = String::new();
    let _ = writeln!(o, "{} => {}", end_name(m, src), end_name(m, dst));
    match port {
        Some((p, n)) => {
            let _ = writeln!(
                o,
                "{} {n}: {}",
                p.as_str(),
                if allowed.is_empty() {
                    "DENIED"
                } else {
                    "ALLOWED"
                }
            );
        }
        None => {
            let _ = writeln!(o, "allowed: {allowed}");
            let _ = writeln!(o, "denied:  {denied}");
        }
    }
    if let (End::IngressController, End::Workload(b)) = (src, dst) {
        let class = m.endpoints[b as usize].class;
        match m.ingress_routed.iter().find(|r| r.class == class) {
            Some(r) => {
                let by: Vec<String> =
                    r.by.iter()
                        .map(|id| {
                            let o = inv.object(*id);
                            format!("{} {}", o.kind, super::model::qualified(o))
                        })
                        .collect();
                let _ = writeln!(o, "note: routed on {} by {}", r.conns, by.join(", "));
            }
            None => {
                let _ = writeln!(
                    o,
                    "note: no Ingress or Route in the input sends the ingress controller here"
                );
            }
        }
        if m.ingress_controller.is_none() {
            let _ = writeln!(
                o,
                "note: the controller's location is unknown: only peers admitting every namespace or every source admit it (settings.ingress_controller names it)"
            );
        }
    }
    if let (End::Workload(a), End::Workload(b)) = (src, dst) {
        if a == b {
            let _ = writeln!(
                o,
                "note: a workload to itself: this is traffic between its pods (a pod's traffic to its own address is never filtered)"
            );
        }
        for w in [a, b] {
            let e = &m.endpoints[w as usize];
            if e.host_network {
                let _ = writeln!(
                    o,
                    "note: {} uses the host network; how policies apply to it depends on the network plugin (AdminNetworkPolicy ignores such pods)",
                    e.display
                );
            }
        }
    }
    for (dir, steps, end) in [
        (Dir::Egress, &eg_steps, src),
        (Dir::Ingress, &in_steps, dst),
    ] {
        let _ = writeln!(
            o,
            "\n{} {} {}:",
            dir.title(),
            if dir == Dir::Egress { "from" } else { "to" },
            end_name(m, end)
        );
        if let End::Address(_) = end {
            let _ = writeln!(
                o,
                "  not restricted: policies in the cluster do not govern an address outside it"
            );
            continue;
        }
        if let End::IngressController = end {
            let _ = writeln!(
                o,
                "  not analysed: the ingress controller's own egress policies are not modelled"
            );
            continue;
        }
        let mut any = false;
        for st in steps.iter() {
            if let Some(line) = step_line(m, inv, dir, st, &cut) {
                let _ = writeln!(o, "  {line}");
                any = true;
            }
        }
        if !any {
            let _ = writeln!(o, "  nothing applies to this connection");
        }
    }
    Ok((o, !allowed.is_empty()))
}

fn range_of(e: End) -> Option<IpRange> {
    match e {
        End::Address(ip) => Some(IpRange::single(ip)),
        End::Workload(_) | End::IngressController => None,
    }
}

fn step_line(
    m: &Model,
    inv: &Inventory,
    dir: Dir,
    st: &Step,
    cut: &dyn Fn(&ConnSet) -> ConnSet,
) -> Option<String> {
    let rule_ref = |r: u32| {
        let rule = &m.rules[r as usize];
        let p = &m.policies[rule.policy as usize];
        let prio = if p.kind == PolicyKind::Admin {
            format!(" (priority {})", p.priority)
        } else {
            String::new()
        };
        format!(
            "{} {}{prio} {} ({})",
            p.kind.as_str(),
            p.display(m),
            rule.label(),
            location(inv, p.object, &rule.pointer)
        )
    };
    Some(match st {
        Step::Admin {
            rule,
            action,
            conns,
        } => {
            let c = cut(conns);
            if c.is_empty() {
                return None;
            }
            let verb = match action {
                Action::Allow => "allowed",
                Action::Deny => "denied",
                Action::Pass => "passed on to NetworkPolicy",
            };
            format!("{verb} {c}: {} -> {}", rule_ref(*rule), action.as_str())
        }
        Step::Allowed { rule, conns } => {
            let c = cut(conns);
            if c.is_empty() {
                return None;
            }
            format!("allowed {c}: {}", rule_ref(*rule))
        }
        Step::Isolated { policies, conns } => {
            let c = cut(conns);
            if c.is_empty() {
                return None;
            }
            let names: Vec<String> = policies
                .iter()
                .map(|p| {
                    let p = &m.policies[*p as usize];
                    format!(
                        "{} ({})",
                        p.display(m),
                        location(inv, p.object, "/spec/podSelector")
                    )
                })
                .collect();
            format!(
                "denied {c}: isolated for {} by NetworkPolicy {}; no {} rule allows it",
                dir.field(),
                names.join(", "),
                dir.field()
            )
        }
        Step::Default { conns } => {
            let c = cut(conns);
            if c.is_empty() {
                return None;
            }
            format!(
                "allowed {c}: no NetworkPolicy selects it for {} (allowed by default)",
                dir.field()
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netpol::tests::deploy;
    use kubeward_core::testing::load;

    #[test]
    fn explains_each_direction_with_locations() {
        let y = deploy("a", "web", "app=web", "")
            + &deploy("a", "api", "app=api", "http:8080")
            + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: a}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n"
            + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api, namespace: a}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: http}]\n";
        let l = load(&y);
        let m = Model::build(&l.inventory, Default::default());
        let s = parse_end(&m, "a/web").unwrap();
        let d = parse_end(&m, "a/api[Deployment]").unwrap();
        let t = explain(&m, &l.inventory, s, d, None).unwrap();
        assert!(t.contains("allowed: TCP 8080\n"), "{t}");
        assert!(
            t.contains("allowed TCP 8080: NetworkPolicy a/api ingress rule #1 (test.yaml:"),
            "{t}"
        );
        assert!(
            t.contains("isolated for ingress by NetworkPolicy a/deny (test.yaml:"),
            "{t}"
        );
        assert!(t.contains("Egress from a/web[Deployment]:\n  allowed All Connections: no NetworkPolicy selects it for egress"), "{t}");
        let t = explain(&m, &l.inventory, s, d, Some((Proto::Udp, 8080))).unwrap();
        assert!(t.contains("UDP 8080: DENIED"), "{t}");
        assert!(!t.contains("allowed TCP"), "{t}");
        let ext = parse_end(&m, "8.8.8.8").unwrap();
        let t = explain(&m, &l.inventory, ext, d, Some((Proto::Tcp, 8080))).unwrap();
        assert!(t.contains("TCP 8080: DENIED"), "{t}");
        assert!(parse_end(&m, "a/nope").is_err());
        assert_eq!(parse_port("53/udp").unwrap(), (Proto::Udp, 53));
        assert!(parse_port("0").is_err());
    }
}
