//! Network exposure: what is reachable from outside the cluster (Services, Ingress, host
//! ports). NetworkPolicy analysis (KW-NET-1xx) lives in kubeward-analysis.

mod exposed_service;
mod host_port;
mod ingress_tls;

use kubeward_core::Rule;

pub static RULES: &[&Rule] = &[&ingress_tls::RULE, &exposed_service::RULE, &host_port::RULE];
