//! `kubeward serve`: the admission server (validating and mutating webhooks, ImagePolicyWebhook
//! backend) over HTTPS. The rules and `.kubeward.yaml` are those of `scan`; the `admission:`
//! block of the config says what is enforced. See docs/admission.md.

use super::usage_error;
use clap::Args;
use kubeward_audit::{Analyzer, AuditSettings, WebhookConfig};
use kubeward_core::config::Config;
use kubeward_server::server::{ServeOptions, run};
use kubeward_server::{AdmissionSettings, Policy};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443")]
    listen: std::net::SocketAddr,
    /// Serving certificate chain (PEM); re-read when it changes.
    #[arg(long, env = "KUBEWARD_TLS_CERT", value_name = "FILE")]
    cert: PathBuf,
    /// Serving private key (PEM); re-read when it changes.
    #[arg(long, env = "KUBEWARD_TLS_KEY", value_name = "FILE")]
    key: PathBuf,
    /// The .kubeward.yaml with the rules settings and the `admission:` block.
    #[arg(long, env = "KUBEWARD_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// The server's own namespace (exempt by default).
    #[arg(long, env = "POD_NAMESPACE")]
    namespace: Option<String>,
    /// How often to check the certificate files for changes, in seconds.
    #[arg(long, default_value_t = 2)]
    reload_seconds: u64,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Receive the API server's audit webhook too, on POST /audit (and POST /) of the same
    /// listener: events are analyzed with the `audit:` block of the config, alerts are written
    /// to stdout as JSON lines and counted on /metrics (see docs/audit.md).
    #[arg(long)]
    audit_webhook: bool,
    /// Audit batches waiting for analysis; beyond it batches are dropped and counted.
    #[arg(long, default_value_t = 256, requires = "audit_webhook")]
    audit_queue_batches: usize,
    /// Also POST audit alerts (JSON arrays, with retries and a bounded buffer) to this HTTPS
    /// URL.
    #[arg(long, value_name = "URL", requires = "audit_webhook")]
    audit_alert_url: Option<String>,
    /// CA bundle that signed the alert URL's certificate (default: the system roots).
    #[arg(long, value_name = "FILE", requires = "audit_alert_url")]
    audit_alert_ca: Option<PathBuf>,
}

pub fn run_serve(args: ServeArgs) -> ExitCode {
    let registry = kubeward::registry();
    let (config, admission) = match &args.config {
        None => (Config::default(), AdmissionSettings::default()),
        Some(p) => {
            let config = match Config::load(p, &registry) {
                Ok(c) => c,
                Err(e) => return usage_error(e.to_string()),
            };
            let text = std::fs::read_to_string(p).unwrap_or_default();
            match AdmissionSettings::parse(&text, &p.display().to_string(), &|id| {
                registry.get(id).is_some()
            }) {
                Ok(a) => (config, a),
                Err(e) => return usage_error(e.to_string()),
            }
        }
    };
    let mut routes = None;
    let mut extra_metrics = None;
    let mut audit_handle = None;
    if args.audit_webhook {
        let settings = match AuditSettings::from_config(&config, &registry) {
            Ok(s) => s,
            Err(e) => return usage_error(e.to_string()),
        };
        let mut cfg = WebhookConfig::new(Analyzer::new(&registry, &config, settings));
        cfg.queue_batches = args.audit_queue_batches;
        if let Some(url) = &args.audit_alert_url {
            let mut t = kubeward_audit::webhook::AlertTarget::new(url.clone());
            if let Some(ca) = &args.audit_alert_ca {
                match std::fs::read(ca) {
                    Ok(pem) => t.ca_pem = Some(pem),
                    Err(e) => return usage_error(format!("{}: {e}", ca.display())),
                }
            }
            cfg.alert_target = Some(t);
        }
        let (router, handle) = kubeward_audit::webhook_router(cfg);
        let counters = Arc::clone(&handle.metrics);
        extra_metrics = Some(Arc::new(move || counters.openmetrics()) as _);
        routes = Some(router);
        audit_handle = Some(handle);
    }
    let policy = Policy::new(&registry, config, admission, args.namespace.clone());
    let opts = ServeOptions {
        listen: args.listen,
        cert: args.cert,
        key: args.key,
        reload_every: Duration::from_secs(args.reload_seconds.max(1)),
        threads: args.threads,
        extra_metrics,
    };
    let result = run(policy, opts, routes);
    if let Some(h) = audit_handle {
        // Batches accepted before the shutdown are analyzed before the process exits.
        let _ = h.join();
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => usage_error(e),
    }
}
