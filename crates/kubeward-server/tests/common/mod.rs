//! Test helpers: certificates, a running server on loopback, a TLS client.
#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use kubeward_core::config::{Config, Settings};
use kubeward_core::{Registry, engine::engine_rules};
use kubeward_server::log::DecisionLog;
use kubeward_server::tls::ReloadingCert;
use kubeward_server::{AdmissionSettings, AppState, Policy, Server};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub fn full_registry() -> Registry {
    let mut r = Registry::new();
    r.extend(engine_rules());
    r.extend(kubeward_rules::rules());
    r
}

/// A CA and a leaf for localhost / 127.0.0.1, written to `dir` as `<prefix>-{ca,cert,key}.pem`.
pub struct Pki {
    pub ca_pem: String,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn make_pki(dir: &Path, prefix: &str) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("{prefix} test CA"));
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
    let cert = dir.join(format!("{prefix}-cert.pem"));
    let key = dir.join(format!("{prefix}-key.pem"));
    std::fs::write(&cert, leaf.pem()).unwrap();
    std::fs::write(&key, leaf_key.serialize_pem()).unwrap();
    std::fs::write(dir.join(format!("{prefix}-ca.pem")), ca.pem()).unwrap();
    Pki {
        ca_pem: ca.pem(),
        cert,
        key,
    }
}

pub fn policy(settings: Settings, admission: AdmissionSettings) -> Policy {
    let config = Config {
        settings,
        ..Config::default()
    };
    Policy::new(&full_registry(), config, admission, Some("kubeward".into()))
}

pub fn admission(yaml: &str) -> AdmissionSettings {
    AdmissionSettings::parse(yaml, "test.yaml", &|id| full_registry().get(id).is_some()).unwrap()
}

pub struct Running {
    pub addr: SocketAddr,
    pub ca_pem: String,
    pub state: Arc<AppState>,
    stop: watch::Sender<bool>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts a server on 127.0.0.1 with a certificate in `dir`.
pub async fn start(policy: Policy, dir: &Path, reload: Duration) -> Running {
    start_with(policy, dir, reload, None).await
}

pub async fn start_with(
    policy: Policy,
    dir: &Path,
    reload: Duration,
    routes: Option<axum::Router>,
) -> Running {
    let pki = make_pki(dir, "serving");
    let cert = ReloadingCert::new(&pki.cert, &pki.key).unwrap();
    let state = AppState::new(policy, DecisionLog::none(), Some(cert)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = watch::channel(false);
    let mut server = Server::new(state.clone());
    if let Some(r) = routes {
        server = server.with_routes(r);
    }
    tokio::spawn(server.serve(listener, rx, reload));
    Running {
        addr,
        ca_pem: pki.ca_pem,
        state,
        stop: tx,
    }
}

/// One keep-alive TLS connection.
pub struct Conn {
    send: SendRequest<Full<Bytes>>,
}

pub fn client_config(ca_pem: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

pub async fn connect(addr: SocketAddr, ca_pem: &str) -> Result<Conn, String> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).unwrap();
    let tls = tokio_rustls::TlsConnector::from(client_config(ca_pem))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    Ok(Conn { send })
}

impl Conn {
    pub async fn request(&mut self, method: &str, path: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
        self.send.ready().await.unwrap();
        let req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let resp = self.send.send_request(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, body)
    }

    pub async fn post_json(&mut self, path: &str, v: &serde_json::Value) -> serde_json::Value {
        let (status, body) = self
            .request("POST", path, serde_json::to_vec(v).unwrap())
            .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }
}

/// The AdmissionReview the API server sends.
#[allow(clippy::too_many_arguments)]
pub fn review(
    uid: &str,
    operation: &str,
    kind: (&str, &str, &str),
    resource: &str,
    sub_resource: Option<&str>,
    namespace: &str,
    object: Option<serde_json::Value>,
    old_object: Option<serde_json::Value>,
    dry_run: bool,
) -> serde_json::Value {
    let name = object
        .as_ref()
        .or(old_object.as_ref())
        .and_then(|o| o.pointer("/metadata/name"))
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let mut req = serde_json::json!({
        "uid": uid,
        "kind": {"group": kind.0, "version": kind.1, "kind": kind.2},
        "resource": {"group": kind.0, "version": kind.1, "resource": resource},
        "requestKind": {"group": kind.0, "version": kind.1, "kind": kind.2},
        "requestResource": {"group": kind.0, "version": kind.1, "resource": resource},
        "name": name,
        "namespace": namespace,
        "operation": operation,
        "userInfo": {"username": "alice", "uid": "u-1", "groups": ["system:authenticated"]},
        "object": object,
        "oldObject": old_object,
        "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": if operation == "CREATE" { "CreateOptions" } else { "UpdateOptions" }},
    });
    if let Some(s) = sub_resource {
        req["subResource"] = s.into();
        req["requestSubResource"] = s.into();
    }
    serde_json::json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req})
}

/// Applies the base64 JSON Patch of a response to `object`.
pub fn apply_patch(object: &serde_json::Value, response: &serde_json::Value) -> serde_json::Value {
    use base64::Engine;
    let Some(p) = response.get("patch").and_then(|p| p.as_str()) else {
        return object.clone();
    };
    assert_eq!(response["patchType"], "JSONPatch");
    let bytes = base64::engine::general_purpose::STANDARD.decode(p).unwrap();
    let patch: json_patch::Patch = serde_json::from_slice(&bytes).unwrap();
    let mut doc = object.clone();
    json_patch::patch(&mut doc, &patch).unwrap();
    doc
}
