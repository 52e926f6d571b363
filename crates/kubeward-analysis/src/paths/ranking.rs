//! Paths from entry points to targets: for every target, a breadth-first search backwards
//! gives each vertex its shortest way there; every edge out of an entry point then yields one
//! path per reachable target. Paths are scored entry exposure × target impact and
//! deduplicated (same target and same fixable steps).

use super::graph::{EdgeId, Graph, StepId, VertexId};
use std::collections::{HashSet, VecDeque};

/// One attack path.
#[derive(Clone, Debug)]
pub struct Path {
    pub entry: VertexId,
    pub target: VertexId,
    pub edges: Vec<EdgeId>,
    pub score: u32,
}

impl Path {
    /// The steps along the path, in order, each once.
    pub fn steps(&self, g: &Graph) -> Vec<StepId> {
        let mut v: Vec<StepId> = Vec::new();
        for &e in &self.edges {
            for &s in &g.edges[e as usize].steps {
                if !v.contains(&s) {
                    v.push(s);
                }
            }
        }
        v
    }
}

const UNREACHED: u16 = u16::MAX;

/// Every path, best first.
pub fn enumerate(g: &Graph) -> Vec<Path> {
    let n = g.vertices.len();
    // Reverse adjacency.
    let mut rev: Vec<Vec<EdgeId>> = vec![Vec::new(); n];
    for (i, e) in g.edges.iter().enumerate() {
        rev[e.to as usize].push(i as EdgeId);
    }
    let targets: Vec<VertexId> = (0..n as VertexId)
        .filter(|&v| g.vertices[v as usize].is_target())
        .collect();
    let entry_edges: Vec<EdgeId> = (0..g.edges.len() as EdgeId)
        .filter(|&e| g.vertices[g.edges[e as usize].from as usize].is_entry())
        .collect();
    let mut out: Vec<Path> = Vec::new();
    let mut dist = vec![UNREACHED; n];
    let mut next: Vec<EdgeId> = vec![0; n];
    let mut queue = VecDeque::new();
    for &t in &targets {
        dist.fill(UNREACHED);
        dist[t as usize] = 0;
        queue.clear();
        queue.push_back(t);
        while let Some(v) = queue.pop_front() {
            let d = dist[v as usize];
            for &e in &rev[v as usize] {
                let from = g.edges[e as usize].from;
                // Paths do not pass through entry points.
                if dist[from as usize] == UNREACHED && !g.vertices[from as usize].is_entry() {
                    dist[from as usize] = d + 1;
                    next[from as usize] = e;
                    queue.push_back(from);
                }
            }
        }
        let impact = g.vertices[t as usize].impact();
        for &e in &entry_edges {
            let edge = &g.edges[e as usize];
            let start = edge.to;
            if dist[start as usize] == UNREACHED {
                continue;
            }
            // Root on a node is no news to whoever holds a node already.
            if start == t && g.vertices[edge.from as usize] == super::graph::Vertex::CompromisedNode
            {
                continue;
            }
            let mut edges = vec![e];
            let mut v = start;
            while v != t {
                let x = next[v as usize];
                edges.push(x);
                v = g.edges[x as usize].to;
            }
            out.push(Path {
                entry: edge.from,
                target: t,
                edges,
                score: g.vertices[edge.from as usize].exposure() * impact,
            });
        }
    }
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.edges.len().cmp(&b.edges.len()))
            .then(a.entry.cmp(&b.entry))
            .then(a.edges.cmp(&b.edges))
            .then(a.target.cmp(&b.target))
    });
    // Same target, same fixable steps: the same path for anyone fixing it.
    let mut seen: HashSet<(VertexId, Vec<StepId>)> = HashSet::new();
    out.retain(|p| {
        let mut s: Vec<StepId> = p
            .steps(g)
            .into_iter()
            .filter(|&s| g.steps[s as usize].fixable())
            .collect();
        s.sort_unstable();
        seen.insert((p.target, s))
    });
    out
}
