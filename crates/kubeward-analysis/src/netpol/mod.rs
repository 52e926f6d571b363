//! Pod → pod: NetworkPolicy analysis.
//!
//! [`Model::build`] turns an inventory into endpoints (workloads), their equivalence classes
//! and compiled policies (NetworkPolicy v1, AdminNetworkPolicy and BaselineAdminNetworkPolicy
//! v1alpha1). On top of it: the connection list ([`connections`]), explanations
//! ([`explain`]), exposure ([`exposure`]), suggested policies ([`suggest`]) and the findings
//! (`KW-NET-101` and up, [`rules`]). The cluster's ingress controller is
//! a source of its own, `{ingress-controller}`, reaching the pods that Ingresses and Routes
//! send it to ([`ingress`]).
//!
//! Semantics (each has a table test in `tests.rs`): isolation per direction; `policyTypes`
//! defaulted as the API server does (Ingress always, Egress when egress rules are written);
//! allows are a union; both ends must allow; `namespaceSelector` + `podSelector` in one peer
//! is AND, separate peers are OR; `from: []` and a missing `from` both mean every source while
//! `ingress: []` means none; ports default to TCP, named ports resolve at each destination per
//! protocol, `endPort` gives ranges; `ipBlock` is cidr minus excepts and does not match pod
//! addresses unless `ipblock_matches_pods` is set; admin tier, then NetworkPolicy, then
//! baseline, with Allow/Deny/Pass and priorities.

pub mod connections;
pub mod error;
pub mod eval;
pub mod explain;
pub mod exposure;
/// Generated inputs for benchmarks and examples (feature `bench-gen`).
#[cfg(feature = "bench-gen")]
pub mod generate;
pub mod ingress;
pub mod ip;
pub mod labels;
pub mod model;
pub mod policy;
pub mod ports;
pub mod rules;
pub mod suggest;

#[cfg(test)]
mod golden;
#[cfg(test)]
pub(crate) mod tests;

pub use connections::{Connection, Format, connections, render};
pub use error::QueryError;
pub use model::{Model, Options};
pub use ports::{ConnSet, Proto};
pub use rules::RULES;
