//! Pod → node: what a compromised container can do to its node (Pod Security Standards).

mod host_namespaces;
mod host_path_volumes;
mod privileged;

use kubeward_core::Rule;

pub static RULES: &[&Rule] = &[
    &host_namespaces::RULE,
    &privileged::RULE,
    &host_path_volumes::RULE,
];
