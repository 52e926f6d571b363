//! Output: text (the cut advice first, then the top paths with every step's findings), JSON,
//! Mermaid and Graphviz dot (the top paths' vertices and edges).

use super::Paths;
use super::graph::{Graph, Reason, StepId, VertexId};
use kubeward_core::Inventory;
use kubeward_core::report::location_of;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write;

#[derive(Serialize)]
pub struct ReasonOut {
    pub rule_id: &'static str,
    pub resource: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub pointer: String,
}

#[derive(Serialize)]
pub struct StepOut {
    pub id: String,
    pub text: String,
    pub fix: String,
    /// Findings that each make the step possible (empty: inherent, not fixable).
    pub findings: Vec<ReasonOut>,
}

#[derive(Serialize)]
pub struct HopOut {
    pub from: String,
    pub to: String,
    pub steps: Vec<String>,
}

#[derive(Serialize)]
pub struct PathOut {
    pub rank: usize,
    pub score: u32,
    pub entry: String,
    pub target: String,
    pub hops: Vec<HopOut>,
}

#[derive(Serialize)]
pub struct CutOut {
    pub step: String,
    pub breaks: usize,
}

#[derive(Serialize)]
pub struct Out {
    pub total_paths: usize,
    pub shown: usize,
    /// Changes that break the most paths, the best first (greedy).
    pub cut: Vec<CutOut>,
    pub paths: Vec<PathOut>,
    /// Every step named above.
    pub steps: Vec<StepOut>,
}

fn reason_out(inv: &Inventory, r: &Reason) -> ReasonOut {
    let loc = location_of(inv, r.object, &r.pointer);
    ReasonOut {
        rule_id: r.rule,
        resource: inv.object(r.object).display(),
        file: loc.file.map(|f| f.to_string()),
        line: loc.line,
        pointer: r.pointer.clone(),
    }
}

fn names(inv: &Inventory) -> impl Fn(kubeward_core::ObjectId) -> String + '_ {
    move |id| inv.object(id).display()
}

fn label(g: &Graph, inv: &Inventory, v: VertexId) -> String {
    g.vertices[v as usize].label(&names(inv))
}

fn key(g: &Graph, inv: &Inventory, v: VertexId) -> String {
    g.vertices[v as usize].key(&names(inv))
}

/// The JSON model of the top `top` paths.
pub fn model(p: &Paths, inv: &Inventory, top: usize) -> Out {
    let g = &p.graph;
    let shown: Vec<&super::Path> = p.paths.iter().take(top).collect();
    let mut used: BTreeSet<StepId> = BTreeSet::new();
    let paths = shown
        .iter()
        .enumerate()
        .map(|(i, path)| PathOut {
            rank: i + 1,
            score: path.score,
            entry: label(g, inv, path.entry),
            target: label(g, inv, path.target),
            hops: path
                .edges
                .iter()
                .map(|&e| {
                    let edge = &g.edges[e as usize];
                    HopOut {
                        from: label(g, inv, edge.from),
                        to: label(g, inv, edge.to),
                        steps: edge
                            .steps
                            .iter()
                            .filter(|&&s| g.steps[s as usize].fixable())
                            .map(|&s| {
                                used.insert(s);
                                g.steps[s as usize].key.clone()
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect();
    for c in &p.cut {
        used.insert(c.step);
    }
    Out {
        total_paths: p.paths.len(),
        shown: shown.len(),
        cut: p
            .cut
            .iter()
            .map(|c| CutOut {
                step: g.steps[c.step as usize].key.clone(),
                breaks: c.breaks,
            })
            .collect(),
        paths,
        steps: used
            .into_iter()
            .map(|s| {
                let st = &g.steps[s as usize];
                StepOut {
                    id: st.key.clone(),
                    text: st.text.clone(),
                    fix: st.fix.clone(),
                    findings: st.reasons.iter().map(|r| reason_out(inv, r)).collect(),
                }
            })
            .collect(),
    }
}

pub fn json(p: &Paths, inv: &Inventory, top: usize) -> String {
    serde_json::to_string_pretty(&model(p, inv, top)).expect("json") + "\n"
}

fn where_(r: &ReasonOut) -> String {
    match (&r.file, r.line) {
        (Some(f), Some(l)) => format!("{f}:{l}"),
        _ => format!("{} {}", r.resource, r.pointer),
    }
}

pub fn text(p: &Paths, inv: &Inventory, top: usize) -> String {
    let m = model(p, inv, top);
    let step = |id: &str| m.steps.iter().find(|s| s.id == id).expect("step listed");
    let mut s = String::new();
    if m.total_paths == 0 {
        s.push_str("No attack path found from an entry point to a target.\n");
        return s;
    }
    let _ = writeln!(
        s,
        "{} attack path{} (top {} shown)\n",
        m.total_paths,
        if m.total_paths == 1 { "" } else { "s" },
        m.shown
    );
    s.push_str("Fix first (each change breaks these paths; the first breaks the most):\n");
    for (i, c) in m.cut.iter().enumerate() {
        let st = step(&c.step);
        let _ = writeln!(
            s,
            "  {}. {} (breaks {} path{})\n     because: {}",
            i + 1,
            st.fix,
            c.breaks,
            if c.breaks == 1 { "" } else { "s" },
            st.text
        );
        for r in &st.findings {
            let _ = writeln!(s, "     {} {} at {}", r.rule_id, r.resource, where_(r));
        }
    }
    for path in &m.paths {
        let _ = writeln!(
            s,
            "\n#{} score {}: {} → {}",
            path.rank, path.score, path.entry, path.target
        );
        for (i, h) in path.hops.iter().enumerate() {
            let _ = writeln!(s, "  {}. {} → {}", i + 1, h.from, h.to);
            for id in &h.steps {
                let st = step(id);
                let _ = writeln!(s, "     - {}", st.text);
                for r in &st.findings {
                    let _ = writeln!(s, "       {} {} at {}", r.rule_id, r.resource, where_(r));
                }
            }
        }
    }
    s
}

/// Vertices and edges of the top paths.
fn top_edges(p: &Paths, top: usize) -> (BTreeSet<VertexId>, BTreeSet<u32>) {
    let mut vs = BTreeSet::new();
    let mut es = BTreeSet::new();
    for path in p.paths.iter().take(top) {
        for &e in &path.edges {
            let edge = &p.graph.edges[e as usize];
            vs.insert(edge.from);
            vs.insert(edge.to);
            es.insert(e);
        }
    }
    (vs, es)
}

fn edge_label(g: &Graph, e: u32) -> String {
    let rules: BTreeSet<&str> = g.edges[e as usize]
        .steps
        .iter()
        .flat_map(|&s| g.steps[s as usize].reasons.iter().map(|r| r.rule))
        .collect();
    rules.into_iter().collect::<Vec<_>>().join(", ")
}

pub fn mermaid(p: &Paths, inv: &Inventory, top: usize) -> String {
    let g = &p.graph;
    let (vs, es) = top_edges(p, top);
    let mut s = String::from("flowchart LR\n");
    for v in &vs {
        let shape = if g.vertices[*v as usize].is_target() {
            ("[[", "]]")
        } else if g.vertices[*v as usize].is_entry() {
            ("([", "])")
        } else {
            ("[", "]")
        };
        let _ = writeln!(
            s,
            "  v{v}{}\"{}\"{}",
            shape.0,
            label(g, inv, *v).replace('"', "#quot;"),
            shape.1
        );
    }
    for e in es {
        let edge = &g.edges[e as usize];
        let l = edge_label(g, e);
        if l.is_empty() {
            let _ = writeln!(s, "  v{} --> v{}", edge.from, edge.to);
        } else {
            let _ = writeln!(s, "  v{} -->|\"{l}\"| v{}", edge.from, edge.to);
        }
    }
    s
}

pub fn dot(p: &Paths, inv: &Inventory, top: usize) -> String {
    let g = &p.graph;
    let (vs, es) = top_edges(p, top);
    let q = |t: &str| t.replace('\\', "\\\\").replace('"', "\\\"");
    let mut s = String::from("digraph attack_paths {\n  rankdir=LR;\n  node [shape=box];\n");
    for v in &vs {
        let vx = &g.vertices[*v as usize];
        let attrs = if vx.is_target() {
            ", shape=doubleoctagon, color=red"
        } else if vx.is_entry() {
            ", shape=ellipse"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "  \"{}\" [label=\"{}\"{attrs}];",
            q(&key(g, inv, *v)),
            q(&label(g, inv, *v))
        );
    }
    for e in es {
        let edge = &g.edges[e as usize];
        let _ = writeln!(
            s,
            "  \"{}\" -> \"{}\" [label=\"{}\"];",
            q(&key(g, inv, edge.from)),
            q(&key(g, inv, edge.to)),
            q(&edge_label(g, e))
        );
    }
    s.push_str("}\n");
    s
}
