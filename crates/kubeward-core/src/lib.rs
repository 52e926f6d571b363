//! The kubeward engine: located objects, the inventory, findings, the rule registry,
//! configuration and suppression. Rules live in `kubeward-rules` and `kubeward-analysis`;
//! renderers in `kubeward-report`; this crate does no output formatting.

pub mod argo;
pub mod baseline;
pub mod config;
pub mod engine;

/// Prints how long a phase took to stderr when `KUBEWARD_TIMINGS` is set (for profiling large
/// scans; off by default).
pub fn timing(phase: &str, since: std::time::Instant) {
    if std::env::var_os("KUBEWARD_TIMINGS").is_some() {
        eprintln!(
            "timing: {phase:<12} {:>8.1} ms",
            since.elapsed().as_secs_f64() * 1e3
        );
    }
}
pub mod finding;
pub mod image;
pub mod input;
pub mod inventory;
pub mod json;
pub mod kustomize;
pub mod kustomize_origin;
pub mod level;
pub mod meta;
pub mod object;
pub mod platform;
pub mod podspec;
pub mod report;
pub mod rule;
pub mod settings;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tree;
pub mod yaml;

pub use finding::{Finding, Layer, Severity, Status};
pub use inventory::{Inventory, Object, ObjectId};
pub use podspec::{Container, ContainerKind, PodSpec};
pub use rule::{Check, Emitter, InventoryCtx, ObjectCtx, Registry, Rule, RuleMeta, Targets};
pub use tree::{Node, Span, Value};
