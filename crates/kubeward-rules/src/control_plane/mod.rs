//! Control plane: API server, controller manager, scheduler and etcd flags as their mirror
//! pods (kubeadm, RKE2) or k3s server show them, admission webhooks, what a cluster scan could
//! not read, and kubeconfig hygiene (KW-KCFG-*).
//!
//! Flag rules are inventory rules: they find the components (`components::components`), and
//! when a live cluster's components are invisible they say so once per cluster, not
//! applicable on managed control planes (EKS, GKE, AKS), unknown elsewhere; never a FAIL for
//! what cannot be seen.

pub mod kubeconfig;
pub use kubeward_core::platform;

mod admission_plugins;
mod anonymous_auth;
mod authorization_mode;
mod bind_address;
mod coverage;
mod etcd_peer_tls;
mod etcd_tls;
mod host_file_owner;
mod host_file_perms;
mod image_policy;
mod kubelet_tls;
mod profiling;
mod token_auth_file;
mod webhook_fail_open;
mod webhook_leases;
mod webhook_timeout;

use kubeward_core::Rule;

pub static RULES: &[&Rule] = &[
    &coverage::RULE,
    &anonymous_auth::RULE,
    &authorization_mode::RULE,
    &token_auth_file::RULE,
    &admission_plugins::RULE,
    &image_policy::RULE,
    &profiling::RULE,
    &kubelet_tls::RULE,
    &etcd_tls::RULE,
    &etcd_peer_tls::RULE,
    &bind_address::RULE,
    &webhook_fail_open::RULE,
    &webhook_leases::RULE,
    &webhook_timeout::RULE,
    &kubeconfig::embedded_credentials::RULE,
    &kubeconfig::insecure_tls::RULE,
    &kubeconfig::plain_http::RULE,
    &kubeconfig::file_permissions::RULE,
    &kubeconfig::cert_expiry::RULE,
    &kubeconfig::system_masters::RULE,
    &kubeconfig::shared_credential::RULE,
    &host_file_perms::RULE,
    &host_file_owner::RULE,
];
