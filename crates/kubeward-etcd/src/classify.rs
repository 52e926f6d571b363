//! What a value prefix says about how the API server stored an object.

/// How one value is stored.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Storage {
    /// Kubernetes protobuf (`k8s\0` magic): not encrypted.
    PlainProtobuf,
    /// JSON: not encrypted.
    PlainJson,
    /// `k8s:enc:<provider>:<version>:<key or plugin name>:`.
    Encrypted {
        /// `aescbc`, `aesgcm`, `secretbox`, `kms`, or another name as written.
        provider: String,
        /// `v1`, `v2`.
        version: String,
        /// The key name (aescbc, aesgcm, secretbox) or KMS plugin name; `None` when the name
        /// did not end within the bytes read.
        key: Option<String>,
    },
    /// Anything else (not written by an API server, or a format kubeward does not know).
    Unknown,
}

impl Storage {
    /// `aescbc:v1:key1`, `plaintext (protobuf)`, for reports.
    pub fn label(&self) -> String {
        match self {
            Storage::PlainProtobuf => "plaintext (protobuf)".into(),
            Storage::PlainJson => "plaintext (JSON)".into(),
            Storage::Encrypted {
                provider,
                version,
                key,
            } => format!(
                "{provider}:{version}:{}",
                key.as_deref()
                    .unwrap_or("(name not within the prefix read)")
            ),
            Storage::Unknown => "unrecognised".into(),
        }
    }

    pub fn is_plaintext(&self) -> bool {
        matches!(self, Storage::PlainProtobuf | Storage::PlainJson)
    }
}

/// How many bytes of a value are kept: enough for the longest provider prefix with a key or
/// plugin name; nothing of the payload is needed.
pub const PREFIX_BYTES: usize = 96;

/// Classifies a value from its first bytes (at most [`PREFIX_BYTES`] are looked at).
pub fn classify(value: &[u8]) -> Storage {
    let v = &value[..value.len().min(PREFIX_BYTES)];
    if v.starts_with(b"k8s\0") {
        return Storage::PlainProtobuf;
    }
    if let Some(rest) = v.strip_prefix(b"k8s:enc:") {
        let mut parts = rest.splitn(4, |&b| b == b':');
        let provider = parts.next().unwrap_or_default();
        let version = parts.next();
        let key = parts.next();
        let ended = parts.next().is_some();
        if let Some(version) = version {
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            return Storage::Encrypted {
                provider: text(provider),
                version: text(version),
                key: key.filter(|_| ended).map(text),
            };
        }
        return Storage::Unknown;
    }
    let first = v.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return Storage::PlainJson;
    }
    Storage::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(p: &str, v: &str, k: &str) -> Storage {
        Storage::Encrypted {
            provider: p.into(),
            version: v.into(),
            key: Some(k.into()),
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            classify(b"k8s\0\n\x0c\n\x02v1\x12\x06Secret"),
            Storage::PlainProtobuf
        );
        assert_eq!(classify(b"{\"kind\":\"Secret\"}"), Storage::PlainJson);
        assert_eq!(classify(b"\n {\"a\":1}"), Storage::PlainJson);
        assert_eq!(
            classify(b"k8s:enc:aescbc:v1:key1:\x01\x02"),
            enc("aescbc", "v1", "key1")
        );
        assert_eq!(
            classify(b"k8s:enc:aesgcm:v1:k:\xff"),
            enc("aesgcm", "v1", "k")
        );
        assert_eq!(
            classify(b"k8s:enc:secretbox:v1:sb:"),
            enc("secretbox", "v1", "sb")
        );
        assert_eq!(
            classify(b"k8s:enc:kms:v1:vault:\x00"),
            enc("kms", "v1", "vault")
        );
        assert_eq!(
            classify(b"k8s:enc:kms:v2:awskms:\n\x10"),
            enc("kms", "v2", "awskms")
        );
        // A name that does not end within the prefix read is not guessed.
        let long = format!("k8s:enc:aescbc:v1:{}", "x".repeat(200));
        assert!(matches!(
            classify(long.as_bytes()),
            Storage::Encrypted { key: None, .. }
        ));
        assert_eq!(classify(b"k8s:enc:"), Storage::Unknown);
        assert_eq!(classify(b"\x00\x01binary"), Storage::Unknown);
        assert_eq!(classify(b""), Storage::Unknown);
    }
}
