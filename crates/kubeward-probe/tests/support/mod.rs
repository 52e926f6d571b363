//! Loopback servers that imitate Kubernetes components: TLS with and without client
//! authentication, plain HTTP, a silent TCP listener.

#![allow(dead_code)]

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

pub enum Kind {
    /// TLS; `client_auth`: require a client certificate.
    Tls {
        client_auth: bool,
    },
    Plain,
    /// Accepts and never answers.
    Silent,
}

fn server_config(client_auth: bool) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if client_auth {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca_cert.der().clone()).unwrap();
        let v =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(v)
    } else {
        builder.with_no_client_auth()
    };
    let key_der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    Arc::new(
        builder
            .with_single_cert(vec![cert.der().clone()], key_der)
            .unwrap(),
    )
}

async fn respond<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut s: S, status: u16) {
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
        // A TLS ClientHello sent to a plain HTTP server: answer 400 at once, as Go's
        // net/http (etcd, the kubelet) does for a request line it cannot parse.
        if got.first() == Some(&0x16) {
            let _ = s
                .write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                .await;
            let _ = s.shutdown().await;
            return;
        }
    }
    let body = "{}";
    let _ = s
        .write_all(
            format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await;
    let _ = s.shutdown().await;
}

/// Starts a server on 127.0.0.1 that answers every request with `status`; returns its port.
pub async fn serve(kind: Kind, status: u16) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let tls = match kind {
        Kind::Tls { client_auth } => {
            Some(tokio_rustls::TlsAcceptor::from(server_config(client_auth)))
        }
        _ => None,
    };
    let silent = matches!(kind, Kind::Silent);
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { return };
            let tls = tls.clone();
            tokio::spawn(async move {
                if silent {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                    drop(s);
                    return;
                }
                match tls {
                    Some(acc) => {
                        if let Ok(t) = acc.accept(s).await {
                            respond(t, status).await;
                        }
                    }
                    None => respond(s, status).await,
                }
            });
        }
    });
    port
}

/// A port on 127.0.0.1 that nothing listens on.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
