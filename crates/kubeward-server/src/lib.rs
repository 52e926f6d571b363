//! The kubeward admission server (`kubeward serve`): the scan rules and `.kubeward.yaml` at
//! admission time.
//!
//! - `/validate`: AdmissionReview (admission.k8s.io/v1); the rules run on the request object,
//!   each finding enforced, warned or audited as the `admission:` block of the config says.
//! - `/mutate`: pins image tags to digests through the OCI distribution API (JSON Patch).
//! - `/imagepolicy`: the ImagePolicyWebhook backend (ImageReview, imagepolicy.k8s.io/v1alpha1).
//! - `/healthz`, `/readyz`, `/metrics` (Prometheus text).
//!
//! HTTPS only (rustls with ring); the certificate is re-read when its files change. More
//! routes can be mounted on the same listener with [`server::Server::with_routes`].

pub mod cache;
pub mod config;
pub mod creds;
pub mod error;
pub mod imagepolicy;
pub mod log;
pub mod metrics;
pub mod mutate;
pub mod oci;
pub mod policy;
pub mod review;
pub mod server;
pub mod tls;
pub mod validate;

pub use config::AdmissionSettings;
pub use error::{CredsError, Error, RequestError};
pub use policy::Policy;
pub use server::{AppState, Server};
