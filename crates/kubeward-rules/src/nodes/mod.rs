//! Nodes: Kubernetes and kubelet versions, node addresses, and cloud node-access signals, as
//! Node objects and the API server's version show them.

mod cloud_metadata;
mod external_ip;
pub mod files;
pub mod kubelet;
mod kubelet_skew;
mod version_support;

use kubeward_core::Rule;

pub static RULES: &[&Rule] = &[
    &version_support::RULE,
    &kubelet_skew::RULE,
    &external_ip::RULE,
    &cloud_metadata::RULE,
];
