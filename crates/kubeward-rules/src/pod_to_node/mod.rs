//! Pod → node: what a compromised container can do to its node. The Pod Security Standards,
//! exactly as the upstream admission plugin evaluates them (one rule per upstream check, see
//! [`pss`]), and the namespace labels that decide what the admission plugin enforces.

pub mod pss;

mod allow_privilege_escalation;
mod apparmor_profile;
mod capabilities_baseline;
mod capabilities_restricted;
mod host_namespaces;
mod host_path_volumes;
mod host_ports;
mod host_probes;
mod namespace_labels_invalid;
mod namespace_not_enforced;
mod namespace_rejects_workload;
mod namespace_version_pinned;
mod privileged;
mod proc_mount;
mod proc_mount_restricted;
mod restricted_volumes;
mod run_as_non_root;
mod run_as_user;
mod seccomp_profile_baseline;
mod seccomp_profile_restricted;
mod selinux_options;
mod sysctls;
mod windows_host_process;

#[cfg(test)]
mod test_support;

use kubeward_core::Rule;

pub static RULES: &[&Rule] = &[
    &windows_host_process::RULE,
    &host_namespaces::RULE,
    &privileged::RULE,
    &capabilities_baseline::RULE,
    &host_path_volumes::RULE,
    &host_ports::RULE,
    &apparmor_profile::RULE,
    &selinux_options::RULE,
    &proc_mount::RULE,
    &seccomp_profile_baseline::RULE,
    &sysctls::RULE,
    &host_probes::RULE,
    &restricted_volumes::RULE,
    &allow_privilege_escalation::RULE,
    &run_as_non_root::RULE,
    &run_as_user::RULE,
    &seccomp_profile_restricted::RULE,
    &capabilities_restricted::RULE,
    &proc_mount_restricted::RULE,
    &namespace_not_enforced::RULE,
    &namespace_rejects_workload::RULE,
    &namespace_version_pinned::RULE,
    &namespace_labels_invalid::RULE,
];
