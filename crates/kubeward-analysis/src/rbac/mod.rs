//! RBAC analysis: who can do what, through which binding and role; which workloads carry that
//! power in their mounted token; which grants are escalation paths.

pub mod analysis;
pub mod authz;
pub mod caps;
/// Generated inputs for benchmarks and examples (feature `bench-gen`).
#[cfg(feature = "bench-gen")]
pub mod generate;
pub mod graph;
pub mod model;
pub mod query;
pub mod resources;
pub mod role_level;
pub mod rules;
pub mod workloads;

pub use authz::{Identity, Request};
pub use model::Model;

#[cfg(test)]
mod matrix;
#[cfg(test)]
mod role_level_tests;
