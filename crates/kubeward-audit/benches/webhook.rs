//! `cargo bench -p kubeward-audit --features bench-gen --bench webhook`: batches per second through the audit
//! webhook receiver on loopback with TLS (rustls + ring): 4 keep-alive clients post
//! `EventList` batches of KW_BENCH_BATCH (default 400) generated events for KW_BENCH_SECS
//! (default 10) seconds; reports accepted batches/s and analyzed batches/s (end to end).

use axum::body::Bytes;
use kubeward_audit::webhook::{serve_tls, server_tls};
use kubeward_audit::{Analyzer, AuditSettings, WebhookConfig, webhook_router};
use kubeward_core::Registry;
use kubeward_core::config::Config;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let batch_size = env("KW_BENCH_BATCH", 400);
    let secs = env("KW_BENCH_SECS", 10);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().self_signed(&key).unwrap();
        let mut reg = Registry::new();
        reg.extend(kubeward_rules::rules());
        reg.extend(kubeward_audit::rules());
        let mut cfg = WebhookConfig::new(Analyzer::new(&reg, &Config::default(), AuditSettings::default()));
        cfg.stdout = false;
        cfg.queue_batches = 64;
        let (router, handle) = webhook_router(cfg);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}/", listener.local_addr().unwrap());
        let tls = server_tls(cert.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap();
        tokio::spawn(serve_tls(listener, router, tls));

        // Batches: the generated mix wrapped in EventLists.
        let lines = kubeward_audit::synth::lines(batch_size * 16, 11);
        let events: Vec<&str> = lines.lines().collect();
        let batches: Vec<Bytes> = events
            .chunks(batch_size as usize)
            .map(|c| Bytes::from(format!(r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{}]}}"#, c.join(","))))
            .collect();
        let avg = batches.iter().map(|b| b.len()).sum::<usize>() / batches.len();

        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.der().clone()).unwrap();
        let client_tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let https = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(client_tls).https_only().enable_http1().build();
        let client: hyper_util::client::legacy::Client<_, http_body_util::Full<Bytes>> =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(https);

        let accepted = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let deadline = start + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for w in 0..4 {
            let client = client.clone();
            let batches = batches.clone();
            let url = url.clone();
            let accepted = Arc::clone(&accepted);
            tasks.push(tokio::spawn(async move {
                let mut i = w;
                while Instant::now() < deadline {
                    let req = hyper::Request::post(&url)
                        .body(http_body_util::Full::new(batches[i % batches.len()].clone()))
                        .unwrap();
                    let res = client.request(req).await.unwrap();
                    assert_eq!(res.status(), 202);
                    accepted.fetch_add(1, Relaxed);
                    i += 4;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let posted = start.elapsed().as_secs_f64();
        assert!(handle.wait_idle(Duration::from_secs(120)).await);
        let total = start.elapsed().as_secs_f64();
        let m = &handle.metrics;
        let processed = m.batches_processed.load(Relaxed);
        println!(
            "batch {batch_size} events (~{} KiB): accepted {} batches in {posted:.1} s = {:.0} batches/s; analyzed {processed} ({} events) in {total:.1} s = {:.0} batches/s, {:.0} events/s; dropped {} batches",
            avg / 1024,
            accepted.load(Relaxed),
            accepted.load(Relaxed) as f64 / posted,
            m.events_analyzed.load(Relaxed),
            processed as f64 / total,
            m.events_analyzed.load(Relaxed) as f64 / total,
            m.batches_dropped.load(Relaxed),
        );
    });
}
