//! Monitoring: the audit policy file (`audit.k8s.io/v1` Policy, the file that
//! `--audit-policy-file` names; KW-CP-008 checks the flag), evaluated with the API server's own
//! semantics ([`crate::support::audit_policy`]), and the API server's audit-log flags (KW-CP-008,
//! KW-CP-009).

mod audit_log;
mod audit_retention;
mod exec_not_logged;
mod no_rules;
mod pod_create_not_logged;
mod rbac_not_logged;
mod request_received;
mod sensitive_bodies;
mod unmatched_not_logged;

use kubeward_core::Rule;

pub static RULES: &[&Rule] = &[
    &no_rules::RULE,
    &unmatched_not_logged::RULE,
    &sensitive_bodies::RULE,
    &exec_not_logged::RULE,
    &rbac_not_logged::RULE,
    &pod_create_not_logged::RULE,
    &request_received::RULE,
    &audit_log::RULE,
    &audit_retention::RULE,
];
