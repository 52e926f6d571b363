//! The RBAC rules (layer pod-to-api, KW-RBAC-001 and up). Each reads the shared
//! [`Analysis`] and reports chains subject → binding → role → rule, located at the rule (or,
//! for binding-level weaknesses, at the binding's subject), with the other objects of the
//! chain as related locations.

pub(crate) const GOOD_PRACTICES: (&str, &str) = (
    "docs",
    "https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
);

/// How the catalogue rules grade a hit (see `hit_severity`), said in `explain`.
macro_rules! severity_note {
    () => {
        " Severity: the default is for a grant in one namespace. It is one step higher \
         cluster-wide or in kube-system and for groups that stand for everyone \
         (system:authenticated, system:serviceaccounts, anonymous); one step lower when the grant \
         is limited to named objects (resourceNames), to the binding's own Namespace object, or \
         works only on older clusters."
    };
}

/// The role-level fallback (see `role_level`), said in `explain` of every capability rule.
macro_rules! fallback_note {
    () => {
        " A Role or ClusterRole of the input that grants this but that no binding grants is \
         reported on its rule, one severity step lower, as not bound in the scanned input \
         (ClusterRoles aggregated into admin, edit or view count as bound)."
    };
}

mod bindings;
mod cloud_iam;
mod cluster_admin;
mod cluster_config;
mod common;
mod defects;
mod escalation;
mod nodes;
mod secrets;
mod service_accounts;
mod sprawl;
mod traffic;
mod wildcards;
mod workloads;

pub use bindings::*;
pub use cloud_iam::*;
pub use cluster_admin::*;
pub use cluster_config::*;
pub(crate) use common::*;
pub use defects::*;
pub use escalation::*;
pub use nodes::*;
pub use secrets::*;
pub use service_accounts::*;
pub use sprawl::*;
pub use traffic::*;
pub use wildcards::*;
pub use workloads::*;

use kubeward_core::Rule;

/// Every RBAC rule, in the order of the registry.
pub static RULES: &[&Rule] = &[
    &CLUSTER_ADMIN_BINDING,
    &FULL_WILDCARD,
    &WILDCARD_RULE,
    &READ_SECRETS,
    &CREATE_WORKLOADS,
    &MODIFY_PODS,
    &EXEC,
    &EPHEMERAL,
    &NODES_PROXY,
    &ESCALATE,
    &BIND,
    &IMPERSONATE,
    &APPROVE_CSR,
    &TOKEN_REQUEST,
    &WRITE_SECRETS,
    &ADMISSION,
    &CREATE_PV,
    &MODIFY_NAMESPACES,
    &STEAL_PODS,
    &NODE_STATUS,
    &POD_STATUS,
    &SERVICE_STATUS,
    &KUBE_SYSTEM_CONFIGMAPS,
    &CLOUD_IAM,
    &NETWORK,
    &EXTENSIONS,
    &ANONYMOUS_BINDING,
    &ALL_AUTHENTICATED_BINDING,
    &MISSING_ROLE,
    &DEFAULT_SA,
    &WORKLOAD_TOKEN,
    &CREATE_WITHOUT_QUOTA,
    &INEFFECTIVE_RULE,
    &REJECTED_OBJECT,
    &MANY_ROLES,
    &MANY_SUBJECTS,
    &DELETE_EVENTS,
    &PORT_FORWARD,
    &DEFAULT_SA_TOKEN,
    &COREDNS_CONFIG,
    &DELETE_NODES,
    &DELETECOLLECTION_WORKLOADS,
    &UNUSED_SERVICE_ACCOUNT,
];

#[cfg(test)]
mod tests;
