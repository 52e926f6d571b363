//! Containers and images: where images come from and how they are pinned, and what each
//! container may do at run time (capabilities, IDs, host paths, resources, confinement,
//! service-account tokens).

mod allowed_registries;
/// KW-IMG-004's matching, shared with the ImagePolicyWebhook backend (kubeward-server).
pub use allowed_registries::{normalized_name, normalized_prefix, prefix_matches};
mod apparmor;
mod bare_pod;
mod dangerous_capabilities;
mod default_namespace;
mod ephemeral_storage;
mod host_aliases;
mod image_digest;
mod image_pull_policy;
mod image_tag;
mod limit_range_defaults;
mod namespace_limit_range;
mod namespace_quota;
mod net_raw;
mod quota_hard_limits;
mod read_only_root;
mod resource_limits;
mod resource_requests;
mod run_as_group;
mod run_as_user;
mod runtime_socket;
mod seccomp;
mod sensitive_host_path;
mod shared_process_secrets;
mod shell_command;
mod system_namespace_workload;
mod writable_host_path;

use kubeward_core::Rule;

pub static RULES: &[&Rule] = &[
    &image_tag::RULE,
    &image_digest::RULE,
    &image_pull_policy::RULE,
    &allowed_registries::RULE,
    &read_only_root::RULE,
    &run_as_user::RULE,
    &run_as_group::RULE,
    &net_raw::RULE,
    &dangerous_capabilities::RULE,
    &runtime_socket::RULE,
    &sensitive_host_path::RULE,
    &writable_host_path::RULE,
    &resource_limits::RULE,
    &seccomp::RULE,
    &apparmor::RULE,
    &default_namespace::RULE,
    &resource_requests::RULE,
    &ephemeral_storage::RULE,
    &namespace_limit_range::RULE,
    &limit_range_defaults::RULE,
    &namespace_quota::RULE,
    &quota_hard_limits::RULE,
    &system_namespace_workload::RULE,
    &bare_pod::RULE,
    &host_aliases::RULE,
    &shared_process_secrets::RULE,
    &shell_command::RULE,
];
