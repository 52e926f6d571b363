//! Errors at the crate's boundary: TLS material for the webhook, IP ranges and settings.
//! Each prints the text the CLI has always shown.

/// PEM certificates and keys that cannot be used (the webhook's serving pair, the alert CA).
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("invalid certificate PEM: {0}")]
    CertificatePem(#[source] rustls::pki_types::pem::Error),
    #[error("no certificate in the certificate file")]
    NoCertificate,
    #[error("invalid key PEM: {0}")]
    KeyPem(#[source] rustls::pki_types::pem::Error),
    #[error("certificate and key do not match: {0}")]
    Mismatch(#[source] rustls::Error),
    #[error("invalid CA PEM: {0}")]
    CaPem(#[source] rustls::pki_types::pem::Error),
    #[error("invalid CA certificate: {0}")]
    CaCertificate(#[source] rustls::Error),
    /// The TLS configuration could not be built.
    #[error("{0}")]
    Config(#[source] rustls::Error),
}

/// An IP range that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("invalid IP range `{0}`")]
    Address(String),
    #[error("invalid prefix length in `{0}`")]
    Prefix(String),
}

/// Audit settings given as a located node that are not valid.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The block does not have the expected shape.
    #[error("{0}")]
    Shape(#[source] serde_json::Error),
    /// A value is out of range; `pointer` is its JSON pointer.
    #[error("{pointer}: {message}")]
    Invalid { pointer: String, message: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::server_tls;

    #[test]
    fn a_caller_can_tell_a_missing_certificate_from_a_bad_key() {
        let e = server_tls(b"", b"").unwrap_err();
        assert!(matches!(e, TlsError::NoCertificate), "{e:?}");
        assert_eq!(e.to_string(), "no certificate in the certificate file");
        let cert = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let e = server_tls(cert, b"no key here").unwrap_err();
        assert!(matches!(e, TlsError::KeyPem(_)), "{e:?}");
        assert!(e.to_string().starts_with("invalid key PEM: "), "{e}");
    }

    #[test]
    fn settings_errors_name_the_field() {
        let node = kubeward_core::Node::from_json(&serde_json::json!({
            "allowed_source_ranges": ["10.0.0.0/99"]
        }));
        match crate::settings::from_node(&node) {
            Err(SettingsError::Invalid { pointer, message }) => {
                assert_eq!(pointer, "/allowed_source_ranges/0");
                assert_eq!(message, "invalid prefix length in `10.0.0.0/99`");
            }
            Err(other) => panic!("expected Invalid, got {other:?}"),
            Ok(_) => panic!("a bad range is an error"),
        }
        let node = kubeward_core::Node::from_json(&serde_json::json!({"controllers": 3}));
        assert!(matches!(
            crate::settings::from_node(&node),
            Err(SettingsError::Shape(_))
        ));
    }
}
