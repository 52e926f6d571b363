//! Digest pinning against a real OCI registry (Debian's `docker-registry`, started here on
//! loopback), with images pushed through the registry API: without auth over TLS, and with
//! token auth (a token server in this test signs ES256 JWTs with a key generated here; the
//! registry trusts its certificate). Fault tests: registry down, slow, 401, unknown tag.

mod common;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use kubeward_core::config::Settings;
use kubeward_server::creds::Keychain;
use kubeward_server::oci::{LookupError, RegistryClient, Target, sha256_digest};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn registry_binary() -> Option<PathBuf> {
    let p = std::env::var_os("KUBEWARD_DOCKER_REGISTRY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/docker-registry"));
    if p.is_file() {
        return Some(p);
    }
    if std::env::var_os("KUBEWARD_REQUIRE_SERVICES").is_some_and(|v| v == "1") {
        panic!(
            "docker-registry not found at {} (apt-get install docker-registry)",
            p.display()
        );
    }
    eprintln!(
        "skipped: docker-registry not found at {} (apt-get install docker-registry)",
        p.display()
    );
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Registry {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the registry; `extra` is appended to its config (tls, auth).
fn start_registry(bin: &Path, extra: &str) -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let cfg = format!(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n{extra}",
        dir.path().join("data").display()
    );
    let cfg_path = dir.path().join("config.yml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let child = Command::new(bin)
        .arg("serve")
        .arg(&cfg_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "registry did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Registry {
        child,
        addr,
        _dir: dir,
    }
}

type TestClient = Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

fn test_client(ca_pem: &str) -> TestClient {
    let tls = (*client_config(ca_pem)).clone();
    let conn = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(conn)
}

async fn call(
    c: &TestClient,
    method: &str,
    url: &str,
    auth: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, hyper::HeaderMap, Vec<u8>) {
    let mut b = hyper::Request::builder().method(method).uri(url);
    if let Some(a) = auth {
        b = b.header("authorization", a);
    }
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    let resp = c
        .request(b.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

/// Pushes a blob; returns its descriptor.
async fn push_blob(
    c: &TestClient,
    base: &str,
    repo: &str,
    auth: Option<&str>,
    data: &[u8],
    media: &str,
) -> Value {
    let digest = sha256_digest(data);
    let (s, h, b) = call(
        c,
        "POST",
        &format!("{base}/v2/{repo}/blobs/uploads/"),
        auth,
        None,
        vec![],
    )
    .await;
    assert_eq!(s, 202, "{}", String::from_utf8_lossy(&b));
    let loc = h["location"].to_str().unwrap().to_string();
    let loc = if loc.starts_with("http") {
        loc
    } else {
        format!("{base}{loc}")
    };
    let sep = if loc.contains('?') { '&' } else { '?' };
    let (s, _, b) = call(
        c,
        "PUT",
        &format!("{loc}{sep}digest={digest}"),
        auth,
        Some("application/octet-stream"),
        data.to_vec(),
    )
    .await;
    assert_eq!(s, 201, "{}", String::from_utf8_lossy(&b));
    json!({"mediaType": media, "digest": digest, "size": data.len()})
}

async fn push_manifest(
    c: &TestClient,
    base: &str,
    repo: &str,
    auth: Option<&str>,
    reference: &str,
    media: &str,
    body: &[u8],
) -> String {
    let (s, h, b) = call(
        c,
        "PUT",
        &format!("{base}/v2/{repo}/manifests/{reference}"),
        auth,
        Some(media),
        body.to_vec(),
    )
    .await;
    assert_eq!(s, 201, "{}", String::from_utf8_lossy(&b));
    let d = h["docker-content-digest"].to_str().unwrap().to_string();
    assert_eq!(d, sha256_digest(body));
    d
}

/// Pushes `repo:single` (one manifest) and `repo:multi` (an index of amd64 and arm64).
/// Returns (single manifest digest, index digest, amd64 manifest digest).
async fn push_images(
    c: &TestClient,
    base: &str,
    repo: &str,
    auth: Option<&str>,
) -> (String, String, String) {
    let layer = push_blob(
        c,
        base,
        repo,
        auth,
        b"kubeward test layer\n",
        "application/vnd.oci.image.layer.v1.tar",
    )
    .await;
    let mut manifests = Vec::new();
    for arch in ["amd64", "arm64"] {
        let cfg = serde_json::to_vec(&json!({"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}})).unwrap();
        let cfg = push_blob(
            c,
            base,
            repo,
            auth,
            &cfg,
            "application/vnd.oci.image.config.v1+json",
        )
        .await;
        let m = serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": MANIFEST, "config": cfg, "layers": [layer]}),
        )
        .unwrap();
        let d = push_manifest(c, base, repo, auth, &sha256_digest(&m), MANIFEST, &m).await;
        manifests.push((arch, d, m.len()));
    }
    let single_body = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": MANIFEST,
        "config": push_blob(c, base, repo, auth, br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#, "application/vnd.oci.image.config.v1+json").await,
        "layers": [layer]})).unwrap();
    let single = push_manifest(c, base, repo, auth, "single", MANIFEST, &single_body).await;
    let index = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests.iter().map(|(arch, d, size)| json!({
        "mediaType": MANIFEST, "digest": d, "size": size, "platform": {"architecture": arch, "os": "linux"}})).collect::<Vec<_>>()})).unwrap();
    let index_digest = push_manifest(c, base, repo, auth, "multi", INDEX, &index).await;
    (single, index_digest, manifests[0].1.clone())
}

fn target(image: &str) -> Target {
    Target::of(&kubeward_core::image::ImageRef::parse(image).unwrap()).unwrap()
}

fn pod(images: &[&str]) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": "shop"},
           "spec": {"containers": images.iter().enumerate().map(|(i, im)| json!({"name": format!("c{i}"), "image": im})).collect::<Vec<_>>()}})
}

async fn mutate(conn: &mut Conn, object: &Value) -> Value {
    let v = conn
        .post_json(
            "/mutate",
            &review(
                "m-1",
                "CREATE",
                ("", "v1", "Pod"),
                "pods",
                None,
                "shop",
                Some(object.clone()),
                None,
                false,
            ),
        )
        .await;
    v["response"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_tags_to_digests_over_tls_without_auth() {
    let Some(bin) = registry_binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path(), "registry");
    let reg = start_registry(
        &bin,
        &format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            pki.cert.display(),
            pki.key.display()
        ),
    );
    let base = format!("https://{}", reg.addr);
    let c = test_client(&pki.ca_pem);
    let (single, index, amd64) = push_images(&c, &base, "shop/app", None).await;

    // The client alone.
    let ca = dir.path().join("registry-ca.pem");
    let client = RegistryClient::new(Keychain::default(), Some(&ca), vec![]).unwrap();
    let r = client
        .resolve(&target(&format!("{}/shop/app:multi", reg.addr)))
        .await
        .unwrap();
    assert_eq!(
        r.digest, index,
        "a multi-arch tag is pinned to the index digest"
    );
    assert_ne!(r.digest, amd64);
    assert!(r.media_type.starts_with(INDEX), "{}", r.media_type);
    let r = client
        .resolve(&target(&format!("{}/shop/app:single", reg.addr)))
        .await
        .unwrap();
    assert_eq!(r.digest, single);
    let e = client
        .resolve(&target(&format!("{}/shop/app:nope", reg.addr)))
        .await
        .unwrap_err();
    assert!(matches!(e, LookupError::NotFound(_)), "{e:?}");

    // Through the webhook: a JSON Patch that pins both, applied the way the API server does.
    let yaml = format!(
        "admission:\n  mutate:\n    kinds: [Pod, Deployment, CronJob]\n    registry_ca_file: {}\n    timeout_ms: 3000\n",
        ca.display()
    );
    let srv = start(
        policy(Settings::default(), admission(&yaml)),
        dir.path(),
        Duration::from_secs(1),
    )
    .await;
    let mut conn = connect(srv.addr, &srv.ca_pem).await.unwrap();
    let multi = format!("{}/shop/app:multi", reg.addr);
    let single_ref = format!("{}/shop/app:single", reg.addr);
    let pinned_already = format!("{}/shop/app@{single}", reg.addr);
    let obj = pod(&[&multi, &single_ref, &pinned_already]);
    let resp = mutate(&mut conn, &obj).await;
    assert_eq!(resp["allowed"], true, "{resp}");
    let out = apply_patch(&obj, &resp);
    assert_eq!(
        out["spec"]["containers"][0]["image"],
        format!("{multi}@{index}")
    );
    assert_eq!(
        out["spec"]["containers"][1]["image"],
        format!("{single_ref}@{single}")
    );
    assert_eq!(
        out["spec"]["containers"][2]["image"],
        pinned_already.as_str()
    );
    assert!(
        out["spec"]["containers"][0]
            .get("imagePullPolicy")
            .is_none()
    );
    assert_eq!(resp["auditAnnotations"]["pinned-images"], "2");
    // Idempotent: the patched object needs no further patch.
    let again = mutate(&mut conn, &out).await;
    assert!(again.get("patch").is_none(), "{again}");

    // A Deployment and a CronJob template, when configured.
    let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "shop"},
        "spec": {"template": {"spec": {"initContainers": [{"name": "i", "image": single_ref}], "containers": [{"name": "c", "image": multi}]}}}});
    let v = conn
        .post_json(
            "/mutate",
            &review(
                "d",
                "CREATE",
                ("apps", "v1", "Deployment"),
                "deployments",
                None,
                "shop",
                Some(dep.clone()),
                None,
                false,
            ),
        )
        .await;
    let out = apply_patch(&dep, &v["response"]);
    assert_eq!(
        out["spec"]["template"]["spec"]["initContainers"][0]["image"],
        format!("{single_ref}@{single}")
    );
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("{multi}@{index}")
    );

    // Warm cache: the registry is no longer needed for these tags.
    drop(reg);
    let resp = mutate(&mut conn, &obj).await;
    let out = apply_patch(&obj, &resp);
    assert_eq!(
        out["spec"]["containers"][0]["image"],
        format!("{multi}@{index}")
    );
    let (_, m) = conn.request("GET", "/metrics", vec![]).await;
    let m = String::from_utf8(m).unwrap();
    assert!(
        m.contains("kubeward_admission_digest_cache_hits_total"),
        "{m}"
    );
    let hits: f64 = m
        .lines()
        .find(|l| l.starts_with("kubeward_admission_digest_cache_hits_total"))
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(hits >= 2.0, "{m}");
    assert!(
        m.contains("kubeward_admission_registry_lookups_total{result=\"ok\"}"),
        "{m}"
    );
}

/// A token server: `GET /token?service&scope` with Basic `user:secret`; ES256 JWTs with an x5c
/// header, signed by a key generated here.
struct TokenServer {
    addr: SocketAddr,
    cert_pem: String,
}

async fn start_token_server(issuer: &'static str, service: &'static str) -> TokenServer {
    use axum::extract::Query;
    use axum::http::{HeaderMap, StatusCode};
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["token-issuer".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kubeward test token issuer");
    let cert = params.self_signed(&key).unwrap();
    let cert_pem = cert.pem();
    let x5c = STANDARD.encode(cert.der());
    let pkcs8 = key.serialize_der();
    let rng = ring::rand::SystemRandom::new();
    let signer = std::sync::Arc::new(
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng).unwrap(),
    );
    let app = axum::Router::new().route(
        "/token",
        axum::routing::get(move |Query(q): Query<std::collections::HashMap<String, String>>, headers: HeaderMap| {
            let signer = signer.clone();
            let x5c = x5c.clone();
            async move {
                let expected = format!("Basic {}", STANDARD.encode("ci-user:ci-secret"));
                if headers.get("authorization").and_then(|h| h.to_str().ok()) != Some(expected.as_str()) {
                    return (StatusCode::UNAUTHORIZED, "bad credentials".to_string());
                }
                let mut access = Vec::new();
                for scope in q.get("scope").map(|s| s.split(' ').collect::<Vec<_>>()).unwrap_or_default() {
                    let parts: Vec<&str> = scope.split(':').collect();
                    if parts.len() == 3 {
                        access.push(json!({"type": parts[0], "name": parts[1], "actions": parts[2].split(',').collect::<Vec<_>>()}));
                    }
                }
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                let header = json!({"typ": "JWT", "alg": "ES256", "x5c": [x5c]});
                let claims = json!({"iss": issuer, "sub": "ci-user", "aud": q.get("service").map(String::as_str).unwrap_or(service),
                    "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{}", access.len()), "access": access});
                let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
                let sig = signer.sign(&ring::rand::SystemRandom::new(), signing_input.as_bytes()).unwrap();
                let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()));
                (StatusCode::OK, json!({"token": token, "expires_in": 300}).to_string())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    TokenServer { addr, cert_pem }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_token_flow_with_a_token_auth_registry() {
    let Some(bin) = registry_binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ts = start_token_server("kubeward-test-issuer", "kubeward-test-registry").await;
    let bundle = dir.path().join("token-issuer.pem");
    std::fs::write(&bundle, &ts.cert_pem).unwrap();
    let reg = start_registry(
        &bin,
        &format!(
            "auth:\n  token:\n    realm: http://{}/token\n    service: kubeward-test-registry\n    issuer: kubeward-test-issuer\n    rootcertbundle: {}\n",
            ts.addr,
            bundle.display()
        ),
    );
    let base = format!("http://{}", reg.addr);
    let c = test_client(&ts.cert_pem);
    // Anonymous: the registry challenges.
    let (s, h, _) = call(&c, "GET", &format!("{base}/v2/"), None, None, vec![]).await;
    assert_eq!(s, 401);
    assert!(
        h["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer realm=")
    );
    // A push token straight from the token server.
    let (s, _, b) = call(
        &c,
        "GET",
        &format!(
            "http://{}/token?service=kubeward-test-registry&scope=repository:team/app:pull,push",
            ts.addr
        ),
        Some(&format!("Basic {}", STANDARD.encode("ci-user:ci-secret"))),
        None,
        vec![],
    )
    .await;
    assert_eq!(s, 200);
    let tok: Value = serde_json::from_slice(&b).unwrap();
    let auth = format!("Bearer {}", tok["token"].as_str().unwrap());
    let (_single, index, _) = push_images(&c, &base, "team/app", Some(&auth)).await;

    let image = format!("{}/team/app:multi", reg.addr);
    // With credentials (a Docker config file): challenge → token → digest.
    let cfg = dir.path().join("config.json");
    std::fs::write(
        &cfg,
        json!({"auths": {reg.addr.to_string(): {"auth": STANDARD.encode("ci-user:ci-secret")}}})
            .to_string(),
    )
    .unwrap();
    let keychain = Keychain::from_file(&cfg).unwrap();
    let client = RegistryClient::new(keychain, None, vec![reg.addr.to_string()]).unwrap();
    assert_eq!(client.resolve(&target(&image)).await.unwrap().digest, index);
    // Again: the cached token is reused.
    assert_eq!(client.resolve(&target(&image)).await.unwrap().digest, index);
    // Without credentials: the token server refuses, a clear 401 error.
    let anon = RegistryClient::new(Keychain::default(), None, vec![reg.addr.to_string()]).unwrap();
    let e = anon.resolve(&target(&image)).await.unwrap_err();
    assert!(matches!(e, LookupError::Unauthorized(_)), "{e:?}");
    // Through the webhook, fail-open: allowed, tag kept, pulled Always, reason audited.
    let yaml = format!(
        "admission:\n  mutate:\n    plain_http_registries: [\"{}\"]\n    failure: open\n",
        reg.addr
    );
    let srv = start(
        policy(Settings::default(), admission(&yaml)),
        dir.path(),
        Duration::from_secs(1),
    )
    .await;
    let mut conn = connect(srv.addr, &srv.ca_pem).await.unwrap();
    let obj = pod(&[&image]);
    let resp = mutate(&mut conn, &obj).await;
    assert_eq!(resp["allowed"], true);
    let out = apply_patch(&obj, &resp);
    assert_eq!(out["spec"]["containers"][0]["image"], image.as_str());
    assert_eq!(out["spec"]["containers"][0]["imagePullPolicy"], "Always");
    assert!(
        resp["auditAnnotations"]["digest-failed-open"]
            .as_str()
            .unwrap()
            .contains("unauthorized"),
        "{resp}"
    );
    // And with the Docker config: pinned.
    let yaml = format!(
        "admission:\n  mutate:\n    plain_http_registries: [\"{}\"]\n    docker_config: {}\n",
        reg.addr,
        cfg.display()
    );
    let dir2 = tempfile::tempdir().unwrap();
    let srv = start(
        policy(Settings::default(), admission(&yaml)),
        dir2.path(),
        Duration::from_secs(1),
    )
    .await;
    let mut conn = connect(srv.addr, &srv.ca_pem).await.unwrap();
    let out = apply_patch(&obj, &mutate(&mut conn, &obj).await);
    assert_eq!(
        out["spec"]["containers"][0]["image"],
        format!("{image}@{index}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_faults_fail_open_or_closed_within_the_budget() {
    let Some(bin) = registry_binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let reg = start_registry(&bin, "");
    let c = test_client(&make_pki(dir.path(), "unused").ca_pem);
    push_images(&c, &format!("http://{}", reg.addr), "shop/app", None).await;
    // A port with nothing behind it, and one that accepts and never answers.
    let down = format!("127.0.0.1:{}", free_port());
    let slow_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow = slow_listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = slow_listener.accept().await {
            held.push(s);
        }
    });
    let plain = format!("[\"{}\", \"{down}\", \"{slow}\"]", reg.addr);
    let cases = [
        (format!("{down}/shop/app:1"), "unreachable"),
        (format!("{slow}/shop/app:1"), "timeout"),
        (format!("{}/shop/app:unknown-tag", reg.addr), "not found"),
    ];
    for failure in ["open", "closed"] {
        let yaml = format!(
            "admission:\n  mutate:\n    plain_http_registries: {plain}\n    failure: {failure}\n    timeout_ms: 400\n"
        );
        let d = tempfile::tempdir().unwrap();
        let srv = start(
            policy(Settings::default(), admission(&yaml)),
            d.path(),
            Duration::from_secs(1),
        )
        .await;
        let mut conn = connect(srv.addr, &srv.ca_pem).await.unwrap();
        for (image, why) in &cases {
            let obj = pod(&[image]);
            let t = Instant::now();
            let resp = mutate(&mut conn, &obj).await;
            assert!(
                t.elapsed() < Duration::from_millis(1500),
                "{image}: {:?}",
                t.elapsed()
            );
            if failure == "open" {
                assert_eq!(resp["allowed"], true, "{resp}");
                let out = apply_patch(&obj, &resp);
                assert_eq!(out["spec"]["containers"][0]["image"], image.as_str());
                assert_eq!(out["spec"]["containers"][0]["imagePullPolicy"], "Always");
                assert!(
                    resp["auditAnnotations"]["digest-failed-open"]
                        .as_str()
                        .unwrap()
                        .contains(why),
                    "{resp}"
                );
            } else {
                assert_eq!(resp["allowed"], false, "{resp}");
                let msg = resp["status"]["message"].as_str().unwrap();
                assert!(msg.contains(why) && msg.contains(image.as_str()), "{msg}");
                assert!(resp["auditAnnotations"]["digest-failed"].is_string());
            }
        }
    }
}
