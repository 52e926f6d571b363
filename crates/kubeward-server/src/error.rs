//! The server's errors: start-up (certificates, credentials, listener) and bad requests.
//! Each prints the text `kubeward serve` has always shown.

use std::path::PathBuf;

/// Why the server could not start, or a certificate reload failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A PEM file (certificate, key, CA bundle) could not be read or parsed.
    #[error("{}: {source}", path.display())]
    Pem {
        path: PathBuf,
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    /// The certificate file holds no certificate.
    #[error("{}: no certificate found", path.display())]
    NoCertificate { path: PathBuf },
    /// The certificate and key do not make a usable pair (mismatch, unsupported key).
    #[error("{} / {}: {source}", cert.display(), key.display())]
    Pair {
        cert: PathBuf,
        key: PathBuf,
        #[source]
        source: rustls::Error,
    },
    /// A CA certificate was rejected by the trust store.
    #[error("{}: {source}", path.display())]
    CaCertificate {
        path: PathBuf,
        #[source]
        source: rustls::Error,
    },
    /// The TLS client configuration could not be built.
    #[error("{0}")]
    Tls(#[source] rustls::Error),
    /// A Docker config file is not usable.
    #[error("{}: {source}", path.display())]
    DockerConfig {
        path: PathBuf,
        #[source]
        source: CredsError,
    },
    /// The decision log could not be opened.
    #[error("decision log {target}: {source}")]
    DecisionLog {
        target: String,
        #[source]
        source: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("{0}")]
    Runtime(#[source] std::io::Error),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The server stopped on an I/O error.
    #[error("{0}")]
    Serve(#[source] std::io::Error),
    /// A lock was poisoned by a panicking thread.
    #[error("poisoned lock")]
    PoisonedLock,
}

/// A Docker config file (`~/.docker/config.json`) that cannot be used. Secrets are never quoted.
#[derive(Debug, thiserror::Error)]
pub enum CredsError {
    #[error("not a Docker config file: {0}")]
    NotJson(#[source] serde_json::Error),
    #[error("auths.{host}.auth is not base64")]
    AuthNotBase64 { host: String },
    #[error("auths.{host}.auth is not UTF-8")]
    AuthNotUtf8 { host: String },
    #[error("auths.{host}.auth is not `user:password`")]
    AuthNotUserPassword { host: String },
}

/// An admission request that cannot be read (answered 400, or denied with the reason).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The body is not an AdmissionReview in JSON.
    #[error("cannot decode the AdmissionReview: {0}")]
    Decode(#[source] serde_json::Error),
    /// An AdmissionReview of another version, or another kind.
    #[error(
        "expected an AdmissionReview of apiVersion {expected}, got kind `{kind}` apiVersion \
         `{api_version}` (list only {expected} in admissionReviewVersions)"
    )]
    WrongVersion {
        expected: &'static str,
        kind: String,
        api_version: String,
    },
    #[error("the AdmissionReview has no request")]
    NoRequest,
    #[error("the AdmissionReview request has no uid")]
    NoUid,
    /// The request object does not parse.
    #[error("line {line}, column {column}: {message}")]
    Object {
        line: u32,
        column: u32,
        message: String,
    },
    #[error("the object has no apiVersion and kind")]
    NoKind,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::decode_admission;
    use crate::validate::load_object;

    #[test]
    fn a_caller_can_tell_bad_requests_apart() {
        assert!(matches!(
            decode_admission(b"not json"),
            Err(RequestError::Decode(_))
        ));
        let v1beta1 = br#"{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview"}"#;
        match decode_admission(v1beta1) {
            Err(e @ RequestError::WrongVersion { .. }) => {
                let RequestError::WrongVersion { api_version, .. } = &e else {
                    unreachable!()
                };
                assert_eq!(api_version, "admission.k8s.io/v1beta1");
                assert_eq!(
                    e.to_string(),
                    "expected an AdmissionReview of apiVersion admission.k8s.io/v1, got kind \
                     `AdmissionReview` apiVersion `admission.k8s.io/v1beta1` (list only \
                     admission.k8s.io/v1 in admissionReviewVersions)"
                );
            }
            other => panic!("expected WrongVersion, got {other:?}"),
        }
        let no_request = br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}"#;
        assert!(matches!(
            decode_admission(no_request),
            Err(RequestError::NoRequest)
        ));
        assert!(matches!(
            load_object("{\"a\": ", None),
            Err(RequestError::Object { line: 1, .. })
        ));
        let e = load_object("", None).err();
        assert!(matches!(e, Some(RequestError::NoKind)), "{e:?}");
    }
}
