//! What a user reads about a rule. Imports only the shared words of `level`, so findings can
//! name their rule without depending on the rule registry.

use crate::level::{Layer, Severity};
use std::collections::BTreeMap;

/// Everything a user reads about a rule: `kubeward explain`, docs/rules.md and SARIF `rules[]`
/// all come from here.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable identifier, `KW-<AREA>-<NNN>`. Never reused.
    pub id: &'static str,
    /// kebab-case name of the weakness (`privileged-container`).
    pub name: &'static str,
    pub layer: Layer,
    /// Default severity; findings may raise or lower it with a reason, config may override it.
    pub severity: Severity,
    /// One line: what is wrong.
    pub title: &'static str,
    /// Why an attacker cares.
    pub why: &'static str,
    /// How to close it.
    pub fix: &'static str,
    /// `(source, id)` pairs: `cis`, `nsa`, `mitre`, `pss`, `checkov`, `kube-score`,
    /// `polaris`, `kubescape`, `kube-bench`, `owasp`, `docs`.
    pub references: &'static [(&'static str, &'static str)],
    /// Whether the rule runs unless configured off.
    pub default_enabled: bool,
}

impl RuleMeta {
    /// References grouped by source, values joined with ", ".
    pub fn reference_map(&self) -> BTreeMap<String, String> {
        let mut m: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in self.references {
            m.entry((*k).to_string())
                .and_modify(|e| {
                    e.push_str(", ");
                    e.push_str(v)
                })
                .or_insert_with(|| (*v).to_string());
        }
        m
    }
}
