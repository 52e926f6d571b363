//! Rules and the registry.
//!
//! A rule is metadata plus a plain function. Per-object rules see one object (and, through the
//! context, the inventory and settings) and run in parallel over all objects; inventory rules
//! see everything at once (RBAC graphs, NetworkPolicy reachability). Rules return findings that
//! point into objects with JSON pointers; they never read files, talk to clusters or format
//! output.

use crate::finding::Finding;
use crate::inventory::{Inventory, Object};
use crate::podspec::PodSpec;
use crate::settings::Settings;

pub use crate::meta::RuleMeta;

/// Which objects a per-object rule looks at.
#[derive(Clone, Copy, Debug)]
pub enum Targets {
    /// Every object that carries a pod spec (Pod, workloads, CronJob, PodTemplate).
    PodSpecs,
    /// Objects of these kinds (any API group).
    Kinds(&'static [&'static str]),
    /// Every object.
    All,
}

/// What a per-object rule receives.
pub struct ObjectCtx<'a> {
    pub object: &'a Object,
    /// The pod spec of the object, when it has one.
    pub pod: Option<&'a PodSpec<'a>>,
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
}

/// What an inventory rule receives.
pub struct InventoryCtx<'a> {
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
}

pub type ObjectCheck = fn(&ObjectCtx<'_>, &mut Emitter<'_>);
pub type InventoryCheck = fn(&InventoryCtx<'_>, &mut Emitter<'_>);

#[derive(Clone, Copy)]
pub enum Check {
    Object {
        targets: Targets,
        run: ObjectCheck,
    },
    Inventory(InventoryCheck),
    /// Evaluated outside the per-object engine: findings the engine makes itself while reading
    /// input (duplicate keys), and detections run by a streaming engine of their own (the
    /// audit-log analyzer of kubeward-audit, one event at a time).
    Engine,
}

pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule").field("id", &self.meta.id).finish()
    }
}

/// Collects findings of one rule.
pub struct Emitter<'a> {
    rule: &'static RuleMeta,
    out: &'a mut Vec<Finding>,
}

impl<'a> Emitter<'a> {
    pub fn new(rule: &'static RuleMeta, out: &'a mut Vec<Finding>) -> Self {
        Emitter { rule, out }
    }

    /// Reports a finding on `object` at `pointer`.
    pub fn report(
        &mut self,
        object: &Object,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.out.push(Finding::new(
            self.rule,
            Some(object.id),
            pointer.into(),
            message.into(),
        ));
        self.out.last_mut().expect("just pushed")
    }

    /// Reports a finding about the scan as a whole (said once, not per object).
    pub fn report_global(&mut self, message: impl Into<String>) -> &mut Finding {
        self.out
            .push(Finding::new(self.rule, None, String::new(), message.into()));
        self.out.last_mut().expect("just pushed")
    }

    pub fn rule(&self) -> &'static RuleMeta {
        self.rule
    }
}

/// All known rules, in a stable order.
#[derive(Default)]
pub struct Registry {
    rules: Vec<&'static Rule>,
    /// Upper-cased ID → position, for lookups and to refuse duplicates.
    ids: foldhash::HashMap<&'static str, usize>,
}

impl Registry {
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds rules. Panics on a duplicate or lower-case ID: programming errors caught by tests.
    pub fn extend(&mut self, rules: impl IntoIterator<Item = &'static Rule>) {
        for r in rules {
            assert!(
                !r.meta.id.bytes().any(|b| b.is_ascii_lowercase()),
                "rule id {} is not upper case",
                r.meta.id
            );
            let previous = self.ids.insert(r.meta.id, self.rules.len());
            assert!(previous.is_none(), "duplicate rule id {}", r.meta.id);
            self.rules.push(r);
        }
    }

    /// The rule with this ID, in any letter case.
    pub fn get(&self, id: &str) -> Option<&'static Rule> {
        let i = if id.bytes().any(|b| b.is_ascii_lowercase()) {
            self.ids.get(id.to_ascii_uppercase().as_str())
        } else {
            self.ids.get(id)
        };
        i.map(|&i| self.rules[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        self.rules.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Rules sorted by layer then ID, for listings.
    pub fn sorted(&self) -> Vec<&'static Rule> {
        let mut v = self.rules.clone();
        v.sort_by(|a, b| (a.meta.layer, a.meta.id).cmp(&(b.meta.layer, b.meta.id)));
        v
    }
}

/// Rule metadata of the wrong shape: the rule's ID and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{id}: {problem}")]
pub struct MetaError {
    pub id: &'static str,
    pub problem: MetaProblem,
}

/// What is wrong with a rule's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MetaProblem {
    #[error("id must look like KW-AREA-NNN")]
    Id,
    #[error("name must be kebab-case")]
    Name,
    /// `title`, `why` or `fix` under 10 characters.
    #[error("{0} is missing or too short")]
    TooShort(&'static str),
    #[error("title must not end with a period")]
    TitlePeriod,
    #[error("at least one reference is required")]
    NoReference,
}

/// Checks the shape of every rule's metadata. Used by each rule crate's tests.
pub fn validate_meta(meta: &RuleMeta) -> Result<(), MetaError> {
    let fail = |problem| {
        Err(MetaError {
            id: meta.id,
            problem,
        })
    };
    let id_ok = {
        let parts: Vec<&str> = meta.id.split('-').collect();
        parts.len() == 3
            && parts[0] == "KW"
            && !parts[1].is_empty()
            && parts[1].chars().all(|c| c.is_ascii_uppercase())
            && parts[2].len() == 3
            && parts[2].chars().all(|c| c.is_ascii_digit())
    };
    if !id_ok {
        return fail(MetaProblem::Id);
    }
    if meta.name.is_empty()
        || !meta
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return fail(MetaProblem::Name);
    }
    for (field, text) in [("title", meta.title), ("why", meta.why), ("fix", meta.fix)] {
        if text.trim().len() < 10 {
            return fail(MetaProblem::TooShort(field));
        }
    }
    if meta.title.ends_with('.') {
        return fail(MetaProblem::TitlePeriod);
    }
    if meta.references.is_empty() {
        return fail(MetaProblem::NoReference);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::{Layer, Severity};

    fn meta(id: &'static str, title: &'static str) -> RuleMeta {
        RuleMeta {
            id,
            name: "test-rule",
            layer: Layer::Containers,
            severity: Severity::Low,
            title,
            why: "tests need a rule to check",
            fix: "nothing to fix in a test",
            references: &[("docs", "none")],
            default_enabled: true,
        }
    }

    #[test]
    fn bad_metadata_names_the_rule_and_the_problem() {
        assert_eq!(
            validate_meta(&meta("KW-TST-001", "a well formed title")),
            Ok(())
        );
        let e = validate_meta(&meta("KW-TST-01", "a well formed title")).unwrap_err();
        assert_eq!(e.problem, MetaProblem::Id);
        assert_eq!(e.to_string(), "KW-TST-01: id must look like KW-AREA-NNN");
        let e = validate_meta(&meta("KW-TST-002", "short")).unwrap_err();
        assert!(matches!(e.problem, MetaProblem::TooShort("title")));
        assert_eq!(e.to_string(), "KW-TST-002: title is missing or too short");
        let e = validate_meta(&meta("KW-TST-003", "ends with a period.")).unwrap_err();
        assert_eq!(
            e,
            MetaError {
                id: "KW-TST-003",
                problem: MetaProblem::TitlePeriod
            }
        );
    }
}
