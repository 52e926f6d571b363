//! The kubeward rule catalogue: per-object rules, one module per defence layer.
//!
//! Every rule is a `static Rule` (metadata + check function) in its own file, registered in its
//! layer's `mod.rs`. Rules read objects through `kubeward_core::PodSpec` and friends and report
//! findings with JSON pointers; they never touch files, clusters or output formats.

pub mod containers;
pub mod control_plane;
pub mod data;
pub mod monitoring;
pub mod network;
pub mod nodes;
pub mod pod_to_node;
pub mod support;

use kubeward_core::Rule;

pub use support::secrets::set_fingerprint_key;

/// Every rule in this crate.
pub fn rules() -> Vec<&'static Rule> {
    let mut v = Vec::new();
    v.extend(pod_to_node::rules());
    v.extend_from_slice(containers::RULES);
    v.extend_from_slice(data::RULES);
    v.extend_from_slice(network::RULES);
    v.extend_from_slice(nodes::RULES);
    v.extend_from_slice(nodes::kubelet::RULES);
    v.extend_from_slice(nodes::files::RULES);
    v.extend_from_slice(control_plane::RULES);
    v.extend_from_slice(monitoring::RULES);
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn metadata_is_complete_and_ids_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in super::rules() {
            kubeward_core::rule::validate_meta(&r.meta).unwrap();
            assert!(seen.insert(r.meta.id), "duplicate id {}", r.meta.id);
        }
    }
}
