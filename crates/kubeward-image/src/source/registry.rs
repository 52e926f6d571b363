//! A small OCI distribution client: manifests (following indexes), the config and the layer
//! blobs, streamed. Anonymous access, bearer tokens (the registry's `WWW-Authenticate`
//! challenge) and basic auth; credentials from the Docker config file
//! (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, `auths.<host>.auth`).
//! Loopback registries are spoken to over plain HTTP (as Docker does), others over HTTPS
//! with the platform's root certificates, unless `plain_http` is set.

use super::{BlobStore, ImageRef, LayerDesc, Opened, layer_descs, resolve};
use crate::digest::{Digest, verify};
use crate::manifest::{ACCEPT, Descriptor, ImageConfig};
use crate::model::SourceInfo;
use crate::{Error, Options, bail};
use base64::Engine;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use ureq::http::Response;

/// How to reach registries.
#[derive(Clone, Debug, Default)]
pub struct RegistryOptions {
    /// Speak plain HTTP to every registry (loopback registries always are).
    pub plain_http: bool,
    /// Docker config file to read credentials from (default `$DOCKER_CONFIG/config.json`,
    /// else `~/.docker/config.json`).
    pub docker_config: Option<PathBuf>,
    /// Explicit credentials (user, password); they win over the Docker config.
    pub credentials: Option<(String, String)>,
}

pub struct Client {
    agent: ureq::Agent,
    base: String,
    repository: String,
    host: String,
    credentials: Option<(String, String)>,
    /// The `Authorization` header value once a challenge was answered.
    auth: Option<String>,
    insecure_transport: bool,
}

impl Client {
    pub fn new(r: &ImageRef, opts: &RegistryOptions) -> Result<Client, Error> {
        let plain = opts.plain_http || r.is_loopback();
        let mut cfg = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .timeout_per_read(Some(Duration::from_secs(120)))
            .max_redirects(5)
            .user_agent(concat!("kubeward/", env!("CARGO_PKG_VERSION")));
        cfg = cfg.tls_config(tls_config(plain)?);
        let agent: ureq::Agent = cfg.build().into();
        let host = r.api_host().to_string();
        let credentials = match &opts.credentials {
            Some(c) => Some(c.clone()),
            None => docker_credentials(&r.registry, opts.docker_config.as_deref())?,
        };
        Ok(Client {
            agent,
            base: format!("{}://{host}", if plain { "http" } else { "https" }),
            repository: r.repository.clone(),
            host,
            credentials,
            auth: None,
            insecure_transport: plain && !r.is_loopback(),
        })
    }

    fn url(&self, kind: &str, reference: &str) -> String {
        format!("{}/v2/{}/{kind}/{reference}", self.base, self.repository)
    }

    /// GET with one retry after answering an authentication challenge.
    fn get(&mut self, url: &str, accept: Option<&str>) -> Result<Response<ureq::Body>, Error> {
        for attempt in 0..2 {
            let mut req = self.agent.get(url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(h) = &self.auth {
                req = req.header("Authorization", h);
            }
            let mut resp = req.call().map_err(|e| Error::Request {
                url: url.to_string(),
                source: Box::new(e),
            })?;
            let status = resp.status().as_u16();
            if status == 401 && attempt == 0 {
                let challenge = resp
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                self.authenticate(&challenge, url)?;
                continue;
            }
            if !(200..300).contains(&status) {
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(64 << 10)
                    .read_to_string()
                    .unwrap_or_default();
                let detail = registry_error(&body);
                let hint = match status {
                    401 => format!(
                        " (credentials for {}: {})",
                        self.host,
                        if self.credentials.is_some() {
                            "rejected"
                        } else {
                            "none found in the Docker config"
                        }
                    ),
                    403 => " (access denied)".to_string(),
                    404 => " (no such repository, tag or blob)".to_string(),
                    _ => String::new(),
                };
                return Err(Error::Status {
                    url: url.to_string(),
                    status,
                    hint,
                    detail,
                });
            }
            return Ok(resp);
        }
        Err(Error::Unauthenticated {
            url: url.to_string(),
        })
    }

    fn authenticate(&mut self, challenge: &str, url: &str) -> Result<(), Error> {
        let (scheme, params) = parse_challenge(challenge);
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => {
                let Some((u, p)) = &self.credentials else {
                    bail!(
                        "GET {url}: the registry asks for basic authentication and no credentials for {} were found (docker login, or $DOCKER_CONFIG/config.json)",
                        self.host
                    );
                };
                if self.insecure_transport {
                    bail!(
                        "GET {url}: refusing to send a password over plain HTTP to a non-loopback registry"
                    );
                }
                self.auth = Some(basic(u, p));
                Ok(())
            }
            "bearer" => {
                let realm = params
                    .iter()
                    .find(|(k, _)| k == "realm")
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| {
                        Error::Invalid(format!("GET {url}: bearer challenge without a realm"))
                    })?;
                if !(realm.starts_with("https://") || realm.starts_with("http://")) {
                    bail!("GET {url}: token realm `{realm}` is not an http(s) URL");
                }
                let mut query = Vec::new();
                if let Some((_, s)) = params.iter().find(|(k, _)| k == "service") {
                    query.push(format!("service={}", encode(s)));
                }
                let scope = params
                    .iter()
                    .find(|(k, _)| k == "scope")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
                query.push(format!("scope={}", encode(&scope)));
                let sep = if realm.contains('?') { '&' } else { '?' };
                let token_url = format!("{realm}{sep}{}", query.join("&"));
                let mut req = self.agent.get(&token_url);
                if let Some((u, p)) = &self.credentials {
                    let loopback = realm.starts_with("http://127.")
                        || realm.starts_with("http://localhost")
                        || realm.starts_with("http://[::1]");
                    if realm.starts_with("http://") && !loopback {
                        bail!(
                            "GET {url}: refusing to send credentials to the plain-HTTP token service {realm}"
                        );
                    }
                    req = req.header("Authorization", basic(u, p));
                }
                let mut resp = req
                    .call()
                    .map_err(|e| Error::Invalid(format!("token request {realm}: {e}")))?;
                let status = resp.status().as_u16();
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(1 << 20)
                    .read_to_string()
                    .map_err(|e| Error::Invalid(format!("token request {realm}: {e}")))?;
                if !(200..300).contains(&status) {
                    bail!(
                        "token request {realm}: HTTP {status}{}",
                        registry_error(&body)
                    );
                }
                #[derive(serde::Deserialize)]
                struct Token {
                    token: Option<String>,
                    access_token: Option<String>,
                }
                let t: Token = serde_json::from_str(&body).map_err(|e| {
                    Error::Invalid(format!("token request {realm}: not a token response: {e}"))
                })?;
                let token = t
                    .token
                    .or(t.access_token)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| {
                        Error::Invalid(format!("token request {realm}: no token in the response"))
                    })?;
                self.auth = Some(format!("Bearer {token}"));
                Ok(())
            }
            "" => bail!("GET {url}: HTTP 401 without a WWW-Authenticate challenge"),
            other => bail!("GET {url}: unsupported authentication scheme `{other}`"),
        }
    }

    /// A manifest or index by tag or digest: bytes, content type and digest.
    pub fn manifest(
        &mut self,
        reference: &str,
        max: u64,
    ) -> Result<(Vec<u8>, Option<String>, String), Error> {
        let url = self.url("manifests", reference);
        let mut resp = self.get(&url, Some(ACCEPT))?;
        let ct = header(&resp, "content-type");
        let header_digest = header(&resp, "docker-content-digest");
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(max)
            .read_to_vec()
            .map_err(|e| Error::Request {
                url: url.clone(),
                source: Box::new(e),
            })?;
        let digest = if reference.contains(':') {
            verify(&bytes, reference, &format!("manifest {reference}"))?;
            reference.to_string()
        } else {
            let computed = Digest::of(&bytes);
            if let Some(h) = header_digest.filter(|h| h.starts_with("sha256:")) {
                if h != computed {
                    bail!(
                        "manifest {reference}: the registry says digest {h} but the content hashes to {computed}"
                    );
                }
            }
            computed
        };
        Ok((bytes, ct, digest))
    }

    /// A small blob (the config), verified.
    pub fn small_blob(&mut self, d: &Descriptor, max: u64) -> Result<Vec<u8>, Error> {
        let url = self.url("blobs", &d.digest);
        let mut resp = self.get(&url, None)?;
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(max)
            .read_to_vec()
            .map_err(|e| Error::Request {
                url: url.clone(),
                source: Box::new(e),
            })?;
        verify(&bytes, &d.digest, &format!("blob {}", d.digest))?;
        Ok(bytes)
    }
}

impl BlobStore for Client {
    fn open(&mut self, layer: &LayerDesc) -> Result<Box<dyn Read + '_>, Error> {
        let digest = layer
            .digest
            .as_deref()
            .ok_or_else(|| Error::new("registry layer without a digest"))?;
        let url = self.url("blobs", digest);
        let resp = self.get(&url, None)?;
        Ok(Box::new(resp.into_body().into_reader()))
    }
}

pub fn open(r: &ImageRef, opts: &Options) -> Result<Opened, Error> {
    let mut client = Client::new(r, &opts.registry)?;
    let max = opts.limits.max_manifest;
    let (bytes, ct, digest) = client.manifest(r.reference(), max)?;
    let what = r.to_string();
    let mut index_digest = None;
    let mut manifest_digest = Some(digest);
    let (config_desc, layers) = {
        let c = &mut client;
        resolve(
            (bytes, ct),
            |d| {
                let (b, ct, _) = c.manifest(&d.digest, max)?;
                Ok((b, ct))
            },
            opts.platform.as_ref(),
            &what,
            &mut index_digest,
            &mut manifest_digest,
        )?
    };
    let config_bytes = client.small_blob(&config_desc, max)?;
    let config = ImageConfig::parse(
        &config_bytes,
        &format!("{what}: config {}", config_desc.digest),
    )?;
    Ok(Opened {
        info: SourceInfo {
            kind: "registry".into(),
            reference: what,
            manifest_digest,
            config_digest: config_desc.digest.clone(),
            platform: config.platform(),
            index_digest,
        },
        config,
        layers: layer_descs(&layers),
        blobs: Box::new(client),
    })
}

fn header(resp: &Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// The `message`s of a registry error body (`{"errors":[{"code","message"}]}`).
fn registry_error(body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Errs {
        errors: Vec<E>,
    }
    #[derive(serde::Deserialize)]
    struct E {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_str::<Errs>(body) {
        Ok(e) if !e.errors.is_empty() => {
            let parts: Vec<String> = e
                .errors
                .iter()
                .map(|e| format!("{} {}", e.code, e.message).trim().to_string())
                .collect();
            format!(": {}", parts.join("; "))
        }
        _ => String::new(),
    }
}

/// `Scheme k="v",k2="v2"` → (scheme, pairs). Quoted values may hold commas.
pub fn parse_challenge(h: &str) -> (String, Vec<(String, String)>) {
    let h = h.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    let mut params = Vec::new();
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b' ' || b[i] == b',') {
            i += 1;
        }
        let ks = i;
        while i < b.len() && b[i] != b'=' {
            i += 1;
        }
        let key = rest[ks..i].trim().to_ascii_lowercase();
        i += 1;
        let mut val = String::new();
        if i < b.len() && b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                val.push(b[i] as char);
                i += 1;
            }
            i += 1;
        } else {
            let vs = i.min(b.len());
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
            val = rest[vs..i.min(rest.len())].trim().to_string();
        }
        if !key.is_empty() {
            params.push((key, val));
        }
    }
    (scheme.to_string(), params)
}

fn encode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

fn tls_config(plain: bool) -> Result<ureq::tls::TlsConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut b = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(provider);
    if !plain {
        let found = rustls_native_certs::load_native_certs();
        let certs: Vec<ureq::tls::Certificate<'static>> = found
            .certs
            .iter()
            .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        if certs.is_empty() {
            bail!(
                "no root certificates found in the platform store ({} errors); install ca-certificates or set SSL_CERT_FILE",
                found.errors.len()
            );
        }
        b = b.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    Ok(b.build())
}

/// Credentials for `registry` from the Docker config: `auths.<key>.auth` (base64
/// `user:password`) or `username`/`password`, where the key is the host, with or without a
/// scheme and path (`https://index.docker.io/v1/` for Docker Hub).
pub fn docker_credentials(
    registry: &str,
    explicit: Option<&std::path::Path>,
) -> Result<Option<(String, String)>, Error> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match std::env::var_os("DOCKER_CONFIG") {
            Some(d) => PathBuf::from(d).join("config.json"),
            None => match std::env::var_os("HOME") {
                Some(h) => PathBuf::from(h).join(".docker/config.json"),
                None => return Ok(None),
            },
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
            return Ok(None);
        }
        Err(e) => bail!("{}: {e}", path.display()),
    };
    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(default)]
        auths: std::collections::BTreeMap<String, Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        auth: Option<String>,
        username: Option<String>,
        password: Option<String>,
    }
    let cfg: Config = serde_json::from_str(&text).map_err(|e| {
        Error::Invalid(format!("{}: not a Docker config file: {e}", path.display()))
    })?;
    let hub = registry == "docker.io" || registry == "index.docker.io";
    let key_host = |k: &str| -> String {
        let k = k
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        k.split('/').next().unwrap_or("").to_string()
    };
    for (k, e) in &cfg.auths {
        let h = key_host(k);
        let hit = h == registry
            || (hub && (h == "index.docker.io" || h == "docker.io" || h == "registry-1.docker.io"));
        if !hit {
            continue;
        }
        if let Some(a) = &e.auth {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(a.trim())
                .map_err(|_| {
                    Error::Invalid(format!("{}: auths.{k}.auth is not base64", path.display()))
                })?;
            let s = String::from_utf8(raw).map_err(|_| {
                Error::Invalid(format!("{}: auths.{k}.auth is not UTF-8", path.display()))
            })?;
            let (u, p) = s.split_once(':').ok_or_else(|| {
                Error::Invalid(format!(
                    "{}: auths.{k}.auth is not user:password",
                    path.display()
                ))
            })?;
            return Ok(Some((u.to_string(), p.to_string())));
        }
        if let (Some(u), Some(p)) = (&e.username, &e.password) {
            return Ok(Some((u.clone(), p.clone())));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="reg,istry",scope="repository:a/b:pull""#,
        );
        assert_eq!(s, "Bearer");
        assert_eq!(p[0], ("realm".into(), "https://auth.example/token".into()));
        assert_eq!(p[1], ("service".into(), "reg,istry".into()));
        assert_eq!(p[2].1, "repository:a/b:pull");
        let (s, p) = parse_challenge(r#"Basic realm="basic-realm""#);
        assert_eq!((s.as_str(), p.len()), ("Basic", 1));
    }

    #[test]
    fn docker_config_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(
            &p,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"aHViOnNlY3JldA=="},"reg.example:5000":{"username":"u","password":"p"}}}"#,
        )
        .unwrap();
        assert_eq!(
            docker_credentials("docker.io", Some(&p)).unwrap(),
            Some(("hub".into(), "secret".into()))
        );
        assert_eq!(
            docker_credentials("reg.example:5000", Some(&p)).unwrap(),
            Some(("u".into(), "p".into()))
        );
        assert_eq!(docker_credentials("other.example", Some(&p)).unwrap(), None);
    }
}
