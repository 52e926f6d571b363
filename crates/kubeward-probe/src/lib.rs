//! `kubeward probe TARGET...`: which Kubernetes ports answer on the hosts the user names, and
//! how (anonymous kubelet, read-only kubelet, etcd without a client certificate, anonymous API
//! server, insecure port, component ports, NodePorts), compared with the Kubernetes "Ports and
//! Protocols" table for the node's role.
//!
//! Only the named targets are probed, each on the ports of the selected services. Every probe
//! is bounded by a timeout, and at most `concurrency` run at once.

pub mod http;
pub mod rules;
pub mod table;

use http::Reply;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A service kubeward knows how to ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    ApiServer,
    InsecureApiServer,
    Etcd,
    EtcdPeer,
    Kubelet,
    KubeletReadOnly,
    KubeProxyHealth,
    KubeProxyMetrics,
    Scheduler,
    ControllerManager,
    NodePort,
}

impl Service {
    pub const ALL: [Service; 11] = [
        Service::ApiServer,
        Service::InsecureApiServer,
        Service::Etcd,
        Service::EtcdPeer,
        Service::Kubelet,
        Service::KubeletReadOnly,
        Service::KubeProxyHealth,
        Service::KubeProxyMetrics,
        Service::Scheduler,
        Service::ControllerManager,
        Service::NodePort,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Service::ApiServer => "apiserver",
            Service::InsecureApiServer => "insecure-apiserver",
            Service::Etcd => "etcd",
            Service::EtcdPeer => "etcd-peer",
            Service::Kubelet => "kubelet",
            Service::KubeletReadOnly => "kubelet-read-only",
            Service::KubeProxyHealth => "kube-proxy-health",
            Service::KubeProxyMetrics => "kube-proxy-metrics",
            Service::Scheduler => "scheduler",
            Service::ControllerManager => "controller-manager",
            Service::NodePort => "nodeport",
        }
    }

    pub fn parse(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|v| v.name() == s)
    }

    /// The port Kubernetes uses by default (the NodePort range has none).
    pub fn default_port(self) -> Option<u16> {
        Some(match self {
            Service::ApiServer => 6443,
            Service::InsecureApiServer => 8080,
            Service::Etcd => 2379,
            Service::EtcdPeer => 2380,
            Service::Kubelet => 10250,
            Service::KubeletReadOnly => 10255,
            Service::KubeProxyHealth => 10256,
            Service::KubeProxyMetrics => 10249,
            Service::Scheduler => 10259,
            Service::ControllerManager => 10257,
            Service::NodePort => return None,
        })
    }

    /// (TLS, paths to ask) — the first path decides; the API server is asked both.
    fn how(self) -> (bool, &'static [&'static str]) {
        match self {
            Service::ApiServer => (true, &["/api", "/version"]),
            Service::InsecureApiServer => (false, &["/api"]),
            Service::Etcd | Service::EtcdPeer => (true, &["/version"]),
            Service::Kubelet => (true, &["/pods"]),
            Service::KubeletReadOnly => (false, &["/pods"]),
            Service::KubeProxyHealth => (false, &["/healthz"]),
            Service::KubeProxyMetrics => (false, &["/metrics"]),
            Service::Scheduler | Service::ControllerManager => (true, &["/metrics"]),
            Service::NodePort => (false, &[]),
        }
    }
}

/// Probe settings.
#[derive(Clone, Debug)]
pub struct Options {
    pub targets: Vec<String>,
    pub services: Vec<Service>,
    /// `(host, port) → service` overrides (tests, non-default ports). A service with an
    /// override for a host is probed there on the given port(s) instead of its default.
    pub port_map: Vec<(String, u16, Service)>,
    pub nodeport_range: (u16, u16),
    pub timeout: Duration,
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            targets: Vec::new(),
            services: Service::ALL.to_vec(),
            port_map: Vec::new(),
            nodeport_range: (30000, 32767),
            timeout: Duration::from_secs(2),
            concurrency: 128,
        }
    }
}

/// What answered on one port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub target: String,
    pub port: u16,
    pub service: Service,
    /// `closed`, `open`, `client-cert-required`, `tls-failed`, `http`, `https`.
    pub state: String,
    /// HTTP status per path asked.
    pub statuses: BTreeMap<String, u16>,
    /// TLS failure text, when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Answer {
    pub fn is_open(&self) -> bool {
        self.state != "closed"
    }

    /// The status of the first path asked.
    pub fn status(&self, path: &str) -> Option<u16> {
        self.statuses.get(path).copied()
    }
}

/// A `--port-map` entry that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortMapError {
    /// Not `HOST:PORT=SERVICE`.
    #[error("`{0}`: expected HOST:PORT=SERVICE")]
    Syntax(String),
    #[error("`{0}` is not a service ({services})", services = Service::ALL.map(|s| s.name()).join(", "))]
    UnknownService(String),
    #[error("`{0}` is not a port number")]
    Port(String),
}

/// Parses `host:port=service` (IPv6 as `[::1]:port=service`).
pub fn parse_port_map(s: &str) -> Result<(String, u16, Service), PortMapError> {
    let syntax = || PortMapError::Syntax(s.to_string());
    let (addr, svc) = s.rsplit_once('=').ok_or_else(syntax)?;
    let service =
        Service::parse(svc).ok_or_else(|| PortMapError::UnknownService(svc.to_string()))?;
    let (host, port) = addr.rsplit_once(':').ok_or_else(syntax)?;
    let port: u16 = port
        .parse()
        .map_err(|_| PortMapError::Port(port.to_string()))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok((host.to_string(), port, service))
}

/// Every (target, port, service) to ask, in order.
pub fn plan(opts: &Options) -> Vec<(String, u16, Service)> {
    let mut out = Vec::new();
    for t in &opts.targets {
        for &s in &opts.services {
            let mapped: Vec<u16> = opts
                .port_map
                .iter()
                .filter(|(h, _, ms)| h == t && *ms == s)
                .map(|(_, p, _)| *p)
                .collect();
            if !mapped.is_empty() {
                out.extend(mapped.into_iter().map(|p| (t.clone(), p, s)));
            } else if let Some(p) = s.default_port() {
                out.push((t.clone(), p, s));
            } else {
                let (lo, hi) = opts.nodeport_range;
                out.extend((lo..=hi).map(|p| (t.clone(), p, s)));
            }
        }
    }
    out
}

async fn ask(
    tls: Arc<rustls::ClientConfig>,
    target: String,
    port: u16,
    service: Service,
) -> Answer {
    let (use_tls, paths) = service.how();
    let host = target.trim_start_matches('[').trim_end_matches(']');
    let mut answer = Answer {
        target: target.clone(),
        port,
        service,
        state: "closed".into(),
        statuses: BTreeMap::new(),
        detail: None,
    };
    if paths.is_empty() {
        if http::connect(host, port).await == Reply::Open {
            answer.state = "open".into();
        }
        return answer;
    }
    for path in paths {
        let mut reply = http::get(use_tls.then_some(&tls), host, port, path).await;
        let mut plain_on_tls_port = false;
        if use_tls && matches!(reply, Reply::TlsFailed(_) | Reply::Open) {
            // A plain-HTTP server on a port that should be TLS (etcd without TLS).
            if let Reply::Status(s) = http::get(None, host, port, path).await {
                reply = Reply::Status(s);
                plain_on_tls_port = true;
            }
        }
        match reply {
            Reply::Closed => return answer,
            Reply::Open => answer.state = "open".into(),
            Reply::ClientCertRequired => {
                answer.state = "client-cert-required".into();
                return answer;
            }
            Reply::TlsFailed(d) => {
                answer.state = "tls-failed".into();
                answer.detail = Some(d);
                return answer;
            }
            Reply::Status(s) => {
                answer.state = if use_tls && !plain_on_tls_port {
                    "https"
                } else {
                    "http"
                }
                .into();
                answer.statuses.insert(path.to_string(), s);
            }
        }
    }
    answer
}

/// Probes everything `plan` lists, at most `concurrency` at once, each within `timeout`
/// (a probe that runs out of time counts as closed). Answers are in plan order.
pub async fn probe(opts: &Options) -> Vec<Answer> {
    let tls = http::tls_config();
    let sem = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let plan = plan(opts);
    for (i, (t, p, s)) in plan.iter().cloned().enumerate() {
        let sem = sem.clone();
        let tls = tls.clone();
        let timeout = opts.timeout;
        tasks.spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore open");
            let closed = Answer {
                target: t.clone(),
                port: p,
                service: s,
                state: "closed".into(),
                statuses: BTreeMap::new(),
                detail: Some("timed out".into()),
            };
            let a = tokio::time::timeout(timeout, ask(tls, t, p, s))
                .await
                .unwrap_or(closed);
            (i, a)
        });
    }
    let mut out: Vec<Option<Answer>> = vec![None; plan.len()];
    while let Some(r) = tasks.join_next().await {
        if let Ok((i, a)) = r {
            out[i] = Some(a);
        }
    }
    out.into_iter().flatten().collect()
}

pub use rules::{findings, rules};
pub use table::Role;
