//! kubeward monitoring: Kubernetes audit-log analysis and the audit webhook receiver.
//!
//! - [`reader`] reads audit events (JSON lines, gzip, `EventList` documents, GKE / AKS / EKS
//!   envelopes) in constant memory; bad lines are reported with file and line, never fatal.
//! - [`detect::Analyzer`] runs every detection ([`rules()`], layer `monitoring`) on one event at
//!   a time, including the scan's own pod-to-node and container rules on request bodies (taken
//!   from the caller's [`kubeward_core::Registry`]).
//! - [`output`] writes alerts as JSON lines, text or SARIF.
//! - [`webhook`] is the API server's audit webhook backend as an axum router.

// Each match arm picks the event shape; whether its rule is enabled is a separate question.
#![allow(clippy::collapsible_match)]

pub mod alert;
pub mod detect;
mod envelope;
pub mod error;
pub mod event;
pub mod output;
pub mod reader;
pub mod rules;
pub mod settings;
/// Generated audit events for benchmarks (feature `bench-gen`).
#[cfg(feature = "bench-gen")]
#[doc(hidden)]
pub mod synth;
pub mod webhook;
pub mod workload;

pub use alert::{Alert, Summary};
pub use detect::{Analyzer, AnalyzerSink};
pub use error::{CidrError, SettingsError, TlsError};
pub use event::Event;
pub use reader::{Location, ReadOptions, Sink};
pub use settings::AuditSettings;
pub use webhook::{WebhookConfig, WebhookHandle, webhook_router};

/// The audit detections, for the registry (`r.extend(kubeward_audit::rules())`).
pub fn rules() -> impl IntoIterator<Item = &'static kubeward_core::Rule> {
    rules::ALL
}
