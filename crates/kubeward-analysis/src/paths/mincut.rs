//! Which changes break the most paths. Each step is one change (any one of its findings
//! fixed is not enough: all of them must be, which is what the step's fix says); a set of
//! steps that meets every path breaks them all. Finding the smallest such set is a hitting-set
//! problem (NP-hard in general), so this is the greedy answer: the step on the most remaining
//! paths, then the next on what is left, and so on. The first pick is exactly the single
//! change that breaks the most paths.

use super::graph::{Graph, StepId};
use super::ranking::Path;
use serde::Serialize;

/// One change and how many paths it breaks (of those the earlier picks left).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Cut {
    #[serde(skip)]
    pub step: StepId,
    pub breaks: usize,
}

/// Greedy cut over `paths`, at most `limit` changes. Paths with no fixable step (none in
/// practice: every path starts with a fixable exposure, escape or token) stay unbroken.
pub fn greedy(g: &Graph, paths: &[Path], limit: usize) -> Vec<Cut> {
    let sets: Vec<Vec<StepId>> = paths
        .iter()
        .map(|p| {
            p.steps(g)
                .into_iter()
                .filter(|&s| g.steps[s as usize].fixable())
                .collect()
        })
        .collect();
    let mut alive = vec![true; sets.len()];
    let mut counts = vec![0usize; g.steps.len()];
    for s in &sets {
        for &x in s {
            counts[x as usize] += 1;
        }
    }
    let mut out = Vec::new();
    while out.len() < limit {
        // Most paths; ties to the earlier step (deterministic).
        let Some((best, &n)) = counts
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        else {
            break;
        };
        if n == 0 {
            break;
        }
        out.push(Cut {
            step: best as StepId,
            breaks: n,
        });
        for (i, s) in sets.iter().enumerate() {
            if alive[i] && s.contains(&(best as StepId)) {
                alive[i] = false;
                for &x in s {
                    counts[x as usize] -= 1;
                }
            }
        }
    }
    out
}
