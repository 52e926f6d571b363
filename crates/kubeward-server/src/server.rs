//! The HTTPS server: routes, shared state, the accept loop.

use crate::error::{Error, RequestError};
use crate::log::DecisionLog;
use crate::metrics::{DecisionLabels, EndpointLabels, Metrics, RequestLabels, RuleLabels};
use crate::mutate::Mutator;
use crate::policy::Policy;
use crate::review::{
    ADMISSION_V1, AdmissionRequest, AdmissionReview, AdmissionReviewOut, IMAGEPOLICY_V1ALPHA1,
    ImageReview, ImageReviewOut,
};
use crate::tls::ReloadingCert;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// What the handlers share.
pub struct AppState {
    policy: RwLock<Arc<Policy>>,
    pub metrics: Metrics,
    pub log: DecisionLog,
    pub mutator: Mutator,
    pub cert: Option<Arc<ReloadingCert>>,
    /// More metric families (OpenMetrics text, without `# EOF`) served on /metrics: those of
    /// routes mounted beside the admission ones.
    extra_metrics: RwLock<Option<ExtraMetrics>>,
}

/// A source of extra OpenMetrics families.
pub type ExtraMetrics = Arc<dyn Fn() -> String + Send + Sync>;

impl AppState {
    pub fn new(
        policy: Policy,
        log: DecisionLog,
        cert: Option<Arc<ReloadingCert>>,
    ) -> Result<Arc<AppState>, Error> {
        let mutator = Mutator::new(&policy.admission.mutate)?;
        Ok(Arc::new(AppState {
            policy: RwLock::new(Arc::new(policy)),
            metrics: Metrics::default(),
            log,
            mutator,
            cert,
            extra_metrics: RwLock::new(None),
        }))
    }

    /// Serves `families` on /metrics as well.
    pub fn set_extra_metrics(&self, families: ExtraMetrics) {
        if let Ok(mut m) = self.extra_metrics.write() {
            *m = Some(families);
        }
    }

    pub fn policy(&self) -> Arc<Policy> {
        self.policy
            .read()
            .map(|p| p.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Puts a new policy in service (a reloaded config).
    pub fn set_policy(&self, policy: Policy) {
        if let Ok(mut p) = self.policy.write() {
            *p = Arc::new(policy);
        }
    }
}

/// The server: its own routes plus any mounted with [`Server::with_routes`].
pub struct Server {
    pub state: Arc<AppState>,
    extra: Router,
}

impl Server {
    pub fn new(state: Arc<AppState>) -> Server {
        Server {
            state,
            extra: Router::new(),
        }
    }

    /// Mounts more routes (the audit-webhook receiver, for one) on the same listener.
    pub fn with_routes(mut self, routes: Router) -> Server {
        self.extra = self.extra.merge(routes);
        self
    }

    pub fn router(&self) -> Router {
        let max = self.state.policy().admission.max_body_bytes;
        Router::new()
            .route("/validate", post(validate))
            .route("/mutate", post(mutate))
            .route("/imagepolicy", post(imagepolicy))
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .layer(DefaultBodyLimit::max(max))
            .layer(middleware::from_fn_with_state(self.state.clone(), track))
            .with_state(self.state.clone())
            .merge(self.extra.clone())
    }

    /// Serves HTTPS on `listener` until `shutdown` turns true. The certificate comes from
    /// the state's [`ReloadingCert`], checked for changes every `reload_every`.
    pub async fn serve(
        self,
        listener: TcpListener,
        mut shutdown: watch::Receiver<bool>,
        reload_every: Duration,
    ) -> std::io::Result<()> {
        let cert = self.state.cert.clone().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "no certificate")
        })?;
        let acceptor = tokio_rustls::TlsAcceptor::from(cert.server_config());
        let app = self.router();
        let state = self.state.clone();
        // The certificate watcher.
        let mut stop_watch = shutdown.clone();
        let watcher_state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(reload_every);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop_watch.changed() => break,
                }
                let Some(c) = &watcher_state.cert else { break };
                let m = &watcher_state.metrics;
                match c.reload() {
                    Ok(true) => {
                        m.cert_reloads
                            .get_or_create(&crate::metrics::ResultLabels {
                                result: "ok".into(),
                            })
                            .inc();
                        m.cert_loaded.set(crate::log::now() as i64);
                        eprintln!("kubeward serve: serving certificate reloaded");
                    }
                    Ok(false) => {}
                    Err(e) => {
                        m.cert_reloads
                            .get_or_create(&crate::metrics::ResultLabels {
                                result: "error".into(),
                            })
                            .inc();
                        eprintln!(
                            "kubeward serve: certificate reload failed (keeping the previous one): {e}"
                        );
                    }
                }
            }
        });
        state.metrics.cert_loaded.set(crate::log::now() as i64);
        loop {
            let (tcp, _) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(c) => c,
                    // Out of file descriptors and the like: back off briefly.
                    Err(_) => { tokio::time::sleep(Duration::from_millis(20)).await; continue; }
                },
                _ = shutdown.changed() => break,
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let app = app.clone();
            tokio::spawn(async move {
                let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp))
                    .await
                {
                    Ok(Ok(t)) => t,
                    _ => return,
                };
                let svc = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .http1_only()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
        Ok(())
    }
}

async fn track(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let t = Instant::now();
    let resp = next.run(req).await;
    let endpoint = match path.as_str() {
        "/validate" | "/mutate" | "/imagepolicy" | "/healthz" | "/readyz" | "/metrics" => path,
        _ => "other".into(),
    };
    let m = &state.metrics;
    m.requests
        .get_or_create(&RequestLabels {
            endpoint: endpoint.clone(),
            code: resp.status().as_u16(),
        })
        .inc();
    m.latency
        .get_or_create(&EndpointLabels { endpoint })
        .observe(t.elapsed().as_secs_f64());
    resp
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

fn json_response<T: serde::Serialize>(v: &T) -> Response {
    match serde_json::to_vec(v) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Decodes an AdmissionReview v1 body; a clear error otherwise.
pub fn decode_admission(body: &[u8]) -> Result<AdmissionRequest, RequestError> {
    let review: AdmissionReview = serde_json::from_slice(body).map_err(RequestError::Decode)?;
    if review.api_version != ADMISSION_V1 || review.kind != "AdmissionReview" {
        return Err(RequestError::WrongVersion {
            expected: ADMISSION_V1,
            kind: review.kind,
            api_version: review.api_version,
        });
    }
    let req = review.request.ok_or(RequestError::NoRequest)?;
    if req.uid.is_empty() {
        return Err(RequestError::NoUid);
    }
    Ok(req)
}

fn count_decision(state: &AppState, endpoint: &str, allowed: bool) {
    state
        .metrics
        .decisions
        .get_or_create(&DecisionLabels {
            endpoint: endpoint.into(),
            allowed: allowed.to_string(),
        })
        .inc();
}

async fn validate(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let t = Instant::now();
    let req = match decode_admission(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e.to_string()),
    };
    let policy = state.policy();
    // The rules on one object take tens of microseconds and the engine runs a one-object
    // inventory on the calling thread: deciding here costs less than a hop to another pool
    // and back (measured: `cargo bench -p kubeward-server --bench load`). Bodies are capped,
    // so one request cannot hold a worker for long.
    let mut out = crate::validate::validate(&policy, &req);
    for f in &out.findings {
        state
            .metrics
            .rule_findings
            .get_or_create(&RuleLabels {
                rule: f.rule.into(),
                action: f.action.as_str().into(),
            })
            .inc();
    }
    count_decision(&state, "validate", out.response.allowed);
    out.record.micros = t.elapsed().as_micros() as u64;
    state.log.write(&out.record);
    json_response(&AdmissionReviewOut::new(out.response))
}

async fn mutate(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let t = Instant::now();
    let req = match decode_admission(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e.to_string()),
    };
    let policy = state.policy();
    let (resp, mut record) = state.mutator.mutate(&policy, &req, &state.metrics).await;
    count_decision(&state, "mutate", resp.allowed);
    record.allowed = resp.allowed;
    record.micros = t.elapsed().as_micros() as u64;
    state.log.write(&record);
    json_response(&AdmissionReviewOut::new(resp))
}

async fn imagepolicy(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let t = Instant::now();
    let review: ImageReview = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(format!("cannot decode the ImageReview: {e}")),
    };
    if review.api_version != IMAGEPOLICY_V1ALPHA1 || review.kind != "ImageReview" {
        return bad_request(format!(
            "expected an ImageReview of apiVersion {IMAGEPOLICY_V1ALPHA1}, got kind `{}` apiVersion `{}`",
            review.kind, review.api_version
        ));
    }
    let policy = state.policy();
    let status = crate::imagepolicy::review(&policy, &review);
    count_decision(&state, "imagepolicy", status.allowed);
    let record = crate::log::DecisionRecord {
        time: crate::log::now(),
        endpoint: "imagepolicy",
        namespace: review.spec.namespace.clone(),
        allowed: status.allowed,
        images: review
            .spec
            .containers
            .iter()
            .map(|c| c.image.clone())
            .collect(),
        note: status
            .audit_annotations
            .get("break-glass")
            .map(|b| format!("break-glass: {b}"))
            .or_else(|| (!status.reason.is_empty()).then(|| status.reason.clone())),
        micros: t.elapsed().as_micros() as u64,
        ..Default::default()
    };
    state.log.write(&record);
    json_response(&ImageReviewOut {
        api_version: IMAGEPOLICY_V1ALPHA1,
        kind: "ImageReview",
        status,
    })
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    match &state.cert {
        Some(c) if c.is_loaded() => (StatusCode::OK, "ready").into_response(),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: no serving certificate loaded",
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut body = state.metrics.encode();
    let extra = state.extra_metrics.read().ok().and_then(|m| m.clone());
    if let Some(extra) = extra {
        // The families go before the `# EOF` terminator.
        let at = body.rfind("# EOF").unwrap_or(body.len());
        body.insert_str(at, &extra());
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// How `kubeward serve` runs.
pub struct ServeOptions {
    pub listen: std::net::SocketAddr,
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
    pub reload_every: Duration,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Extra metric families for /metrics (see [`AppState::set_extra_metrics`]).
    pub extra_metrics: Option<ExtraMetrics>,
}

/// Runs the server until SIGTERM or Ctrl-C. `routes` are mounted beside the admission ones.
pub fn run(policy: Policy, opts: ServeOptions, routes: Option<Router>) -> Result<(), Error> {
    let cert = ReloadingCert::new(&opts.cert, &opts.key)?;
    let log =
        DecisionLog::open(&policy.admission.decision_log).map_err(|source| Error::DecisionLog {
            target: policy.admission.decision_log.clone(),
            source,
        })?;
    let state = AppState::new(policy, log, Some(cert))?;
    if let Some(m) = opts.extra_metrics.clone() {
        state.set_extra_metrics(m);
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if opts.threads > 0 {
        rt.worker_threads(opts.threads);
    }
    let rt = rt.build().map_err(Error::Runtime)?;
    rt.block_on(async move {
        let listener = TcpListener::bind(opts.listen)
            .await
            .map_err(|source| Error::Listen {
                addr: opts.listen,
                source,
            })?;
        eprintln!("kubeward serve: listening on https://{}", opts.listen);
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            let term = async {
                #[cfg(unix)]
                {
                    if let Ok(mut s) =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    {
                        s.recv().await;
                        return;
                    }
                }
                std::future::pending::<()>().await
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term => {}
            }
            let _ = tx.send(true);
        });
        let mut server = Server::new(state);
        if let Some(r) = routes {
            server = server.with_routes(r);
        }
        server
            .serve(listener, rx, opts.reload_every)
            .await
            .map_err(Error::Serve)
    })
}
