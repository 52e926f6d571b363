//! Every allowed connection between workloads and external address ranges, computed over
//! equivalence classes and written in the formats netpol-analyzer users already diff.

use super::eval::Side;
use super::ip::{Atoms, Family, IpRange};
use super::model::Model;
use super::policy::{Dir, PeerKind};
use super::ports::ConnSet;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// One line of the connection list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Connection {
    pub src: String,
    pub dst: String,
    pub conn: String,
}

/// An endpoint of a computed connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum End {
    Workload(u32),
    /// Index into the ingress (source side) or egress (destination side) external atoms.
    External(usize),
}

/// Allowed connections at class level: (source class, destination class, connections).
pub fn class_pairs(m: &Model) -> Vec<(u32, u32, ConnSet)> {
    let n = m.classes.len();
    let real: Vec<bool> = m.classes.iter().map(|c| !c.synthetic).collect();
    // Destinations anyone may reach (not isolated for ingress, or a rule that admits every
    // class), and for each source the isolated destinations that name it.
    let mut open_in: Vec<u32> = Vec::new();
    let mut trans: Vec<Vec<u32>> = vec![Vec::new(); n];
    for d in 0..n as u32 {
        if !real[d as usize] {
            continue;
        }
        if !m.isolated(Dir::Ingress, d) {
            open_in.push(d);
            continue;
        }
        let cr = &m.per_class[d as usize];
        let mut wide = false;
        let rules = cr.np_in_rules.iter().chain(
            cr.admin_in
                .iter()
                .filter(|r| m.rules[**r as usize].action == super::policy::Action::Allow),
        );
        let mut named: Vec<u32> = Vec::new();
        for &r in rules {
            match &m.rules[r as usize].members {
                super::policy::Members::All => wide = true,
                super::policy::Members::None => {}
                super::policy::Members::Some(v) => named.extend(v),
            }
        }
        if wide {
            open_in.push(d);
        } else {
            named.sort_unstable();
            named.dedup();
            for s in named {
                trans[s as usize].push(d);
            }
        }
    }
    (0..n as u32)
        .into_par_iter()
        .filter(|s| real[*s as usize])
        .fold(
            || (Vec::new(), vec![u32::MAX; n]),
            |(mut out, mut seen), s| {
                let mut visit = |d: u32, out: &mut Vec<(u32, u32, ConnSet)>| {
                    if seen[d as usize] == s || !real[d as usize] {
                        return;
                    }
                    seen[d as usize] = s;
                    if s == d && m.classes[s as usize].members.len() < 2 {
                        return;
                    }
                    let c = m.allowed(Side::Class(s), Side::Class(d));
                    if !c.is_empty() {
                        out.push((s, d, c));
                    }
                };
                if m.isolated(Dir::Egress, s) {
                    let cr = &m.per_class[s as usize];
                    let mut all = false;
                    let mut cand: Vec<u32> = Vec::new();
                    for &r in
                        cr.np_eg_rules.iter().chain(cr.admin_eg.iter().filter(|r| {
                            m.rules[**r as usize].action == super::policy::Action::Allow
                        }))
                    {
                        match &m.rules[r as usize].members {
                            super::policy::Members::All => all = true,
                            super::policy::Members::None => {}
                            super::policy::Members::Some(v) => cand.extend(v),
                        }
                    }
                    if all {
                        for d in 0..n as u32 {
                            visit(d, &mut out);
                        }
                    } else {
                        for d in cand {
                            visit(d, &mut out);
                        }
                    }
                } else {
                    for &d in open_in.iter().chain(trans[s as usize].iter()) {
                        visit(d, &mut out);
                    }
                }
                (out, seen)
            },
        )
        .map(|(out, _)| out)
        .reduce(Vec::new, |mut a, mut b| {
            a.append(&mut b);
            a
        })
}

/// Allowed connections between each class and external ranges, per direction:
/// (class, atom index, connections). `dir` Ingress = from outside to the class.
pub fn external_pairs(m: &Model, dir: Dir) -> Vec<(u32, usize, ConnSet)> {
    let atoms = match dir {
        Dir::Ingress => &m.ingress_ext.atoms,
        Dir::Egress => &m.egress_ext.atoms,
    };
    let has_v6 = atoms.ranges.iter().any(|r| r.family == Family::V6);
    (0..m.classes.len() as u32)
        .into_par_iter()
        .filter(|c| !m.classes[*c as usize].synthetic)
        .flat_map_iter(|c| {
            let mut out = Vec::new();
            // Local segments: split only where this class's rules draw a line.
            let cr = &m.per_class[c as usize];
            let rules: Vec<u32> = match dir {
                Dir::Ingress => cr
                    .admin_in
                    .iter()
                    .chain(&cr.np_in_rules)
                    .chain(&cr.base_in)
                    .copied()
                    .collect(),
                Dir::Egress => cr
                    .admin_eg
                    .iter()
                    .chain(&cr.np_eg_rules)
                    .chain(&cr.base_eg)
                    .copied()
                    .collect(),
            };
            let mut bounds: Vec<IpRange> = Vec::new();
            for r in &rules {
                for p in m.rules[*r as usize].peers.iter().flatten() {
                    if let PeerKind::Block { bounds: b, .. } = &p.kind {
                        bounds.extend(b.iter().copied());
                    }
                }
            }
            if has_v6 {
                bounds.push(IpRange::whole(Family::V6));
            }
            let local = Atoms::build(bounds.iter());
            for seg in &local.ranges {
                let conns = match dir {
                    Dir::Ingress => m.allowed(Side::External(seg), Side::Class(c)),
                    Dir::Egress => m.allowed(Side::Class(c), Side::External(seg)),
                };
                if conns.is_empty() {
                    continue;
                }
                for a in atoms.within(seg) {
                    out.push((c, a, conns.clone()));
                }
            }
            out
        })
        .collect()
}

/// The full connection list, sorted, a workload to itself left out.
pub fn connections(m: &Model) -> Vec<Connection> {
    let mut out: Vec<Connection> = Vec::new();
    for (s, d, c) in class_pairs(m) {
        let conn = c.to_string();
        for &a in &m.classes[s as usize].members {
            for &b in &m.classes[d as usize].members {
                if a == b {
                    continue;
                }
                out.push(Connection {
                    src: m.endpoints[a as usize].display.clone(),
                    dst: m.endpoints[b as usize].display.clone(),
                    conn: conn.clone(),
                });
            }
        }
    }
    for dir in [Dir::Ingress, Dir::Egress] {
        let atoms = match dir {
            Dir::Ingress => &m.ingress_ext.atoms,
            Dir::Egress => &m.egress_ext.atoms,
        };
        for (c, a, conns) in external_pairs(m, dir) {
            let ext = format!("{}[External]", atoms.ranges[a]);
            let conn = conns.to_string();
            for &e in &m.classes[c as usize].members {
                let w = m.endpoints[e as usize].display.clone();
                let (src, dst) = match dir {
                    Dir::Ingress => (ext.clone(), w),
                    Dir::Egress => (w, ext.clone()),
                };
                out.push(Connection {
                    src,
                    dst,
                    conn: conn.clone(),
                });
            }
        }
    }
    for (c, conns, _) in super::ingress::allowed(m) {
        let conn = conns.to_string();
        for &e in &m.classes[c as usize].members {
            out.push(Connection {
                src: super::ingress::NAME.to_string(),
                dst: m.endpoints[e as usize].display.clone(),
                conn: conn.clone(),
            });
        }
    }
    out.par_sort_unstable();
    out
}

/// Output formats of `kubeward netpol connections`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Txt,
    Json,
    Csv,
    Md,
    Dot,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "txt" => Format::Txt,
            "json" => Format::Json,
            "csv" => Format::Csv,
            "md" => Format::Md,
            "dot" => Format::Dot,
            _ => return Err(format!("unknown format `{s}` (txt, json, csv, md, dot)")),
        })
    }
}

pub fn render(conns: &[Connection], format: Format) -> String {
    let mut o = String::with_capacity(conns.len() * 80);
    match format {
        Format::Txt => {
            for c in conns {
                let _ = writeln!(o, "{} => {} : {}", c.src, c.dst, c.conn);
            }
        }
        Format::Json => {
            o = serde_json::to_string_pretty(conns).expect("json");
            o.push('\n');
        }
        Format::Csv => {
            o.push_str("src,dst,conn\n");
            for c in conns {
                let _ = writeln!(o, "{},{},{}", csv(&c.src), csv(&c.dst), csv(&c.conn));
            }
        }
        Format::Md => {
            o.push_str("| src | dst | conn |\n|-----|-----|------|\n");
            for c in conns {
                let _ = writeln!(o, "| {} | {} | {} |", c.src, c.dst, c.conn);
            }
        }
        Format::Dot => render_dot(conns, &mut o),
    }
    o
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn render_dot(conns: &[Connection], o: &mut String) {
    use std::collections::BTreeMap;
    // Nodes grouped by namespace; external ranges in their own cluster.
    let mut groups: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for c in conns {
        for p in [&c.src, &c.dst] {
            let (ns, _) = split_peer(p);
            groups.entry(ns.to_string()).or_default().insert(p.clone());
        }
    }
    o.push_str("digraph {\n");
    for (ns, peers) in &groups {
        let _ = writeln!(o, "\tsubgraph \"cluster_{}\" {{", esc(ns));
        for p in peers {
            let (_, label) = split_peer(p);
            let color = if p == super::ingress::NAME {
                "darkorange"
            } else if ns.is_empty() {
                "red2"
            } else {
                "blue"
            };
            let _ = writeln!(
                o,
                "\t\t\"{}\" [label=\"{}\" color=\"{color}\" fontcolor=\"{color}\"]",
                esc(p),
                esc(label)
            );
        }
        let _ = writeln!(o, "\t\tlabel=\"{}\"\n\t}}", esc(ns));
    }
    for c in conns {
        let _ = writeln!(
            o,
            "\t\"{}\" -> \"{}\" [label=\"{}\" color=\"gold2\" fontcolor=\"darkgreen\"]",
            esc(&c.src),
            esc(&c.dst),
            esc(&c.conn)
        );
    }
    o.push_str("}\n");
}

/// (`namespace`, `label`) of a peer string; external ranges have no namespace.
fn split_peer(p: &str) -> (&str, &str) {
    if let Some(r) = p.strip_suffix("[External]") {
        return ("", r);
    }
    match p.split_once('/') {
        Some((ns, rest)) => (ns, rest),
        None => ("", p),
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
