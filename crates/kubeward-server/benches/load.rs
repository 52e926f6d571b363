//! Load generator: keep-alive TLS connections on loopback against an in-process server,
//! reporting throughput and latency percentiles for `/validate` and for `/mutate` with a warm
//! digest cache (a loopback registry stub answers the first lookup of each tag; every measured
//! request is a cache hit).
//!
//!   cargo bench -p kubeward-server --bench load
//!   KW_BENCH_SECONDS=10 KW_BENCH_CONNS=16 cargo bench -p kubeward-server --bench load
//!   KW_BENCH_RATES=2000,8000 cargo bench -p kubeward-server --bench load   (open-loop rates)
//!
//! Closed loop (each connection sends its next request when the answer arrives) measures
//! throughput at saturation; its latency is mostly the queue of the other connections. Open
//! loop (requests due at a fixed rate, latency from the moment each was due) measures what a
//! caller sees at a given load.
//!
//! The server runs on a runtime of two worker threads, the load generator on another two: on
//! a two-core machine both share the same cores, as they would with a client on the host.

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use kubeward_core::config::Settings;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const DIGEST: &str = "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";

fn deployment(image: &str) -> serde_json::Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web", "team": "payments"},
                     "annotations": {"deployment.kubernetes.io/revision": "3"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"serviceAccountName": "web", "automountServiceAccountToken": false,
                    "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "runAsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{"name": "web", "image": image, "imagePullPolicy": "IfNotPresent",
                        "ports": [{"containerPort": 8080, "name": "http"}],
                        "env": [{"name": "MODE", "value": "production"}, {"name": "LOG", "value": "info"}],
                        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
                        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}}}]}}}})
}

fn pod(image: &str) -> serde_json::Value {
    let d = deployment(image);
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "shop"},
           "spec": d["spec"]["template"]["spec"]})
}

struct Figures {
    requests: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
}

async fn run_load(
    addr: std::net::SocketAddr,
    ca: &str,
    path: &'static str,
    body: Vec<u8>,
    conns: usize,
    secs: f64,
) -> Figures {
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let mut c = connect(addr, ca).await.unwrap();
        let (stop, body) = (stop.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(200_000);
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let (s, b) = c.request("POST", path, body.clone()).await;
                lat.push(t.elapsed());
                assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
            }
            lat
        }));
    }
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    figures(all, start.elapsed().as_secs_f64())
}

/// Percentiles of the latencies of a run.
fn figures(mut all: Vec<Duration>, seconds: f64) -> Figures {
    all.sort();
    let q = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Figures {
        requests: all.len(),
        seconds,
        p50: q(0.50),
        p99: q(0.99),
        p999: q(0.999),
        max: *all.last().unwrap(),
    }
}

/// Open loop: requests are due at a fixed total rate (spread over `conns` connections), as an
/// API server's traffic arrives. Latency counts from the moment a request is sent (tokio's
/// timer wakes up to a millisecond late, which would otherwise dominate); requests sent more
/// than 2 ms after they were due (the server or the machine fell behind) are counted and
/// printed, so a stall is not hidden.
async fn run_open(
    addr: std::net::SocketAddr,
    ca: &str,
    path: &'static str,
    body: Vec<u8>,
    conns: usize,
    secs: f64,
    rate: f64,
) -> Figures {
    let mut tasks = Vec::new();
    let behind = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let per_conn = rate / conns as f64;
    let count = (per_conn * secs) as usize;
    let start = Instant::now() + Duration::from_millis(50);
    for k in 0..conns {
        let mut c = connect(addr, ca).await.unwrap();
        let (body, behind) = (body.clone(), behind.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(count);
            let offset = Duration::from_secs_f64(k as f64 / rate);
            for i in 0..count {
                let due = start + offset + Duration::from_secs_f64(i as f64 / per_conn);
                tokio::time::sleep_until(due.into()).await;
                let sent = Instant::now();
                if sent.duration_since(due) > Duration::from_millis(2) {
                    behind.fetch_add(1, Ordering::Relaxed);
                }
                let (s, b) = c.request("POST", path, body.clone()).await;
                lat.push(sent.elapsed());
                assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    println!(
        "  open loop {rate:.0}/s: {} of {} requests sent more than 2 ms late",
        behind.load(Ordering::Relaxed),
        all.len()
    );
    figures(all, start.elapsed().as_secs_f64())
}

fn show(name: &str, f: &Figures) {
    println!(
        "{name:<34} {:>8.0} reviews/s  p50 {:>7.1} µs  p99 {:>7.1} µs  p99.9 {:>7.1} µs  max {:>8.1} µs  ({} requests)",
        f.requests as f64 / f.seconds,
        f.p50.as_secs_f64() * 1e6,
        f.p99.as_secs_f64() * 1e6,
        f.p999.as_secs_f64() * 1e6,
        f.max.as_secs_f64() * 1e6,
        f.requests
    );
}

/// Images may come from the example registry and the loopback stub.
fn bench_settings(reg_addr: &std::net::SocketAddr) -> Settings {
    Settings {
        allowed_registries: Some(vec!["registry.example.com/".into(), reg_addr.to_string()]),
        ..Settings::default()
    }
}

fn main() {
    let secs: f64 = std::env::var("KW_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let conns: usize = std::env::var("KW_BENCH_CONNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();

    // A registry stub for the warm-up lookups (plain HTTP on loopback).
    let reg_addr = server_rt.block_on(async {
        let app = axum::Router::new().route(
            "/v2/{*rest}",
            axum::routing::any(|| async {
                (
                    [
                        ("docker-content-digest", DIGEST),
                        ("content-type", "application/vnd.oci.image.index.v1+json"),
                    ],
                    "",
                )
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await });
        a
    });
    let yaml = format!(
        "admission:\n  decision_log: \"\"\n  mutate:\n    kinds: [Pod]\n    plain_http_registries: [\"{reg_addr}\"]\n"
    );
    let settings = bench_settings(&reg_addr);
    let srv = server_rt.block_on(start(
        policy(settings, admission(&yaml)),
        dir.path(),
        Duration::from_secs(2),
    ));
    println!(
        "kubeward-server load: {conns} keep-alive TLS connections, {secs} s per case, server and client 2 threads each, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );

    let pinned = format!("registry.example.com/shop/web@{DIGEST}");
    let validate_body = serde_json::to_vec(&review(
        "b",
        "CREATE",
        ("apps", "v1", "Deployment"),
        "deployments",
        None,
        "shop",
        Some(deployment(&pinned)),
        None,
        false,
    ))
    .unwrap();
    let tagged = format!("{reg_addr}/shop/web:1.4.2");
    let mutate_body = serde_json::to_vec(&review(
        "m",
        "CREATE",
        ("", "v1", "Pod"),
        "pods",
        None,
        "shop",
        Some(pod(&tagged)),
        None,
        false,
    ))
    .unwrap();
    println!(
        "request bodies: validate {} bytes, mutate {} bytes",
        validate_body.len(),
        mutate_body.len()
    );

    // Service time: decode and decide one review on this thread, no HTTP, no TLS.
    let direct_policy = policy(bench_settings(&reg_addr), admission(&yaml));
    let n = std::env::var("KW_BENCH_DIRECT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000usize);
    let mut lat = Vec::with_capacity(n);
    let t0 = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        let req = kubeward_server::server::decode_admission(&validate_body).unwrap();
        let out = kubeward_server::validate::validate(&direct_policy, &req);
        assert!(out.response.allowed);
        lat.push(t.elapsed());
    }
    let total = t0.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "{:<34} {:>8.0} reviews/s  p50 {:>7.1} µs  p99 {:>7.1} µs  (one thread, {n} reviews)",
        "validate service time (direct)",
        n as f64 / total,
        lat[n / 2].as_secs_f64() * 1e6,
        lat[n * 99 / 100].as_secs_f64() * 1e6,
    );
    if std::env::var_os("KW_BENCH_DIRECT_ONLY").is_some() {
        return;
    }

    client_rt.block_on(async {
        // Warm up: connections, the digest cache.
        let mut c = connect(srv.addr, &srv.ca_pem).await.unwrap();
        let (s, b) = c.request("POST", "/mutate", mutate_body.clone()).await;
        assert_eq!(s, 200);
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert!(v["response"]["patch"].is_string(), "{v}");
        let (s, b) = c.request("POST", "/validate", validate_body.clone()).await;
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!((s, &v["response"]["allowed"]), (200, &json!(true)), "{v}");
        run_load(
            srv.addr,
            &srv.ca_pem,
            "/validate",
            validate_body.clone(),
            conns,
            1.0,
        )
        .await;

        let f = run_load(
            srv.addr,
            &srv.ca_pem,
            "/validate",
            validate_body.clone(),
            conns,
            secs,
        )
        .await;
        show("validate (Deployment)", &f);
        let f = run_load(
            srv.addr,
            &srv.ca_pem,
            "/mutate",
            mutate_body.clone(),
            conns,
            secs,
        )
        .await;
        show("mutate (Pod, warm digest cache)", &f);
        let f = run_load(
            srv.addr,
            &srv.ca_pem,
            "/validate",
            validate_body.clone(),
            1,
            secs,
        )
        .await;
        show("validate, 1 connection", &f);
        let rates: Vec<f64> = std::env::var("KW_BENCH_RATES")
            .unwrap_or_else(|_| "1000,5000,10000".into())
            .split(',')
            .filter_map(|r| r.trim().parse().ok())
            .collect();
        for rate in rates {
            let f = run_open(
                srv.addr,
                &srv.ca_pem,
                "/validate",
                validate_body.clone(),
                conns,
                secs,
                rate,
            )
            .await;
            show(&format!("validate, open loop {rate:.0}/s offered"), &f);
        }
    });
    drop(srv);
}
