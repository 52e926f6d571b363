//! The serving certificate is replaced while requests are in flight: open connections keep
//! working, new handshakes get the new certificate, a broken pair is not put in service.

mod common;

use common::*;
use kubeward_core::config::Settings;
use std::time::{Duration, Instant};

/// Replaces the serving pair the way a Secret volume does: new files, then renames.
fn rotate(dir: &std::path::Path, prefix: &str) -> String {
    let pki = make_pki(dir, prefix);
    std::fs::rename(&pki.cert, dir.join("serving-cert.pem")).unwrap();
    std::fs::rename(&pki.key, dir.join("serving-key.pem")).unwrap();
    pki.ca_pem
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotation_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(
        policy(Settings::default(), admission("")),
        dir.path(),
        Duration::from_millis(50),
    )
    .await;
    let old_ca = srv.ca_pem.clone();
    let body = serde_json::to_vec(&review(
        "r",
        "CREATE",
        ("", "v1", "ConfigMap"),
        "configmaps",
        None,
        "shop",
        Some(
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
        ),
        None,
        false,
    ))
    .unwrap();
    // Four connections sending requests back to back through the rotation.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let mut c = connect(srv.addr, &old_ca).await.unwrap();
        let (stop, body) = (stop.clone(), body.clone());
        workers.push(tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (s, b) = c.request("POST", "/validate", body.clone()).await;
                assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
                n += 1;
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let new_ca = rotate(dir.path(), "next");
    // New handshakes move to the new certificate within a few reload periods.
    let t = Instant::now();
    loop {
        if connect(srv.addr, &new_ca).await.is_ok() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "new certificate not served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let e = connect(srv.addr, &old_ca)
        .await
        .err()
        .expect("old CA no longer verifies");
    assert!(e.contains("certificate") || e.contains("Unknown"), "{e}");
    // A mismatched pair (certificate of one, key of another) is refused; the good one stays.
    let a = make_pki(dir.path(), "mismatch-a");
    let b = make_pki(dir.path(), "mismatch-b");
    std::fs::rename(&a.cert, dir.path().join("serving-cert.pem")).unwrap();
    std::fs::rename(&b.key, dir.path().join("serving-key.pem")).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut c = connect(srv.addr, &new_ca)
        .await
        .expect("previous pair still served");
    let (s, m) = c.request("GET", "/metrics", vec![]).await;
    assert_eq!(s, 200);
    let m = String::from_utf8(m).unwrap();
    assert!(
        m.contains("kubeward_admission_cert_reloads_total{result=\"error\"}"),
        "{m}"
    );
    assert!(
        m.contains("kubeward_admission_cert_reloads_total{result=\"ok\"}"),
        "{m}"
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap();
    }
    assert!(
        total > 4,
        "requests kept flowing on the old connections: {total}"
    );
    let (s, _) = c.request("GET", "/readyz", vec![]).await;
    assert_eq!(s, 200);
}

#[test]
fn start_up_fails_clearly_without_a_usable_pair() {
    let dir = tempfile::tempdir().unwrap();
    let e = kubeward_server::tls::ReloadingCert::new(
        &dir.path().join("no.pem"),
        &dir.path().join("no-key.pem"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("no.pem"), "{e}");
    // A missing file is told apart from a mismatched pair.
    assert!(
        matches!(&e, kubeward_server::Error::Pem { path, .. } if path.ends_with("no.pem")),
        "{e:?}"
    );
    let a = make_pki(dir.path(), "a");
    let b = make_pki(dir.path(), "b");
    let e = kubeward_server::tls::ReloadingCert::new(&a.cert, &b.key).unwrap_err();
    assert!(e.to_string().contains("a-cert.pem"), "{e}");
    assert!(
        matches!(&e, kubeward_server::Error::Pair { cert, .. } if cert == &a.cert),
        "{e:?}"
    );
}
