//! What the server enforces: the rules and `.kubeward.yaml` of `scan`, narrowed to the rules
//! that can decide from the one object in a request.

use crate::config::AdmissionSettings;
use kubeward_core::config::Config;
use kubeward_core::{Check, Registry};

/// Inventory rules that need nothing but the object they report on. Every other inventory
/// rule (RBAC and NetworkPolicy analyses, namespace Pod Security labels, namespaces without a
/// LimitRange or ResourceQuota, bare Pods, token-use heuristics, cluster coverage) reasons over
/// many objects and would misfire on a one-object inventory: those stay with
/// `kubeward scan --cluster`.
pub const SINGLE_OBJECT_INVENTORY_RULES: &[&str] = &["KW-IMG-004"];

/// The loaded policy. Immutable; the server swaps a new one in when the config changes.
pub struct Policy {
    pub registry: Registry,
    pub config: Config,
    pub admission: AdmissionSettings,
    /// The namespace the server runs in (exempt by default).
    pub own_namespace: Option<String>,
}

impl Policy {
    /// Builds the admission policy from the full rule registry.
    pub fn new(
        full: &Registry,
        config: Config,
        admission: AdmissionSettings,
        own_namespace: Option<String>,
    ) -> Policy {
        Policy {
            registry: admission_registry(full),
            config,
            admission,
            own_namespace,
        }
    }
}

/// The rules that run at admission: every per-object rule, the engine's own, and the
/// single-object inventory rules.
pub fn admission_registry(full: &Registry) -> Registry {
    let mut r = Registry::new();
    r.extend(full.iter().filter(|rule| match rule.check {
        Check::Object { .. } | Check::Engine => true,
        Check::Inventory(_) => SINGLE_OBJECT_INVENTORY_RULES.contains(&rule.meta.id),
    }));
    r
}

#[cfg(test)]
mod tests {
    use super::admission_registry;
    use kubeward_core::Registry;

    #[test]
    fn rules_that_need_the_whole_input_stay_out_of_admission() {
        let mut full = Registry::new();
        full.extend(kubeward_rules::rules());
        let ids: Vec<&str> = admission_registry(&full)
            .iter()
            .map(|r| r.meta.id)
            .collect();
        // Namespaces without a LimitRange or ResourceQuota, and bare Pods, need every object.
        for id in ["KW-RES-003", "KW-RES-005", "KW-CTR-016"] {
            assert!(!ids.contains(&id), "{id}");
        }
        // Per-object resource guards and workload checks decide from the request's object.
        for id in [
            "KW-RES-001",
            "KW-RES-002",
            "KW-RES-004",
            "KW-RES-006",
            "KW-CTR-015",
            "KW-CTR-017",
            "KW-CTR-018",
            "KW-CTR-019",
            "KW-CTR-020",
            "KW-CTR-021",
            "KW-IMG-004",
        ] {
            assert!(ids.contains(&id), "{id}");
        }
    }
}
