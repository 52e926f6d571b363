//! Whole-inventory analyses: RBAC effective permissions and escalation paths, NetworkPolicy
//! reachability, attack paths. Each analysis is an inventory rule (or several) plus the query
//! functions behind its CLI commands.

pub mod exposure;
pub mod rbac;

use kubeward_core::Rule;

pub mod netpol;

/// Every inventory rule in this crate.
pub fn rules() -> Vec<&'static Rule> {
    let mut v = Vec::new();
    v.extend(rbac::rules::rules());
    v.extend(netpol::rules());
    v
}
