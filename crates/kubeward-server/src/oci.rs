//! A small OCI distribution client: tag → digest (`HEAD /v2/<name>/manifests/<tag>` with the
//! index and manifest media types), the bearer-token flow and Basic auth, over HTTPS with
//! rustls and ring.
//!
//! The digest of an image index or manifest list is the one returned (multi-arch images are
//! pinned to the index so every platform keeps pulling its own manifest). When a registry omits
//! `Docker-Content-Digest`, the manifest is fetched and its sha256 computed over the bytes.

use crate::creds::{Credential, Keychain};
use crate::error::Error;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The `Accept` list: indexes first, so multi-arch tags answer with the index digest.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// Manifests larger than this are refused (the spec suggests registries accept 4 MiB).
const MAX_MANIFEST: usize = 4 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupError {
    /// 404: the repository or tag does not exist.
    NotFound(String),
    /// 401/403 after trying the credentials there are.
    Unauthorized(String),
    Timeout,
    Transport(String),
    Protocol(String),
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::NotFound(m) => write!(f, "not found: {m}"),
            LookupError::Unauthorized(m) => write!(f, "unauthorized: {m}"),
            LookupError::Timeout => write!(f, "registry timeout"),
            LookupError::Transport(m) => write!(f, "registry unreachable: {m}"),
            LookupError::Protocol(m) => write!(f, "registry error: {m}"),
        }
    }
}

impl LookupError {
    /// A short label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            LookupError::NotFound(_) => "not_found",
            LookupError::Unauthorized(_) => "unauthorized",
            LookupError::Timeout => "timeout",
            LookupError::Transport(_) => "unreachable",
            LookupError::Protocol(_) => "error",
        }
    }
}

/// A resolved manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub digest: String,
    pub media_type: String,
}

/// Where an image lives on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// The host to connect to (`registry-1.docker.io` for Docker Hub).
    pub host: String,
    /// The host as credentials are keyed (`docker.io`).
    pub cred_host: String,
    pub repository: String,
    pub reference: String,
}

impl Target {
    /// From an image reference; `None` for digest-only references.
    pub fn of(image: &kubeward_core::image::ImageRef<'_>) -> Option<Target> {
        let tag = image.tag.or(if image.digest.is_none() {
            Some("latest")
        } else {
            None
        })?;
        let full = kubeward_rules::containers::normalized_name(image);
        let (host, repo) = full.split_once('/')?;
        Some(Target {
            host: if host == "docker.io" {
                "registry-1.docker.io".into()
            } else {
                host.into()
            },
            cred_host: host.into(),
            repository: repo.into(),
            reference: tag.into(),
        })
    }
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

struct Token {
    value: String,
    until: Instant,
}

pub struct RegistryClient {
    http: HttpsClient,
    keychain: Keychain,
    plain_http: Vec<String>,
    tokens: Mutex<HashMap<(String, String), Arc<Token>>>,
    user_agent: String,
}

/// A `WWW-Authenticate` challenge.
#[derive(Debug, PartialEq, Eq)]
pub enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    Basic,
}

/// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
pub fn parse_challenge(h: &str) -> Option<Challenge> {
    let h = h.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut params = HashMap::new();
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b',' || b[i] == b' ') {
            i += 1;
        }
        let ks = i;
        while i < b.len() && b[i] != b'=' {
            i += 1;
        }
        let key = rest[ks..i].trim().to_ascii_lowercase();
        i += 1;
        let val;
        if i < b.len() && b[i] == b'"' {
            i += 1;
            let vs = i;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            val = rest.get(vs..i).unwrap_or("").to_string();
            i += 1;
        } else {
            let vs = i;
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
            val = rest.get(vs..i).unwrap_or("").trim().to_string();
        }
        if !key.is_empty() {
            params.insert(key, val);
        }
    }
    Some(Challenge::Bearer {
        realm: params.remove("realm")?,
        service: params.remove("service"),
        scope: params.remove("scope"),
    })
}

fn percent_encode(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut s = String::from("sha256:");
    for b in d.as_ref() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl RegistryClient {
    /// `extra_ca`: PEM certificates trusted besides the system roots. `plain_http`: registry
    /// hosts (`host:port`) spoken to without TLS.
    pub fn new(
        keychain: Keychain,
        extra_ca: Option<&std::path::Path>,
        plain_http: Vec<String>,
    ) -> Result<RegistryClient, Error> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(c);
        }
        if let Some(p) = extra_ca {
            let pem = |source| Error::Pem {
                path: p.to_path_buf(),
                source,
            };
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(p)
                .map_err(pem)?
                .collect::<Result<_, _>>()
                .map_err(pem)?;
            for c in certs {
                roots.add(c).map_err(|source| Error::CaCertificate {
                    path: p.to_path_buf(),
                    source,
                })?;
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(Error::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let http = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(RegistryClient {
            http,
            keychain,
            plain_http,
            tokens: Mutex::new(HashMap::new()),
            user_agent: format!("kubeward/{}", env!("CARGO_PKG_VERSION")),
        })
    }

    pub fn credential(&self, t: &Target) -> Option<&Credential> {
        self.keychain.get(&t.cred_host)
    }

    fn scheme(&self, host: &str) -> &'static str {
        if self.plain_http.iter().any(|h| h == host) {
            "http"
        } else {
            "https"
        }
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        accept: Option<&str>,
        auth: Option<&str>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, LookupError> {
        let mut b = Request::builder()
            .method(method)
            .uri(url)
            .header(hyper::header::USER_AGENT, &self.user_agent);
        if let Some(a) = accept {
            b = b.header(hyper::header::ACCEPT, a);
        }
        if let Some(a) = auth {
            b = b.header(hyper::header::AUTHORIZATION, a);
        }
        let req = b
            .body(Empty::new())
            .map_err(|e| LookupError::Protocol(e.to_string()))?;
        self.http
            .request(req)
            .await
            .map_err(|e| LookupError::Transport(format!("{url}: {e}")))
    }

    async fn fetch_token(
        &self,
        t: &Target,
        realm: &str,
        service: Option<&str>,
        scope: Option<&str>,
    ) -> Result<Arc<Token>, LookupError> {
        // A token realm over plain HTTP is accepted only for a plain-HTTP (test) registry.
        if !realm.starts_with("https://") && self.scheme(&t.host) == "https" {
            return Err(LookupError::Protocol(format!(
                "token realm `{realm}` is not https"
            )));
        }
        let mut url = realm.to_string();
        let mut sep = if url.contains('?') { '&' } else { '?' };
        if let Some(s) = service {
            url.push_str(&format!("{sep}service={}", percent_encode(s)));
            sep = '&';
        }
        if let Some(s) = scope {
            url.push_str(&format!("{sep}scope={}", percent_encode(s)));
        }
        let basic = self.credential(t).map(Credential::basic_header);
        let resp = self.send(Method::GET, &url, None, basic.as_deref()).await?;
        let status = resp.status();
        let body = Limited::new(resp.into_body(), 1024 * 1024)
            .collect()
            .await
            .map_err(|e| LookupError::Transport(e.to_string()))?
            .to_bytes();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(LookupError::Unauthorized(format!(
                "token service refused the credentials for {} ({status})",
                t.cred_host
            )));
        }
        if !status.is_success() {
            return Err(LookupError::Protocol(format!(
                "token service answered {status}"
            )));
        }
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| LookupError::Protocol(format!("token reply: {e}")))?;
        let value = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or_else(|| LookupError::Protocol("token reply has no token".into()))?
            .to_string();
        let secs = v.get("expires_in").and_then(|e| e.as_u64()).unwrap_or(60);
        // Renew a little before the registry would refuse it.
        let until = Instant::now() + Duration::from_secs(secs.saturating_sub(5).max(1));
        Ok(Arc::new(Token { value, until }))
    }

    /// Resolves `t` to the digest of its manifest or index.
    pub async fn resolve(&self, t: &Target) -> Result<Resolved, LookupError> {
        let url = format!(
            "{}://{}/v2/{}/manifests/{}",
            self.scheme(&t.host),
            t.host,
            t.repository,
            t.reference
        );
        let scope = format!("repository:{}:pull", t.repository);
        let key = (t.host.clone(), scope.clone());
        let cached = self
            .tokens
            .lock()
            .ok()
            .and_then(|m| m.get(&key).filter(|tk| tk.until > Instant::now()).cloned());
        let mut auth = cached.map(|tk| format!("Bearer {}", tk.value));
        let mut tried_auth = false;
        let mut method = Method::HEAD;
        loop {
            let resp = self
                .send(method.clone(), &url, Some(MANIFEST_ACCEPT), auth.as_deref())
                .await?;
            let status = resp.status();
            match status {
                StatusCode::UNAUTHORIZED if !tried_auth => {
                    tried_auth = true;
                    let challenge = resp
                        .headers()
                        .get(hyper::header::WWW_AUTHENTICATE)
                        .and_then(|h| h.to_str().ok())
                        .and_then(parse_challenge);
                    match challenge {
                        Some(Challenge::Bearer {
                            realm,
                            service,
                            scope: s,
                        }) => {
                            let s = s.unwrap_or_else(|| scope.clone());
                            let tk = self
                                .fetch_token(t, &realm, service.as_deref(), Some(&s))
                                .await?;
                            auth = Some(format!("Bearer {}", tk.value));
                            if let Ok(mut m) = self.tokens.lock() {
                                m.insert(key.clone(), tk);
                            }
                        }
                        Some(Challenge::Basic) => match self.credential(t) {
                            Some(c) => auth = Some(c.basic_header()),
                            None => {
                                return Err(LookupError::Unauthorized(format!(
                                    "{} asks for Basic credentials and none are configured",
                                    t.cred_host
                                )));
                            }
                        },
                        None => {
                            return Err(LookupError::Unauthorized(format!(
                                "{} answered 401 without a usable challenge",
                                t.host
                            )));
                        }
                    }
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    return Err(LookupError::Unauthorized(format!(
                        "{} refused access to {} ({status})",
                        t.host, t.repository
                    )));
                }
                StatusCode::NOT_FOUND => {
                    return Err(LookupError::NotFound(format!(
                        "{}/{}:{}",
                        t.cred_host, t.repository, t.reference
                    )));
                }
                s if s.is_success() => {
                    let header = |n: &str| {
                        resp.headers()
                            .get(n)
                            .and_then(|h| h.to_str().ok())
                            .map(str::to_string)
                    };
                    let media_type = header("content-type").unwrap_or_default();
                    let digest = header("docker-content-digest");
                    if method == Method::GET {
                        let body = Limited::new(resp.into_body(), MAX_MANIFEST)
                            .collect()
                            .await
                            .map_err(|e| LookupError::Transport(e.to_string()))?
                            .to_bytes();
                        let computed = sha256_digest(&body);
                        if let Some(d) = digest {
                            if d.starts_with("sha256:") && d != computed {
                                return Err(LookupError::Protocol(format!(
                                    "manifest digest {computed} does not match the header {d}"
                                )));
                            }
                        }
                        return Ok(Resolved {
                            digest: computed,
                            media_type,
                        });
                    }
                    match digest {
                        Some(d) if valid_digest(&d) => {
                            return Ok(Resolved {
                                digest: d,
                                media_type,
                            });
                        }
                        // No (usable) digest header: fetch and hash.
                        _ => method = Method::GET,
                    }
                }
                s => {
                    return Err(LookupError::Protocol(format!(
                        "{} answered {s} for {}",
                        t.host, t.repository
                    )));
                }
            }
        }
    }
}

fn valid_digest(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.example.com/token".into(),
                service: Some("registry.example.com".into()),
                scope: Some("repository:a/b:pull".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="x""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge("Bearer service=x"), None);
    }

    #[test]
    fn targets_follow_the_runtime_defaults() {
        let t = |s: &str| Target::of(&kubeward_core::image::ImageRef::parse(s).unwrap());
        let n = t("nginx").unwrap();
        assert_eq!(
            (n.host.as_str(), n.repository.as_str(), n.reference.as_str()),
            ("registry-1.docker.io", "library/nginx", "latest")
        );
        let g = t("ghcr.io/acme/api:1.2").unwrap();
        assert_eq!((g.host.as_str(), g.reference.as_str()), ("ghcr.io", "1.2"));
        assert_eq!(t(&format!("x.io/a@sha256:{}", "a".repeat(64))), None);
    }

    #[test]
    fn digest_of_bytes() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            percent_encode("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }
}
