//! The audit webhook receiver on loopback with TLS (rustls + ring, certificates made here).

mod common;
use axum::body::Bytes;
use common::*;
use kubeward_audit::webhook::{AlertTarget, serve_tls, server_tls};
use kubeward_audit::{Alert, Analyzer, AuditSettings, WebhookConfig, webhook_router};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Tls {
    cert_pem: String,
    key_pem: String,
}

fn cert() -> Tls {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    Tls {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

type Client = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Full<Bytes>,
>;

fn client(ca_pem: &str) -> Client {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(https)
}

async fn post(c: &Client, url: &str, body: Vec<u8>) -> u16 {
    let req = hyper::Request::post(url)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(Bytes::from(body)))
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), c.request(req))
        .await
        .expect("no answer within 10 s")
        .expect("request")
        .status()
        .as_u16()
}

fn analyzer() -> Analyzer {
    let reg = registry();
    let cfg = config("");
    Analyzer::new(&reg, &cfg, AuditSettings::from_config(&cfg, &reg).unwrap())
}

async fn start(router: axum::Router, tls: &Tls) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cfg = server_tls(tls.cert_pem.as_bytes(), tls.key_pem.as_bytes()).unwrap();
    tokio::spawn(serve_tls(listener, router, cfg));
    format!("https://127.0.0.1:{}", addr.port())
}

fn batch(n: usize) -> Vec<u8> {
    let items: Vec<_> = (0..n)
        .map(|i| {
            ev(
                &format!("user{i}"),
                "create",
                "pods/exec",
                Some("prod"),
                Some("web"),
            )
        })
        .collect();
    serde_json::to_vec(
        &json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": items}),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receives_batches_over_tls_and_forwards_alerts_with_retries() {
    let tls = cert();
    // The alert target: refuses the first POST with 503, then accepts.
    let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let target = {
        let received = Arc::clone(&received);
        let calls = Arc::clone(&calls);
        axum::Router::new().route(
            "/alerts",
            axum::routing::post(move |body: Bytes| {
                let received = Arc::clone(&received);
                let calls = Arc::clone(&calls);
                async move {
                    if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let v: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
                    received.lock().unwrap().extend(v);
                    axum::http::StatusCode::OK
                }
            }),
        )
    };
    let target_url = start(target, &tls).await;

    let seen: Arc<Mutex<Vec<Alert>>> = Arc::default();
    let mut cfg = WebhookConfig::new(analyzer());
    cfg.stdout = false;
    let s = Arc::clone(&seen);
    cfg.on_alert = Some(Arc::new(move |a: &Alert| s.lock().unwrap().push(a.clone())));
    let mut t = AlertTarget::new(format!("{target_url}/alerts"));
    t.ca_pem = Some(tls.cert_pem.clone().into_bytes());
    t.initial_backoff = Duration::from_millis(20);
    cfg.alert_target = Some(t);
    let (router, handle) = webhook_router(cfg);
    let url = start(router, &tls).await;

    let c = client(&tls.cert_pem);
    assert_eq!(post(&c, &url, batch(400)).await, 202);
    assert_eq!(post(&c, &format!("{url}/audit"), batch(3)).await, 202);
    assert!(handle.wait_idle(Duration::from_secs(20)).await);
    assert_eq!(seen.lock().unwrap().len(), 403);
    let m = &handle.metrics;
    use std::sync::atomic::Ordering::Relaxed;
    assert_eq!(m.events_analyzed.load(Relaxed), 403);
    assert_eq!(m.alerts.load(Relaxed), 403);
    // Delivery is asynchronous: wait for the forwarder (bounded).
    for _ in 0..500 {
        if m.alerts_posted.load(Relaxed) + m.alerts_post_failed.load(Relaxed) >= 403 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(m.alerts_posted.load(Relaxed), 403);
    assert_eq!(received.lock().unwrap().len(), 403);
    assert!(
        calls.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "the first POST was retried"
    );
    assert_eq!(received.lock().unwrap()[0]["rule"], "KW-AUD-001");
    let prom = m.prometheus();
    assert!(
        prom.contains("kubeward_audit_webhook_events_analyzed_total 403"),
        "{prom}"
    );

    // Over the body limit: refused by the router, nothing queued. The server answers 413 as
    // soon as it reads Content-Length and may close the connection while the client is still
    // writing, which the client sees as a broken pipe instead of the status (on a busy machine).
    let big = vec![b' '; 11 << 20];
    let req = hyper::Request::post(&url)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(Bytes::from(big)))
        .unwrap();
    match tokio::time::timeout(Duration::from_secs(10), c.request(req))
        .await
        .expect("no answer within 10 s")
    {
        Ok(resp) => assert_eq!(resp.status().as_u16(), 413),
        Err(e) => assert!(
            format!("{e:?}").contains("BrokenPipe") || format!("{e:?}").contains("ConnectionReset"),
            "the oversized body was neither refused with 413 nor cut off: {e:?}"
        ),
    }
    assert_eq!(
        m.events_analyzed.load(Relaxed),
        403,
        "nothing of it was analyzed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_drops_and_counts_batches() {
    let tls = cert();
    // The worker blocks in the alert hook until released: the queue (1 batch) then fills.
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let entered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut cfg = WebhookConfig::new(analyzer());
    cfg.stdout = false;
    cfg.queue_batches = 1;
    let (g, en) = (Arc::clone(&gate), Arc::clone(&entered));
    cfg.on_alert = Some(Arc::new(move |_a: &Alert| {
        en.store(true, std::sync::atomic::Ordering::SeqCst);
        let (lock, cv) = &*g;
        let mut open = lock.lock().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !*open && std::time::Instant::now() < deadline {
            open = cv.wait_timeout(open, Duration::from_millis(50)).unwrap().0;
        }
    }));
    let (router, handle) = webhook_router(cfg);
    let url = start(router, &tls).await;
    let c = client(&tls.cert_pem);
    assert_eq!(post(&c, &url, batch(1)).await, 202);
    for _ in 0..1000 {
        if entered.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(post(&c, &url, batch(2)).await, 202); // queued
    assert_eq!(post(&c, &url, batch(5)).await, 202); // dropped, still answered at once
    use std::sync::atomic::Ordering::Relaxed;
    assert_eq!(handle.metrics.batches_dropped.load(Relaxed), 1);
    assert_eq!(handle.metrics.events_dropped.load(Relaxed), 5);
    {
        let (lock, cv) = &*gate;
        *lock.lock().unwrap() = true;
        cv.notify_all();
    }
    assert!(handle.wait_idle(Duration::from_secs(20)).await);
    assert_eq!(handle.metrics.events_analyzed.load(Relaxed), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_server_serves_metrics_and_health() {
    let tls = cert();
    let mut cfg = WebhookConfig::new(analyzer());
    cfg.stdout = false;
    let server_cfg = server_tls(tls.cert_pem.as_bytes(), tls.key_pem.as_bytes()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // The server runs its own runtime on its own thread until the test process ends.
    std::thread::spawn(move || {
        kubeward_audit::webhook::serve_blocking(
            "127.0.0.1:0".parse().unwrap(),
            server_cfg,
            cfg,
            |a| tx.send(a).unwrap(),
        )
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("server started");
    let url = format!("https://{addr}");
    let c = client(&tls.cert_pem);
    assert_eq!(post(&c, &format!("{url}/audit"), batch(2)).await, 202);
    let get = |path: &str| {
        let req = hyper::Request::get(format!("{url}{path}"))
            .body(http_body_util::Full::new(Bytes::new()))
            .unwrap();
        c.request(req)
    };
    let mut text = String::new();
    for _ in 0..200 {
        let res = tokio::time::timeout(Duration::from_secs(10), get("/metrics"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(res.status(), 200);
        use http_body_util::BodyExt;
        text = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec())
            .unwrap();
        if text.contains("kubeward_audit_webhook_events_analyzed_total 2") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        text.contains("kubeward_audit_webhook_alerts_total 2"),
        "{text}"
    );
    let res = tokio::time::timeout(Duration::from_secs(10), get("/healthz"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[test]
fn alerts_are_forwarded_when_the_router_is_built_before_any_runtime() {
    // `kubeward serve --audit-webhook` builds the receiver before its server's runtime starts:
    // the alert forwarder must not need one at that point.
    let tls = cert();
    let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let target = {
        let received = Arc::clone(&received);
        axum::Router::new().route(
            "/alerts",
            axum::routing::post(move |body: Bytes| {
                let received = Arc::clone(&received);
                async move {
                    let v: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
                    received.lock().unwrap().extend(v);
                    axum::http::StatusCode::OK
                }
            }),
        )
    };
    let target_url = rt.block_on(start(target, &tls));
    let mut cfg = WebhookConfig::new(analyzer());
    cfg.stdout = false;
    let mut t = AlertTarget::new(format!("{target_url}/alerts"));
    t.ca_pem = Some(tls.cert_pem.clone().into_bytes());
    cfg.alert_target = Some(t);
    // Outside any runtime.
    assert!(tokio::runtime::Handle::try_current().is_err());
    let (router, handle) = webhook_router(cfg);
    rt.block_on(async {
        let url = start(router, &tls).await;
        let c = client(&tls.cert_pem);
        assert_eq!(post(&c, &url, batch(2)).await, 202);
        assert!(handle.wait_idle(Duration::from_secs(20)).await);
        use std::sync::atomic::Ordering::Relaxed;
        for _ in 0..500 {
            if handle.metrics.alerts_posted.load(Relaxed) >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(handle.metrics.alerts_posted.load(Relaxed), 2);
    });
    assert_eq!(received.lock().unwrap().len(), 2);
}
