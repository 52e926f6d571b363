//! Pod → API: what a compromised pod can do with the API server credentials it carries (its
//! ServiceAccount token). The RBAC analysis of what those credentials allow is in
//! kubeward-analysis (`rbac`).

mod automount_token;
mod default_service_account;
mod deprecated_service_account;

use kubeward_core::Rule;

pub static RULES: &[&Rule] = &[
    &automount_token::RULE,
    &default_service_account::RULE,
    &deprecated_service_account::RULE,
];
