//! What the rules share and that is not a rule: readers of Kubernetes semantics (audit policy
//! evaluation, control-plane component flags, LimitRange/ResourceQuota guards, the
//! ServiceAccount a pod runs as), credential detection, X.509, version tables and CIS
//! numbering. Rule files live in the folder of their layer; helpers used by more than one rule
//! live here.

pub mod audit_policy;
pub mod components;
pub mod containers;
pub(crate) mod id_floor;
pub mod kubelet_cis;
pub(crate) mod namespace_guards;
pub(crate) mod secret_values;
pub mod secrets;
pub(crate) mod service_accounts;
pub mod versions;
pub mod x509;
