//! `kubeward netpol suggest`: least-privilege NetworkPolicies for the workloads of the input:
//! default deny in both directions per namespace, DNS egress, and allow rules for exactly the
//! wanted connections (from a flows file in the `connections --format json` shape, or, without
//! one, from Services: same-namespace clients on the service ports).
//!
//! The output is checked before it is returned: kubeward analyses the input's workloads with
//! the suggested policies (in place of the input's NetworkPolicies) and reports any connection
//! that differs from the wanted ones.

use super::connections::Connection;
use super::error::QueryError;
use super::ip::{Atoms, IpRange};
use super::labels::{Expr, Labels, Op, Selector, Sym};
use super::model::{Model, NS_NAME_LABEL};
use super::ports::{ConnSet, Proto};
use kubeward_core::{Inventory, Node};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::net::IpAddr;

/// One end of a wanted connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FlowEnd {
    Workload(u32),
    External(IpRange),
}

/// Wanted connections.
pub type Flows = BTreeMap<(FlowEnd, FlowEnd), ConnSet>;

/// Parses the `connections --format json` shape: `[{"src","dst","conn"}]`.
pub fn flows_from_json(m: &Model, text: &str) -> Result<Flows, QueryError> {
    let list: Vec<Connection> = serde_json::from_str(text).map_err(QueryError::FlowsJson)?;
    let mut out = Flows::new();
    for (i, c) in list.iter().enumerate() {
        let at = |field: &'static str, e: QueryError| QueryError::Flow {
            number: i + 1,
            field,
            source: Box::new(e),
        };
        // The ingress controller's traffic follows from Ingresses and Routes and its location
        // is not known here: `connections` output fed back as flows leaves it out.
        if c.src == super::ingress::NAME {
            continue;
        }
        let s = parse_end(m, &c.src).map_err(|e| at("src", e))?;
        let d = parse_end(m, &c.dst).map_err(|e| at("dst", e))?;
        if matches!((s, d), (FlowEnd::External(_), FlowEnd::External(_))) {
            return Err(at("src", QueryError::NoWorkloadEnd));
        }
        let conn = ConnSet::parse(&c.conn).map_err(|e| at("conn", e))?;
        if s == d || conn.is_empty() {
            continue;
        }
        out.entry((s, d)).or_default().union_with(&conn);
    }
    Ok(out)
}

fn parse_end(m: &Model, t: &str) -> Result<FlowEnd, QueryError> {
    if let Some(r) = t.strip_suffix("[External]") {
        return parse_range(r).map(FlowEnd::External);
    }
    m.find_endpoint(t).map(FlowEnd::Workload)
}

/// `a-b` (netpol-analyzer) or `cidr`.
fn parse_range(r: &str) -> Result<IpRange, QueryError> {
    if r.contains('/') {
        return super::ip::Cidr::parse(r).map(|(c, _)| c.range());
    }
    let (a, b) = r
        .split_once('-')
        .ok_or_else(|| QueryError::RangeShape(r.to_string()))?;
    let (a, b): (IpAddr, IpAddr) = (
        a.parse()
            .map_err(|_| QueryError::NotAnAddress(a.to_string()))?,
        b.parse()
            .map_err(|_| QueryError::NotAnAddress(b.to_string()))?,
    );
    let (ra, rb) = (IpRange::single(a), IpRange::single(b));
    if ra.family != rb.family || ra.start > rb.start {
        return Err(QueryError::BadRange(r.to_string()));
    }
    Ok(IpRange {
        family: ra.family,
        start: ra.start,
        end: rb.end,
    })
}

/// Derived flows past this many pairs are refused: list them with `--flows` instead (every
/// workload of a namespace to every Service of it grows with the square of the namespace).
pub const MAX_DERIVED_FLOWS: usize = 100_000;

/// Keeps of `flows` only what the input's policies allow today, so that derived flows never
/// open a connection that is closed now; says how many were narrowed.
pub fn within_current(m: &Model, flows: &mut Flows, notes: &mut Vec<String>) {
    use super::eval::Side;
    let mut narrowed = 0usize;
    flows.retain(|(s, d), conn| {
        let (FlowEnd::Workload(s), FlowEnd::Workload(d)) = (s, d) else {
            return true;
        };
        let now = m.allowed(
            Side::Class(m.endpoints[*s as usize].class),
            Side::Class(m.endpoints[*d as usize].class),
        );
        let kept = conn.intersect(&now);
        if kept != *conn {
            narrowed += 1;
        }
        *conn = kept;
        !conn.is_empty()
    });
    if narrowed > 0 {
        notes.push(format!(
            "{narrowed} Service-derived connection{} left out or narrowed: the input's policies close {} today, and a suggestion never opens a closed connection",
            if narrowed == 1 { " was" } else { "s were" },
            if narrowed == 1 { "it" } else { "them" }
        ));
    }
}

/// Wanted connections from Services: every other workload of the namespace may reach the
/// Service's pods on the target ports.
pub fn flows_from_services(m: &Model, inv: &Inventory, notes: &mut Vec<String>) -> Flows {
    let mut out = Flows::new();
    for svc in inv.of_kind("Service") {
        if svc.group() != "" || !super::model::is_last(inv, svc) {
            continue;
        }
        let Some(sel) = svc
            .root
            .path(&["spec", "selector"])
            .filter(|s| s.as_map().is_some_and(|m| !m.is_empty()))
        else {
            continue;
        };
        let ns = svc.namespace().unwrap_or("default");
        let Some(&nsi) = m.ns_index.get(ns) else {
            continue;
        };
        let wanted: Vec<(Sym, Sym)> = sel
            .entries()
            .filter_map(|(k, v)| Some((m.syms.get(k)?, m.syms.get(v.as_str()?)?)))
            .collect();
        if wanted.len() != sel.entries().count() {
            notes.push(format!(
                "Service {ns}/{} selects no workload of the input",
                svc.name
            ));
            continue;
        }
        let targets: Vec<u32> = m
            .workloads()
            .filter(|(_, e)| {
                e.ns == nsi && wanted.iter().all(|(k, v)| e.labels.get(*k) == Some(*v))
            })
            .map(|(i, _)| i)
            .collect();
        for &t in &targets {
            let class = m.class(m.endpoints[t as usize].class);
            let mut conn = ConnSet::none();
            for p in svc
                .root
                .path(&["spec", "ports"])
                .map(Node::items)
                .unwrap_or(&[])
            {
                let proto = p
                    .str_at("protocol")
                    .and_then(Proto::parse)
                    .unwrap_or(Proto::Tcp);
                let port = match p.get("targetPort").or(p.get("port")) {
                    Some(n) => match (n.as_i64(), n.as_str()) {
                        (Some(v), _) => u16::try_from(v).ok(),
                        (None, Some(name)) => {
                            match n.as_str().and_then(|s| s.parse::<u16>().ok()) {
                                Some(v) => Some(v),
                                None => m.syms.get(name).and_then(|s| class.named_port(s, proto)),
                            }
                        }
                        _ => None,
                    },
                    None => None,
                };
                match port {
                    Some(v) if v > 0 => conn.union_with(&ConnSet::ports(proto, v, v)),
                    _ => notes.push(format!(
                        "Service {ns}/{}: a port of it does not resolve on {} (skipped)",
                        svc.name, m.endpoints[t as usize].display
                    )),
                }
            }
            if conn.is_empty() {
                continue;
            }
            for (c, e) in m.workloads() {
                if e.ns == nsi && c != t {
                    out.entry((FlowEnd::Workload(c), FlowEnd::Workload(t)))
                        .or_default()
                        .union_with(&conn);
                }
            }
        }
    }
    out
}

/// The suggested policies and what the check found.
#[derive(Debug, Default)]
pub struct Suggestion {
    pub yaml: String,
    /// Things the user should know (merged workloads, unresolved ports, check differences).
    pub notes: Vec<String>,
    /// The connections kubeward's analysis gives for the input with the suggestion, when they
    /// differ from the wanted ones: (missing, extra).
    pub mismatch: Option<(Vec<String>, Vec<String>)>,
    /// The wanted connections, DNS included, as connection lines.
    pub wanted: Vec<Connection>,
}

/// Writes the policies. `dns`: allow every workload UDP and TCP 53 to kube-dns.
pub fn suggest(m: &Model, flows: &Flows, dns: bool) -> Suggestion {
    let mut sg = Suggestion::default();
    let mut flows = flows.clone();
    let dns_real: Vec<u32> = m
        .dns_endpoints()
        .into_iter()
        .filter(|e| !m.endpoints[*e as usize].synthetic)
        .collect();
    let dns_conn = ConnSet::ports(Proto::Udp, 53, 53).union(&ConnSet::ports(Proto::Tcp, 53, 53));
    // Namespaces that get policies: those with workloads.
    let mut namespaces: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (i, e) in m.workloads() {
        namespaces.entry(e.ns).or_default().push(i);
    }
    // Workloads one selector cannot tell apart share their flows.
    let mut by_class: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (i, e) in m.workloads() {
        by_class.entry(e.class).or_default().push(i);
    }
    for members in by_class.values().filter(|v| v.len() > 1) {
        let names: Vec<&str> = members
            .iter()
            .map(|e| m.endpoints[*e as usize].display.as_str())
            .collect();
        sg.notes.push(format!(
            "{} have the same namespace, labels and ports: no policy can tell them apart, so they share their allowed connections",
            names.join(", ")
        ));
    }
    // Rules: per selected class, ingress and egress peers grouped by connection set.
    let mut ingress: BTreeMap<u32, BTreeMap<ConnSet, BTreeSet<FlowEnd>>> = BTreeMap::new();
    let mut egress: BTreeMap<u32, BTreeMap<ConnSet, BTreeSet<FlowEnd>>> = BTreeMap::new();
    let class_end = |e: FlowEnd| match e {
        FlowEnd::Workload(w) => FlowEnd::Workload(m.endpoints[w as usize].class),
        x => x,
    };
    for ((s, d), conn) in &flows {
        if let FlowEnd::Workload(w) = d {
            let c = m.endpoints[*w as usize].class;
            ingress
                .entry(c)
                .or_default()
                .entry(conn.clone())
                .or_default()
                .insert(class_end(*s));
        }
        if let FlowEnd::Workload(w) = s {
            let c = m.endpoints[*w as usize].class;
            egress
                .entry(c)
                .or_default()
                .entry(conn.clone())
                .or_default()
                .insert(class_end(*d));
        }
    }
    let mut docs: Vec<Value> = Vec::new();
    let ns_name = |n: u32| m.namespaces[n as usize].name.to_string();
    for &ns in namespaces.keys() {
        docs.push(policy(
            &ns_name(ns),
            "kubeward-default-deny",
            json!({}),
            &["Ingress", "Egress"],
            None,
            None,
        ));
        if dns {
            docs.push(policy(
                &ns_name(ns),
                "kubeward-allow-dns",
                json!({}),
                &["Egress"],
                None,
                Some(vec![rule("to", vec![dns_peer()], &dns_conn)]),
            ));
        }
    }
    // DNS servers in the input are isolated too: let the namespaces above reach them.
    if dns {
        let mut dns_classes: BTreeSet<u32> = BTreeSet::new();
        for &d in &dns_real {
            dns_classes.insert(m.endpoints[d as usize].class);
            for members in namespaces.values() {
                for &w in members {
                    if w != d {
                        flows
                            .entry((FlowEnd::Workload(w), FlowEnd::Workload(d)))
                            .or_default()
                            .union_with(&dns_conn);
                    }
                }
            }
        }
        for c in dns_classes {
            let names: Vec<Value> = namespaces.keys().map(|n| json!(ns_name(*n))).collect();
            let peer = json!({"namespaceSelector": {"matchExpressions": [{"key": NS_NAME_LABEL, "operator": "In", "values": names}]}});
            let cl = m.class(c);
            docs.push(policy(
                &ns_name(cl.ns),
                "kubeward-dns-from-workloads",
                selector_json(m, &exact_selector(m, c)),
                &["Ingress"],
                Some(vec![rule("from", vec![peer], &dns_conn)]),
                None,
            ));
        }
    }
    let mut used_names: BTreeSet<(u32, String)> = BTreeSet::new();
    let classes: BTreeSet<u32> = ingress.keys().chain(egress.keys()).copied().collect();
    for c in classes {
        let cl = m.class(c);
        let first = &m.endpoints[cl.members[0] as usize];
        let mut name = format!("kubeward-{}", first.name);
        if !used_names.insert((cl.ns, name.clone())) {
            name = format!(
                "kubeward-{}-{}",
                first.name,
                first.kind.to_ascii_lowercase()
            );
            used_names.insert((cl.ns, name.clone()));
        }
        name.truncate(253);
        let mut types = Vec::new();
        let ing = ingress.get(&c).map(|g| rules_for(m, "from", cl.ns, g));
        let eg = egress.get(&c).map(|g| rules_for(m, "to", cl.ns, g));
        if ing.is_some() {
            types.push("Ingress");
        }
        if eg.is_some() {
            types.push("Egress");
        }
        docs.push(policy(
            &ns_name(cl.ns),
            &name,
            selector_json(m, &exact_selector(m, c)),
            &types,
            ing,
            eg,
        ));
    }
    let mut y = String::new();
    y.push_str("# Suggested by `kubeward netpol suggest`: default deny per namespace, DNS, and one policy per\n# workload allowing exactly the wanted connections. Review before applying.\n");
    for d in &docs {
        y.push_str("---\n");
        to_yaml(d, 0, &mut y);
    }
    sg.yaml = y;
    // Wanted connections as lines (workload ends expanded to every member of its class).
    let mut wanted: Vec<Connection> = Vec::new();
    let ends = |e: &FlowEnd| -> Vec<String> {
        match e {
            FlowEnd::Workload(w) => m.classes[m.endpoints[*w as usize].class as usize]
                .members
                .iter()
                .filter(|x| !m.endpoints[**x as usize].synthetic)
                .map(|x| m.endpoints[*x as usize].display.clone())
                .collect(),
            FlowEnd::External(r) => vec![format!("{r}[External]")],
        }
    };
    let mut merged: BTreeMap<(String, String), ConnSet> = BTreeMap::new();
    for ((s, d), conn) in &flows {
        for a in ends(s) {
            for b in ends(d) {
                if a != b {
                    merged.entry((a.clone(), b)).or_default().union_with(conn);
                }
            }
        }
    }
    for ((src, dst), c) in merged {
        wanted.push(Connection {
            src,
            dst,
            conn: c.to_string(),
        });
    }
    sg.wanted = wanted;
    sg
}

/// Compares two connection lists semantically (external ranges split at every boundary of
/// both). Returns (in `want` only, in `have` only).
pub fn compare(want: &[Connection], have: &[Connection]) -> (Vec<String>, Vec<String>) {
    let mut bounds: Vec<IpRange> = Vec::new();
    for c in want.iter().chain(have) {
        for p in [&c.src, &c.dst] {
            if let Some(r) = p
                .strip_suffix("[External]")
                .and_then(|r| parse_range(r).ok())
            {
                bounds.push(r);
            }
        }
    }
    let atoms = Atoms::build(bounds.iter());
    let expand = |list: &[Connection]| -> BTreeMap<(String, String), ConnSet> {
        let mut out: BTreeMap<(String, String), ConnSet> = BTreeMap::new();
        for c in list {
            let split = |p: &str| -> Vec<String> {
                match p
                    .strip_suffix("[External]")
                    .and_then(|r| parse_range(r).ok())
                {
                    Some(r) => atoms
                        .within(&r)
                        .map(|a| format!("{}[External]", atoms.ranges[a]))
                        .collect(),
                    None => vec![p.to_string()],
                }
            };
            let conn = ConnSet::parse(&c.conn).unwrap_or_default();
            for s in split(&c.src) {
                for d in split(&c.dst) {
                    out.entry((s.clone(), d)).or_default().union_with(&conn);
                }
            }
        }
        out
    };
    let (w, h) = (expand(want), expand(have));
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    for (k, c) in &w {
        let got = h.get(k).cloned().unwrap_or_default();
        let lack = c.subtract(&got);
        if !lack.is_empty() {
            missing.push(format!("{} => {} : {lack}", k.0, k.1));
        }
    }
    for (k, c) in &h {
        let wanted = w.get(k).cloned().unwrap_or_default();
        let more = c.subtract(&wanted);
        if !more.is_empty() {
            extra.push(format!("{} => {} : {more}", k.0, k.1));
        }
    }
    (missing, extra)
}

fn dns_peer() -> Value {
    json!({
        "namespaceSelector": {"matchLabels": {NS_NAME_LABEL: "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}
    })
}

fn policy(
    ns: &str,
    name: &str,
    selector: Value,
    types: &[&str],
    ingress: Option<Vec<Value>>,
    egress: Option<Vec<Value>>,
) -> Value {
    let mut spec = serde_json::Map::new();
    spec.insert("podSelector".into(), selector);
    spec.insert("policyTypes".into(), json!(types));
    if let Some(i) = ingress {
        spec.insert("ingress".into(), Value::Array(i));
    }
    if let Some(e) = egress {
        spec.insert("egress".into(), Value::Array(e));
    }
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": Value::Object(spec),
    })
}

fn rule(field: &str, peers: Vec<Value>, conn: &ConnSet) -> Value {
    let mut r = serde_json::Map::new();
    if !peers.is_empty() {
        r.insert(field.into(), Value::Array(peers));
    }
    if !conn.is_all() {
        r.insert("ports".into(), Value::Array(ports_json(conn)));
    }
    Value::Object(r)
}

fn ports_json(conn: &ConnSet) -> Vec<Value> {
    let mut v = Vec::new();
    for p in Proto::ALL {
        let ps = conn.of(p);
        if ps.is_all() {
            v.push(json!({"protocol": p.as_str()}));
            continue;
        }
        for &(lo, hi) in ps.intervals() {
            if lo == hi {
                v.push(json!({"protocol": p.as_str(), "port": lo}));
            } else {
                v.push(json!({"protocol": p.as_str(), "port": lo, "endPort": hi}));
            }
        }
    }
    v
}

fn rules_for(
    m: &Model,
    field: &str,
    own_ns: u32,
    groups: &BTreeMap<ConnSet, BTreeSet<FlowEnd>>,
) -> Vec<Value> {
    let mut out = Vec::new();
    for (conn, ends) in groups {
        let mut peers = Vec::new();
        for e in ends {
            match e {
                FlowEnd::Workload(c) => {
                    let cl = m.class(*c);
                    let pod = selector_json(m, &exact_selector(m, *c));
                    if cl.ns == own_ns {
                        peers.push(json!({"podSelector": pod}));
                    } else {
                        peers.push(json!({
                            "namespaceSelector": {"matchLabels": {NS_NAME_LABEL: m.namespaces[cl.ns as usize].name.as_str()}},
                            "podSelector": pod,
                        }));
                    }
                }
                FlowEnd::External(r) => {
                    for c in r.to_cidrs() {
                        peers.push(json!({"ipBlock": {"cidr": c.to_string()}}));
                    }
                }
            }
        }
        out.push(rule(field, peers, conn));
    }
    out
}

/// A selector that matches class `c` and no other real class of its namespace (when labels
/// allow it), preferring one well-known label.
pub fn exact_selector(m: &Model, c: u32) -> Selector {
    let cl = m.class(c);
    let others: Vec<&Labels> = m.ns_classes[cl.ns as usize]
        .iter()
        .filter(|o| **o != c && !m.class(**o).synthetic)
        .map(|o| &m.class(*o).labels)
        .collect();
    let unique = |s: &Selector| others.iter().all(|l| !s.matches(l));
    let preferred = [
        "app.kubernetes.io/name",
        "app",
        "k8s-app",
        "name",
        "app.kubernetes.io/instance",
        "component",
    ];
    let mut keys: Vec<Sym> = preferred.iter().filter_map(|k| m.syms.get(k)).collect();
    let mut rest: Vec<(&str, Sym)> = cl
        .labels
        .0
        .iter()
        .map(|(k, _)| (m.syms.str(*k), *k))
        .collect();
    rest.sort();
    keys.extend(rest.into_iter().map(|x| x.1));
    for k in keys {
        if let Some(v) = cl.labels.get(k) {
            let s = Selector::from_labels(&[(k, v)]);
            if unique(&s) {
                return s;
            }
        }
    }
    // All labels, excluding classes whose labels are a superset by a key they have and we lack.
    let mut s = Selector::from_labels(&cl.labels.0);
    for l in &others {
        if s.matches(l) {
            if let Some((k, _)) = l.0.iter().find(|(k, _)| cl.labels.get(*k).is_none()) {
                if !s.exprs.iter().any(|e| e.key == *k) {
                    s.exprs.push(Expr {
                        key: *k,
                        op: Op::DoesNotExist,
                        values: Vec::new(),
                    });
                }
            }
        }
    }
    s
}

fn selector_json(m: &Model, s: &Selector) -> Value {
    let mut o = serde_json::Map::new();
    if !s.match_labels.is_empty() {
        let ml: serde_json::Map<String, Value> = s
            .match_labels
            .iter()
            .map(|(k, v)| (m.syms.str(*k).to_string(), json!(m.syms.str(*v))))
            .collect();
        o.insert("matchLabels".into(), Value::Object(ml));
    }
    if !s.exprs.is_empty() {
        let ex: Vec<Value> = s
            .exprs
            .iter()
            .map(|e| {
                let op = match e.op {
                    Op::In => "In",
                    Op::NotIn => "NotIn",
                    Op::Exists => "Exists",
                    Op::DoesNotExist => "DoesNotExist",
                };
                if e.values.is_empty() {
                    json!({"key": m.syms.str(e.key), "operator": op})
                } else {
                    json!({"key": m.syms.str(e.key), "operator": op, "values": e.values.iter().map(|v| m.syms.str(*v)).collect::<Vec<_>>()})
                }
            })
            .collect();
        o.insert("matchExpressions".into(), Value::Array(ex));
    }
    Value::Object(o)
}

/// Block-style YAML with every string double-quoted (no YAML 1.1 surprises).
fn to_yaml(v: &Value, indent: usize, o: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(k, _)| {
                KEY_ORDER
                    .iter()
                    .position(|x| x == k)
                    .unwrap_or(KEY_ORDER.len())
            });
            for (k, val) in entries {
                let key = yaml_key(k);
                match val {
                    Value::Object(x) if !x.is_empty() => {
                        let _ = writeln!(o, "{pad}{key}:");
                        to_yaml(val, indent + 2, o);
                    }
                    Value::Array(x) if !x.is_empty() => {
                        let _ = writeln!(o, "{pad}{key}:");
                        to_yaml(val, indent, o);
                    }
                    _ => {
                        let _ = writeln!(o, "{pad}{key}: {}", scalar(val));
                    }
                }
            }
        }
        Value::Array(items) => {
            for it in items {
                match it {
                    Value::Object(x) if !x.is_empty() => {
                        let mut sub = String::new();
                        to_yaml(it, indent + 2, &mut sub);
                        let sub = sub.trim_start_matches(' ');
                        let _ = write!(o, "{pad}- {sub}");
                    }
                    _ => {
                        let _ = writeln!(o, "{pad}- {}", scalar(it));
                    }
                }
            }
        }
        _ => {
            let _ = writeln!(o, "{pad}{}", scalar(v));
        }
    }
}

/// Keys in the order `kubectl` users expect.
const KEY_ORDER: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "spec",
    "podSelector",
    "policyTypes",
    "ingress",
    "egress",
    "from",
    "to",
    "ipBlock",
    "cidr",
    "namespaceSelector",
    "ports",
    "protocol",
    "port",
    "endPort",
    "matchLabels",
    "matchExpressions",
    "key",
    "operator",
    "values",
];

fn scalar(v: &Value) -> String {
    match v {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        Value::String(s) => yaml_str(s),
        other => other.to_string(),
    }
}

/// A string as a plain scalar when YAML 1.1 reads it back as the same string, else quoted.
fn yaml_str(s: &str) -> String {
    const WORDS: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
    ];
    let plain = s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"./_-".contains(&b))
        && !WORDS.contains(&s.to_ascii_lowercase().as_str());
    if plain {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

fn yaml_key(k: &str) -> String {
    yaml_str(k)
}

/// The inventory's objects minus its NetworkPolicies, plus the objects of `yaml`.
pub fn with_policies(inv: &Inventory, yaml: &str) -> Result<Inventory, QueryError> {
    use kubeward_core::inventory::NewObject;
    let loaded = kubeward_core::input::load_text("suggestion.yaml", yaml, &Default::default());
    if let Some(d) = loaded
        .diagnostics
        .iter()
        .find(|d| d.level == kubeward_core::input::Level::Error)
    {
        return Err(QueryError::Suggestion(d.to_string()));
    }
    let mut out = Inventory::new();
    for s in inv.sources() {
        out.add_source(s.clone());
    }
    let keep: Vec<NewObject> = inv
        .objects()
        .iter()
        .filter(|o| super::model::policy_kind_of(o) != Some(super::policy::PolicyKind::Network))
        .map(|o| NewObject {
            source: o.source,
            doc: o.doc,
            base_pointer: o.base_pointer.clone(),
            api_version: o.api_version.clone(),
            kind: o.kind.clone(),
            name: o.name.clone(),
            namespace: o.namespace.clone(),
            root: o.root.clone(),
        })
        .collect();
    out.add_objects(keep, "default");
    let base = out.sources().len() as u32;
    for s in loaded.inventory.sources() {
        out.add_source(s.clone());
    }
    let add: Vec<NewObject> = loaded
        .inventory
        .objects()
        .iter()
        .map(|o| NewObject {
            source: kubeward_core::inventory::SourceId(o.source.0 + base),
            doc: o.doc,
            base_pointer: o.base_pointer.clone(),
            api_version: o.api_version.clone(),
            kind: o.kind.clone(),
            name: o.name.clone(),
            namespace: o.namespace.clone(),
            root: o.root.clone(),
        })
        .collect();
    out.add_objects(add, "default");
    Ok(out)
}

/// Analyses the input with the suggestion in place of its NetworkPolicies and records any
/// difference from the wanted connections in `sg.mismatch`.
pub fn check(
    inv: &Inventory,
    sg: &mut Suggestion,
    options: super::model::Options,
) -> Result<(), String> {
    let combined = with_policies(inv, &sg.yaml).map_err(|e| e.to_string())?;
    let m = Model::build(&combined, options);
    if let Some(i) = m.issues.iter().find(|i| i.error) {
        return Err(format!("a suggested policy is invalid: {}", i.message));
    }
    // Suggestions write no rules for the ingress controller: its lines are not compared.
    let mut have = super::connections::connections(&m);
    have.retain(|c| c.src != super::ingress::NAME);
    let (missing, extra) = compare(&sg.wanted, &have);
    if !missing.is_empty() || !extra.is_empty() {
        if m.policies
            .iter()
            .any(|p| p.kind != super::policy::PolicyKind::Network)
        {
            sg.notes.push(
                "AdminNetworkPolicies in the input take precedence over the suggestion".into(),
            );
        }
        sg.mismatch = Some((missing, extra));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netpol::tests::deploy;
    use kubeward_core::testing::load;

    fn demo() -> String {
        deploy("shop", "web", "app=web,tier=front", "http:8080")
            + &deploy("shop", "api", "app=api", "http:9000,grpc:9001")
            + &deploy("shop", "db", "app=db", "pg:5432")
            + &deploy("ops", "prom", "app=prom", "")
            + &deploy("shop", "cache", "app=cache,tier=front", "redis:6379")
            + "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec: {selector: {app: api}, ports: [{port: 80, targetPort: http}]}\n"
            + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: old-allow-all, namespace: shop}\nspec: {podSelector: {}, ingress: [{}]}\n"
    }

    #[test]
    fn round_trip_from_flows() {
        let l = load(&demo());
        let m = Model::build(&l.inventory, Default::default());
        let flows_json = r#"[
            {"src": "shop/web[Deployment]", "dst": "shop/api[Deployment]", "conn": "TCP 9000-9001"},
            {"src": "shop/api[Deployment]", "dst": "shop/db[Deployment]", "conn": "TCP 5432"},
            {"src": "ops/prom[Deployment]", "dst": "shop/api[Deployment]", "conn": "TCP 9090,UDP 8125"},
            {"src": "0.0.0.0-255.255.255.255[External]", "dst": "shop/web[Deployment]", "conn": "TCP 8080"},
            {"src": "shop/api[Deployment]", "dst": "52.0.0.0-52.0.1.255[External]", "conn": "TCP 443"},
            {"src": "shop/web[Deployment]", "dst": "shop/cache[Deployment]", "conn": "All Connections"}
        ]"#;
        let flows = flows_from_json(&m, flows_json).unwrap();
        let mut sg = suggest(&m, &flows, true);
        check(&l.inventory, &mut sg, Default::default()).unwrap();
        assert!(sg.mismatch.is_none(), "{:#?}\n{}", sg.mismatch, sg.yaml);
        // web and cache share tier=front; the selectors must still tell them apart.
        assert!(sg.yaml.contains("          app: web\n"), "{}", sg.yaml);
        // The suggestion is valid NetworkPolicy YAML that kubeward reads back without issues.
        let back = load(&sg.yaml);
        let mb = Model::build(&back.inventory, Default::default());
        assert!(mb.issues.is_empty(), "{:?}", mb.issues);
        assert_eq!(back.inventory.of_kind("NetworkPolicy").count(), 2 * 2 + 5);
        // Wanted connections carry DNS only when kube-dns is in the input (here: not).
        assert_eq!(sg.wanted.len(), 6);
        // The check notices a policy set that allows more.
        let mut loose = Suggestion {
            yaml: sg.yaml.clone(),
            wanted: sg.wanted.clone(),
            ..Default::default()
        };
        loose.yaml.push_str("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: open, namespace: shop}\nspec: {podSelector: {}, ingress: [{}]}\n");
        check(&l.inventory, &mut loose, Default::default()).unwrap();
        let (_, extra) = loose.mismatch.expect("extra connections");
        assert!(
            extra.iter().any(|e| e
                == "0.0.0.0-51.255.255.255[External] => shop/db[Deployment] : All Connections"),
            "{extra:?}"
        );
    }

    #[test]
    fn round_trip_from_services_and_dns_servers() {
        let y = demo()
            + &deploy(
                "kube-system",
                "coredns",
                "k8s-app=kube-dns",
                "dns:53/UDP,dns-tcp:53",
            );
        let l = load(&y);
        let m = Model::build(&l.inventory, Default::default());
        let mut notes = Vec::new();
        let flows = flows_from_services(&m, &l.inventory, &mut notes);
        assert!(notes.is_empty(), "{notes:?}");
        // Every other shop workload may call api on its target port 9000.
        assert_eq!(flows.len(), 3);
        assert!(flows.values().all(|c| c.to_string() == "TCP 9000"));
        let mut sg = suggest(&m, &flows, true);
        check(&l.inventory, &mut sg, Default::default()).unwrap();
        assert!(sg.mismatch.is_none(), "{:#?}\n{}", sg.mismatch, sg.yaml);
        assert!(
            sg.wanted
                .iter()
                .any(|c| c.dst == "kube-system/coredns[Deployment]" && c.conn == "TCP 53,UDP 53")
        );
    }

    #[test]
    fn compare_splits_external_ranges() {
        let c = |s: &str, d: &str, x: &str| Connection {
            src: s.into(),
            dst: d.into(),
            conn: x.into(),
        };
        let want = vec![c("0.0.0.0-255.255.255.255[External]", "a/x[Pod]", "TCP 80")];
        let have = vec![
            c("0.0.0.0-9.255.255.255[External]", "a/x[Pod]", "TCP 80"),
            c(
                "10.0.0.0-255.255.255.255[External]",
                "a/x[Pod]",
                "TCP 80,443",
            ),
        ];
        let (missing, extra) = compare(&want, &have);
        assert!(missing.is_empty());
        assert_eq!(
            extra,
            vec!["10.0.0.0-255.255.255.255[External] => a/x[Pod] : TCP 443"]
        );
        assert!(flows_from_json(&Model::default(), "{}").is_err());
    }

    #[test]
    fn bad_flows_say_which_flow_and_field() {
        let m = Model::default();
        let text = r#"[{"src":"1.2.3.4/32[External]","dst":"a/x","conn":"TCP 80"},
                       {"src":"10.0.0.0/8[External]","dst":"10.1.0.0-10.0.0.1[External]","conn":"TCP 80"}]"#;
        let e = flows_from_json(&m, text).unwrap_err();
        match &e {
            QueryError::Flow {
                number: 1,
                field: "dst",
                source,
            } => assert!(matches!(&**source, QueryError::NoWorkload(t) if t == "a/x")),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            e.to_string(),
            "flow #1 (dst): no workload `a/x` in the input (write ns/name or ns/name[Kind])"
        );
        let bad_range = r#"[{"src":"10.1.0.0-10.0.0.1[External]","dst":"a/x","conn":"TCP 80"}]"#;
        match flows_from_json(&m, bad_range).unwrap_err() {
            QueryError::Flow { source, .. } => {
                assert!(matches!(*source, QueryError::BadRange(ref r) if r == "10.1.0.0-10.0.0.1"))
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            flows_from_json(&m, "{}").unwrap_err(),
            QueryError::FlowsJson(_)
        ));
        assert!(matches!(
            ConnSet::parse("TCP 90-80").unwrap_err(),
            QueryError::EmptyPortRange { lo: 90, hi: 80, .. }
        ));
        assert!(matches!(
            super::super::ip::Cidr::parse("10.0.0.0/33").unwrap_err(),
            QueryError::CidrPrefix { bits: 32, ref prefix, .. } if prefix == "33"
        ));
    }
}
