//! The API server's audit webhook backend: an axum router that accepts `EventList` batches,
//! answers at once, and analyzes them on a worker thread behind a bounded queue.
//!
//! ```text
//! POST / (or /audit)  ──▶ bounded queue (batches) ──▶ worker: reader + Analyzer
//!   202 at once           full: 503-free drop, counted   │
//!                                                        ├─▶ stdout (JSON lines)
//!                                                        └─▶ bounded buffer ──▶ POST alert URL (retries)
//! ```
//!
//! [`webhook_router`] must be called inside a Tokio runtime (the alert forwarder is a task).
//! The server that mounts the router serves TLS ([`serve_tls`] does it for the standalone
//! `kubeward audit webhook`); counters are plain atomics, [`WebhookMetrics::prometheus`]
//! renders them in the Prometheus text format for `/metrics`.

use crate::alert::Alert;
use crate::detect::{Analyzer, AnalyzerSink};
use crate::error::TlsError;
use crate::reader::{ReadOptions, maybe_gunzip, read_stream};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Where alerts are POSTed besides stdout.
#[derive(Clone, Debug)]
pub struct AlertTarget {
    /// `https://...` (or `http://` on loopback).
    pub url: String,
    /// Extra CA certificates (PEM) for the target; the system roots are used too.
    pub ca_pem: Option<Vec<u8>>,
    /// Alerts held while the target is slow or down; beyond it, new alerts are dropped and
    /// counted.
    pub buffer: usize,
    /// Attempts per batch of alerts before it is dropped (and counted).
    pub attempts: u32,
    /// Delay before the first retry; doubled each time.
    pub initial_backoff: Duration,
}

impl AlertTarget {
    pub fn new(url: impl Into<String>) -> AlertTarget {
        AlertTarget {
            url: url.into(),
            ca_pem: None,
            buffer: 10_000,
            attempts: 5,
            initial_backoff: Duration::from_millis(200),
        }
    }
}

/// A function called with every alert.
pub type AlertHook = Arc<dyn Fn(&Alert) + Send + Sync>;

/// Receiver configuration.
pub struct WebhookConfig {
    pub analyzer: Analyzer,
    /// Batches waiting for the worker; beyond it, batches are dropped and counted.
    pub queue_batches: usize,
    /// Largest request body (the API server's default batch limit is 10 MiB).
    pub max_body_bytes: usize,
    /// Write alerts to stdout as JSON lines.
    pub stdout: bool,
    pub alert_target: Option<AlertTarget>,
    /// Called with every alert (tests, or a server that publishes them elsewhere).
    pub on_alert: Option<AlertHook>,
}

impl WebhookConfig {
    pub fn new(analyzer: Analyzer) -> WebhookConfig {
        WebhookConfig {
            analyzer,
            queue_batches: 256,
            max_body_bytes: 10 << 20,
            stdout: true,
            alert_target: None,
            on_alert: None,
        }
    }
}

/// Receiver counters (monotonic).
#[derive(Debug, Default)]
pub struct WebhookMetrics {
    pub batches_received: AtomicU64,
    pub batches_processed: AtomicU64,
    /// Batches dropped because the queue was full.
    pub batches_dropped: AtomicU64,
    /// Events in dropped batches (counted by their `auditID` keys, without parsing).
    pub events_dropped: AtomicU64,
    pub events_analyzed: AtomicU64,
    pub bad_events: AtomicU64,
    pub alerts: AtomicU64,
    pub alerts_suppressed: AtomicU64,
    pub alerts_posted: AtomicU64,
    /// Alerts given up after all attempts to POST them.
    pub alerts_post_failed: AtomicU64,
    /// Alerts dropped because the outgoing buffer was full.
    pub alerts_buffer_dropped: AtomicU64,
}

impl WebhookMetrics {
    /// The counters in the Prometheus text exposition format.
    pub fn prometheus(&self) -> String {
        self.families(false)
    }

    /// The counters as OpenMetrics families (no `# EOF`), for a server that serves
    /// OpenMetrics (`kubeward serve --audit-webhook`).
    pub fn openmetrics(&self) -> String {
        self.families(true)
    }

    fn families(&self, openmetrics: bool) -> String {
        let mut o = String::new();
        for (name, help, v) in [
            (
                "batches_received",
                "Audit EventList batches received",
                &self.batches_received,
            ),
            (
                "batches_processed",
                "Audit batches analyzed",
                &self.batches_processed,
            ),
            (
                "batches_dropped",
                "Audit batches dropped because the queue was full",
                &self.batches_dropped,
            ),
            (
                "events_dropped",
                "Audit events in dropped batches",
                &self.events_dropped,
            ),
            (
                "events_analyzed",
                "Audit events read from batches",
                &self.events_analyzed,
            ),
            (
                "bad_events",
                "Batch items that were not readable audit events",
                &self.bad_events,
            ),
            ("alerts", "Active alerts raised", &self.alerts),
            (
                "alerts_suppressed",
                "Alerts suppressed by configuration",
                &self.alerts_suppressed,
            ),
            (
                "alerts_posted",
                "Alerts delivered to the alert URL",
                &self.alerts_posted,
            ),
            (
                "alerts_post_failed",
                "Alerts not delivered after all retries",
                &self.alerts_post_failed,
            ),
            (
                "alerts_buffer_dropped",
                "Alerts dropped because the outgoing buffer was full",
                &self.alerts_buffer_dropped,
            ),
        ] {
            // OpenMetrics names the family without the `_total` of its sample.
            let family = format!("kubeward_audit_webhook_{name}");
            let n = format!("{family}_total");
            let described = if openmetrics { &family } else { &n };
            o.push_str(&format!(
                "# HELP {described} {help}.\n# TYPE {described} counter\n{n} {}\n",
                v.load(Relaxed)
            ));
        }
        o
    }
}

/// What the caller keeps: the counters, and the worker to wait for.
pub struct WebhookHandle {
    pub metrics: Arc<WebhookMetrics>,
    worker: Option<std::thread::JoinHandle<crate::alert::Summary>>,
}

impl WebhookHandle {
    /// Waits until every accepted batch has been analyzed (or `timeout` passes). Returns
    /// whether the queue drained.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let m = &self.metrics;
            let done = m.batches_processed.load(Relaxed) + m.batches_dropped.load(Relaxed);
            if done >= m.batches_received.load(Relaxed) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// After the router is dropped: waits for the worker and returns its summary.
    pub fn join(mut self) -> Option<crate::alert::Summary> {
        self.worker.take().and_then(|w| w.join().ok())
    }
}

#[derive(Clone)]
struct Shared {
    queue: std::sync::mpsc::SyncSender<Bytes>,
    metrics: Arc<WebhookMetrics>,
}

/// The audit webhook router (`POST /` and `POST /audit`) and its handle.
pub fn webhook_router(cfg: WebhookConfig) -> (Router, WebhookHandle) {
    let metrics = Arc::new(WebhookMetrics::default());
    let (tx, rx) = std::sync::mpsc::sync_channel::<Bytes>(cfg.queue_batches.max(1));
    let forward = cfg
        .alert_target
        .clone()
        .map(|t| spawn_forwarder(t, Arc::clone(&metrics)));
    let worker = {
        let metrics = Arc::clone(&metrics);
        let mut analyzer = cfg.analyzer;
        let stdout = cfg.stdout;
        let on_alert = cfg.on_alert;
        std::thread::Builder::new()
            .name("kubeward-audit-webhook".into())
            .spawn(move || {
                let mut n = 0u64;
                let opts = ReadOptions::default();
                while let Ok(batch) = rx.recv() {
                    n += 1;
                    let name = format!("webhook batch {n}");
                    let before = (analyzer.summary().events, analyzer.summary().bad);
                    let mut out = |a: Alert| {
                        if a.is_active() {
                            metrics.alerts.fetch_add(1, Relaxed);
                        } else {
                            metrics.alerts_suppressed.fetch_add(1, Relaxed);
                        }
                        if let Some(f) = &on_alert {
                            f(&a);
                        }
                        if stdout {
                            let mut o = std::io::stdout().lock();
                            let _ = crate::output::write_jsonl(&mut o, &a);
                            let _ = o.flush();
                        }
                        if let Some(tx) = &forward {
                            if a.is_active() && tx.try_send(a).is_err() {
                                metrics.alerts_buffer_dropped.fetch_add(1, Relaxed);
                            }
                        }
                    };
                    let mut sink = AnalyzerSink {
                        analyzer: &mut analyzer,
                        out: &mut out,
                    };
                    if let Ok(input) = maybe_gunzip(&batch[..]) {
                        if let Err(e) = read_stream(&name, input, &opts, &mut sink) {
                            sink.analyzer.bad(
                                crate::reader::Location {
                                    file: &name,
                                    line: 0,
                                    item: None,
                                },
                                &format!("cannot read batch: {e}"),
                            );
                        }
                    }
                    let s = analyzer.summary();
                    metrics
                        .events_analyzed
                        .fetch_add(s.events - before.0, Relaxed);
                    metrics.bad_events.fetch_add(s.bad - before.1, Relaxed);
                    metrics.batches_processed.fetch_add(1, Relaxed);
                }
                analyzer.into_summary()
            })
            .expect("spawn the audit webhook worker")
    };
    let shared = Shared {
        queue: tx,
        metrics: Arc::clone(&metrics),
    };
    let router = Router::new()
        .route("/", post(receive))
        .route("/audit", post(receive))
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .with_state(shared);
    (
        router,
        WebhookHandle {
            metrics,
            worker: Some(worker),
        },
    )
}

async fn receive(State(s): State<Shared>, body: Bytes) -> StatusCode {
    s.metrics.batches_received.fetch_add(1, Relaxed);
    if body.is_empty() {
        s.metrics.batches_processed.fetch_add(1, Relaxed);
        return StatusCode::BAD_REQUEST;
    }
    let events = memchr::memmem::find_iter(&body, b"\"auditID\"").count() as u64;
    match s.queue.try_send(body) {
        Ok(()) => StatusCode::ACCEPTED,
        Err(_) => {
            // Answering an error would make the API server retry the same batch into the
            // same full queue and back up its own buffer; the drop is counted instead.
            s.metrics.batches_dropped.fetch_add(1, Relaxed);
            s.metrics.events_dropped.fetch_add(events, Relaxed);
            StatusCode::ACCEPTED
        }
    }
}

/// The ring-backed rustls provider (aws-lc-rs stays out of the tree).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn spawn_forwarder(
    target: AlertTarget,
    metrics: Arc<WebhookMetrics>,
) -> tokio::sync::mpsc::Sender<Alert> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Alert>(target.buffer.max(1));
    let forward = async move {
        let client = match alert_client(target.ca_pem.as_deref()) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("kubeward audit webhook: alert URL disabled: {e}");
                while let Some(_a) = rx.recv().await {
                    metrics.alerts_post_failed.fetch_add(1, Relaxed);
                }
                return;
            }
        };
        let mut batch: Vec<Alert> = Vec::new();
        while let Some(a) = rx.recv().await {
            batch.push(a);
            while batch.len() < 100 {
                match rx.try_recv() {
                    Ok(a) => batch.push(a),
                    Err(_) => break,
                }
            }
            let body = serde_json::to_vec(&batch).unwrap_or_default();
            let n = batch.len() as u64;
            batch.clear();
            let mut delay = target.initial_backoff;
            let mut delivered = false;
            for attempt in 0..target.attempts.max(1) {
                if attempt > 0 {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
                let req = hyper::Request::post(&target.url)
                    .header("content-type", "application/json")
                    .body(http_body_util::Full::new(Bytes::from(body.clone())));
                let Ok(req) = req else { break };
                let res = tokio::time::timeout(Duration::from_secs(10), client.request(req)).await;
                if let Ok(Ok(r)) = res {
                    if r.status().is_success() {
                        delivered = true;
                        break;
                    }
                    // 4xx other than 408/429: the target refuses this content; do not retry.
                    let s = r.status().as_u16();
                    if (400..500).contains(&s) && s != 408 && s != 429 {
                        break;
                    }
                }
            }
            if delivered {
                metrics.alerts_posted.fetch_add(n, Relaxed);
            } else {
                metrics.alerts_post_failed.fetch_add(n, Relaxed);
            }
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn(forward);
        }
        // Built before the server's runtime exists (`kubeward serve --audit-webhook` makes its
        // routes first): the forwarder gets a small runtime of its own, which ends when the
        // receiver, and with it every sender, is dropped.
        Err(_) => {
            let spawned = std::thread::Builder::new()
                .name("kubeward-audit-alerts".into())
                .spawn(move || {
                    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        rt.block_on(forward);
                    }
                });
            if let Err(e) = spawned {
                eprintln!("kubeward audit webhook: alert URL disabled: {e}");
            }
        }
    }
    tx
}

type Client = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Full<Bytes>,
>;

fn alert_client(ca_pem: Option<&[u8]>) -> Result<Client, TlsError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for c in native.certs {
        let _ = roots.add(c);
    }
    if let Some(pem) = ca_pem {
        for c in CertificateDer::pem_slice_iter(pem) {
            let c = c.map_err(TlsError::CaPem)?;
            roots.add(c).map_err(TlsError::CaCertificate)?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https),
    )
}

/// A rustls server configuration from PEM certificate chain and key.
pub fn server_tls(cert_pem: &[u8], key_pem: &[u8]) -> Result<rustls::ServerConfig, TlsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(TlsError::CertificatePem)?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(TlsError::KeyPem)?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(TlsError::Mismatch)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Serves `router` over TLS on `listener` until the task is dropped (the standalone
/// `kubeward audit webhook`; `kubeward serve` mounts the router in its own server).
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    router: Router,
    tls: rustls::ServerConfig,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        tokio::spawn(async move {
            let Ok(Ok(stream)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
            else {
                return;
            };
            let svc = tower::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let router = router.clone();
                async move {
                    use tower::ServiceExt;
                    router.oneshot(req.map(axum::body::Body::new)).await
                }
            });
            let _ =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(stream),
                        hyper_util::service::TowerToHyperService::new(svc),
                    )
                    .await;
        });
    }
}

/// Runs the receiver as its own HTTPS server until the process ends (`kubeward audit
/// webhook`): the webhook router plus `GET /metrics` (Prometheus text) and `GET /healthz`.
/// Builds its own Tokio runtime.
pub fn serve_blocking(
    listen: std::net::SocketAddr,
    tls: rustls::ServerConfig,
    cfg: WebhookConfig,
    ready: impl FnOnce(std::net::SocketAddr),
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let (router, handle) = webhook_router(cfg);
        let metrics = Arc::clone(&handle.metrics);
        let router = router
            .route(
                "/metrics",
                axum::routing::get(move || {
                    let m = Arc::clone(&metrics);
                    async move { m.prometheus() }
                }),
            )
            .route("/healthz", axum::routing::get(|| async { "ok" }));
        ready(listener.local_addr()?);
        serve_tls(listener, router, tls).await;
        drop(handle);
        Ok(())
    })
}
