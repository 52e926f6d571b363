//! One bounded HTTP(S) request: TCP connect, optional TLS without a client certificate and
//! without server verification (a probe asks what answers, not whom to trust), `GET path`,
//! the status line.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What one request saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Nothing accepted the connection (refused or timed out).
    Closed,
    /// The connection was accepted, and then nothing intelligible came back.
    Open,
    /// The TLS server refused us because we sent no client certificate.
    ClientCertRequired,
    /// The TLS handshake failed for another reason (the text says which).
    TlsFailed(String),
    /// An HTTP status.
    Status(u16),
}

#[derive(Debug)]
struct AcceptAnything(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TLS client configuration of the probe: ring, no client certificate, no verification.
pub fn tls_config() -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider)))
        .with_no_client_auth();
    Arc::new(cfg)
}

/// The most bytes read of a reply: the status line is all that is used.
const READ_LIMIT: usize = 16 * 1024;

fn classify_tls_error(e: &std::io::Error) -> Reply {
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::HandshakeFailure,
        )) => Reply::ClientCertRequired,
        Some(other) => Reply::TlsFailed(other.to_string()),
        None => Reply::TlsFailed(e.to_string()),
    }
}

fn status_of(buf: &[u8]) -> Option<u16> {
    let line = buf.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    let proto = parts.next()?;
    if !proto.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok()
}

async fn exchange<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut s: S,
    host: &str,
    path: &str,
) -> std::io::Result<Reply> {
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: kubeward-probe\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.contains(&b'\n') || buf.len() >= READ_LIMIT {
            break;
        }
    }
    Ok(status_of(&buf).map_or(Reply::Open, Reply::Status))
}

/// `GET path` on `host:port`, over TLS when `tls`. The caller bounds the time.
pub async fn get(
    tls: Option<&Arc<rustls::ClientConfig>>,
    host: &str,
    port: u16,
    path: &str,
) -> Reply {
    let Ok(tcp) = TcpStream::connect((host, port)).await else {
        return Reply::Closed;
    };
    let _ = tcp.set_nodelay(true);
    let Some(cfg) = tls else {
        return exchange(tcp, host, path).await.unwrap_or(Reply::Open);
    };
    let name = match ServerName::try_from(host.to_string()) {
        Ok(n) => n,
        Err(_) => return Reply::TlsFailed(format!("`{host}` is not a valid server name")),
    };
    let connector = tokio_rustls::TlsConnector::from(cfg.clone());
    let stream = match connector.connect(name, tcp).await {
        Ok(s) => s,
        Err(e) => return classify_tls_error(&e),
    };
    // With TLS 1.3 a server that requires a client certificate says so after the handshake,
    // on the first read.
    match exchange(stream, host, path).await {
        Ok(r) => r,
        Err(e) => match classify_tls_error(&e) {
            Reply::TlsFailed(_) => Reply::Open,
            r => r,
        },
    }
}

/// A TCP connect only.
pub async fn connect(host: &str, port: u16) -> Reply {
    match TcpStream::connect((host, port)).await {
        Ok(_) => Reply::Open,
        Err(_) => Reply::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(status_of(b"HTTP/1.1 401 Unauthorized\r\n"), Some(401));
        assert_eq!(status_of(b"HTTP/1.0 200 OK\r\n\r\n"), Some(200));
        assert_eq!(status_of(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_of(b""), None);
    }
}
