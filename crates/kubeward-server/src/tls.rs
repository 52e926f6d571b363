//! The serving certificate, re-read when its files change (cert-manager and the kubelet's
//! Secret volumes replace both files at once). Connections already open keep the certificate
//! they were set up with; new handshakes get the new one. A pair that fails to load (a key that
//! does not match the certificate, a half-written file) leaves the previous one in service and
//! is retried on the next check.

use crate::error::Error;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

/// Modification time, length and inode: a Secret volume swaps files by renaming a symlinked
/// folder, so any of them may be what changes.
type Stamp = Option<(SystemTime, u64, u64)>;

#[derive(Debug)]
pub struct ReloadingCert {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<Option<Arc<CertifiedKey>>>,
    stamps: Mutex<(Stamp, Stamp)>,
}

fn stamp(p: &Path) -> Stamp {
    let m = std::fs::metadata(p).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let ino = 0;
    Some((m.modified().ok()?, m.len(), ino))
}

/// Reads a certificate chain and key pair from PEM files.
pub fn load_pair(cert: &Path, key: &Path) -> Result<CertifiedKey, Error> {
    let pem = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Pem { path, source }
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(pem(cert))?
        .collect::<Result<_, _>>()
        .map_err(pem(cert))?;
    if certs.is_empty() {
        return Err(Error::NoCertificate {
            path: cert.to_path_buf(),
        });
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(pem(key))?;
    let provider = rustls::crypto::ring::default_provider();
    let ck = CertifiedKey::from_der(certs, key_der, &provider).map_err(|source| Error::Pair {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        source,
    })?;
    Ok(ck)
}

impl ReloadingCert {
    /// Loads the pair now; an error here is a start-up error.
    pub fn new(cert_path: &Path, key_path: &Path) -> Result<Arc<ReloadingCert>, Error> {
        let c = ReloadingCert {
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            current: RwLock::new(None),
            stamps: Mutex::new((None, None)),
        };
        c.reload()?;
        Ok(Arc::new(c))
    }

    /// Re-reads the files if they changed. `Ok(true)`: a new pair is in service.
    pub fn reload(&self) -> Result<bool, Error> {
        let now = (stamp(&self.cert_path), stamp(&self.key_path));
        let mut stamps = self.stamps.lock().map_err(|_| Error::PoisonedLock)?;
        let loaded = self.current.read().map(|c| c.is_some()).unwrap_or(false);
        if loaded && *stamps == now {
            return Ok(false);
        }
        let ck = load_pair(&self.cert_path, &self.key_path)?;
        *stamps = now;
        if let Ok(mut cur) = self.current.write() {
            *cur = Some(Arc::new(ck));
        }
        Ok(true)
    }

    pub fn is_loaded(&self) -> bool {
        self.current.read().map(|c| c.is_some()).unwrap_or(false)
    }

    /// The rustls server configuration (TLS 1.2 and 1.3, ring, HTTP/1.1).
    pub fn server_config(self: &Arc<Self>) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(cfg)
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok()?.clone()
    }
}
