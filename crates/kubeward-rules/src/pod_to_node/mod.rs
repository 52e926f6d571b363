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
mod subpath_mount;
mod sysctls;
mod windows_host_process;

#[cfg(test)]
mod test_support;

use kubeward_core::Rule;

/// The rules of the layer other than the Pod Security checks, which are listed once, in
/// [`pss::CHECKS`].
static RULES: &[&Rule] = &[
    &namespace_not_enforced::RULE,
    &namespace_rejects_workload::RULE,
    &namespace_version_pinned::RULE,
    &namespace_labels_invalid::RULE,
    &subpath_mount::RULE,
];

/// Every rule of the layer: one per Pod Security check (upstream order), then the others.
pub fn rules() -> impl Iterator<Item = &'static Rule> {
    pss::CHECKS
        .iter()
        .map(|c| c.rule)
        .chain(RULES.iter().copied())
}
