//! Attack paths across the layers: entry point → workload → node / token / cloud → target.
//!
//! The graph joins the models kubeward already has: exposure ([`crate::exposure`]), the
//! NetworkPolicy model ([`crate::netpol`]), pod escapes (the checks behind KW-PSS-002/003 and
//! KW-CTR-005/006/007), tokens and their RBAC power ([`crate::rbac`]), and cloud credentials
//! (the metadata API of cloud nodes, KW-NODE-004; IAM-mapped service accounts, KW-RBAC-024).
//! Every step of a path names the rule, object and place that makes it possible, so fixing
//! any one step breaks the path. See `docs/paths.md`.

pub mod entries;
pub mod footholds;
/// Generated inputs for benchmarks and examples (feature `bench-gen`).
#[cfg(feature = "bench-gen")]
pub mod generate;
pub mod graph;
pub mod mincut;
pub mod ranking;
pub mod render;
pub mod targets;

#[cfg(test)]
mod tests;

pub use graph::{Graph, Reason, Step, Vertex};
pub use mincut::Cut;
pub use ranking::Path;

use crate::netpol;
use crate::rbac::analysis::Analysis;
use kubeward_core::{Inventory, ObjectId};
use std::collections::HashMap;
use std::sync::Arc;

/// What the builders share.
pub(crate) struct Ctx<'a> {
    pub inv: &'a Inventory,
    pub rbac: Arc<Analysis>,
    pub netpol: netpol::Model,
    /// Workload object → its NetworkPolicy equivalence class.
    pub class_of: HashMap<ObjectId, u32>,
    pub g: Graph,
}

/// The result: the graph, every path (best first) and the greedy cut.
pub struct Paths {
    pub graph: Graph,
    pub paths: Vec<Path>,
    pub cut: Vec<Cut>,
}

/// How many changes the cut advice lists at most.
pub const CUT_LIMIT: usize = 10;

/// Builds the graph of `inv` and its paths.
pub fn analyze(inv: &Inventory) -> Paths {
    let rbac = Analysis::of(inv);
    let model = netpol::Model::build(inv, netpol::Options::default());
    let mut class_of = HashMap::new();
    for (_, e) in model.workloads() {
        for &o in &e.objects {
            class_of.insert(o, e.class);
        }
    }
    let mut cx = Ctx {
        inv,
        rbac,
        netpol: model,
        class_of,
        g: Graph::default(),
    };
    entries::add(&mut cx);
    footholds::add(&mut cx);
    targets::add(&mut cx);
    entries::add_nodes(&mut cx);
    let graph = cx.g;
    let paths = ranking::enumerate(&graph);
    let cut = mincut::greedy(&graph, &paths, CUT_LIMIT);
    Paths { graph, paths, cut }
}

impl Paths {
    /// How many paths each finding (rule, object) is on: a step's reasons, counted once per
    /// path.
    pub fn counts(&self) -> HashMap<(&'static str, ObjectId), usize> {
        let mut m: HashMap<(&'static str, ObjectId), usize> = HashMap::new();
        for p in &self.paths {
            let mut seen: Vec<(&'static str, ObjectId)> = Vec::new();
            for s in p.steps(&self.graph) {
                for r in &self.graph.steps[s as usize].reasons {
                    let k = (r.rule, r.object);
                    if !seen.contains(&k) {
                        seen.push(k);
                    }
                }
            }
            for k in seen {
                *m.entry(k).or_default() += 1;
            }
        }
        m
    }

    /// The paths count of a finding: its own (rule, object), or one of its related objects
    /// (RBAC findings sit on the role and name the binding and workload as related).
    pub fn count_for(
        counts: &HashMap<(&'static str, ObjectId), usize>,
        f: &kubeward_core::Finding,
    ) -> usize {
        let id = f.rule.id;
        let mut best = f
            .object
            .and_then(|o| counts.get(&(id, o)).copied())
            .unwrap_or(0);
        for r in &f.related {
            if let Some(&n) = counts.get(&(id, r.object)) {
                best = best.max(n);
            }
        }
        best
    }
}

/// Sets every finding's `paths` count from the attack paths of `inv` and sorts the findings
/// by it, most paths first (stable: ties keep the report's file, line, rule order). A finding
/// counts the paths of its own rule on its object or on one of its related objects (RBAC
/// findings sit on the role and name the binding and the workload as related).
pub fn annotate(report: &mut kubeward_core::report::Report, inv: &Inventory) {
    let p = analyze(inv);
    let by_id = p.counts();
    // Report findings name resources, not object ids.
    let mut counts: HashMap<(&str, String, Option<String>, String), usize> = HashMap::new();
    for ((rule, id), n) in by_id {
        let o = inv.object(id);
        let k = (
            rule,
            o.kind.to_string(),
            o.namespace().map(str::to_string),
            o.name.to_string(),
        );
        let e = counts.entry(k).or_default();
        *e = (*e).max(n);
    }
    let get = |rule: &str, r: &kubeward_core::report::ResourceOut| {
        counts
            .get(&(rule, r.kind.clone(), r.namespace.clone(), r.name.clone()))
            .copied()
            .unwrap_or(0)
    };
    for f in &mut report.findings {
        let mut n = f.resource.as_ref().map_or(0, |r| get(f.rule_id, r));
        for r in &f.related {
            n = n.max(get(f.rule_id, &r.resource));
        }
        f.paths = Some(n);
    }
    report
        .findings
        .sort_by_key(|f| std::cmp::Reverse(f.paths.unwrap_or(0)));
}
