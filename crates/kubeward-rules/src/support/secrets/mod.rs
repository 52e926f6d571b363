//! Credential detection for literal values (env values, ConfigMap data) and redaction.
//!
//! Three kinds of evidence, tried in this order:
//! 1. the value has the format of a known credential (PEM private keys, AWS access key IDs,
//!    GitHub/GitLab/Slack/Stripe/Google/npm/SendGrid tokens, JWTs, URLs with a password,
//!    connection strings with an account key), wherever it appears in the value;
//! 2. the key name says it is a credential (`DB_PASSWORD`, `apiKey`, `client-secret`) and the
//!    value is a literal, not a reference, a path, a URL without a password, a placeholder, a
//!    template or a flag;
//! 3. the value is long, random-looking text (high entropy, many character-class changes, all
//!    of upper case, lower case and digits) and its name does not say it is an identifier or a
//!    hash.
//!
//! Nothing here ever returns the value; [`redact`] describes it without revealing it.

mod formats;
mod names;
mod values;

pub(crate) use formats::*;
pub(crate) use names::*;
pub(crate) use values::*;

use kubeward_core::Severity;
use memchr::memmem::Finder;
use std::sync::{LazyLock, RwLock};

/// Substring searchers built once (a `str::contains` builds its searcher on every call, which
/// dominated the cost of scanning ConfigMaps).
struct Needles {
    begin: Finder<'static>,
    begin_word: Finder<'static>,
    private_key: Finder<'static>,
    putty: Finder<'static>,
    scheme: Finder<'static>,
    account_key: Finder<'static>,
    shared_key: Finder<'static>,
    slack_hook: Finder<'static>,
    jwt: Finder<'static>,
    pem_b64: Finder<'static>,
}

static NEEDLES: LazyLock<Needles> = LazyLock::new(|| Needles {
    begin: Finder::new("-----BEGIN "),
    begin_word: Finder::new("BEGIN"),
    private_key: Finder::new("PRIVATE KEY"),
    putty: Finder::new("PuTTY-User-Key-File-"),
    scheme: Finder::new("://"),
    account_key: Finder::new("AccountKey="),
    shared_key: Finder::new("SharedAccessKey="),
    slack_hook: Finder::new("hooks.slack.com/services/"),
    jwt: Finder::new("eyJ"),
    pem_b64: Finder::new("LS0tLS1CRUdJTi"),
});

/// Whether `hay` contains `needle` (lower-case ASCII), ignoring ASCII case, without allocating.
fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else {
        return true;
    };
    h.len() >= n.len()
        && h.windows(n.len())
            .any(|w| w[0].to_ascii_lowercase() == first && w.eq_ignore_ascii_case(n))
}

/// What was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Detection {
    /// `a GitHub token`, `a literal password`, ...
    pub what: String,
    pub severity: Severity,
    /// A public, fixed prefix of the credential format (`ghp_`, `AKIA`) that may be shown.
    pub public_prefix: Option<&'static str>,
    /// Length of the detected credential (the whole value for name-based detections); shown
    /// only as a range ([`length_bucket`]).
    pub len: usize,
    /// Keyed fingerprint of the detected credential ([`fingerprint`]), to tell values apart;
    /// none without a configured key.
    pub fp: Option<u32>,
}

impl Detection {
    fn new(
        what: impl Into<String>,
        severity: Severity,
        prefix: Option<&'static str>,
        secret: &str,
    ) -> Self {
        Detection {
            what: what.into(),
            severity,
            public_prefix: prefix,
            len: secret.chars().count(),
            fp: fingerprint(secret),
        }
    }

    /// `[redacted: ghp_…, 32-63 chars]`, with `, fp 3a9c1e07` when a fingerprint key is set:
    /// never the value itself, nor its exact length.
    pub fn redacted(&self) -> String {
        let len = length_bucket(self.len);
        let fp = self.fp.map(|f| format!(", fp {f:08x}")).unwrap_or_default();
        match self.public_prefix {
            Some(p) => format!("[redacted: {p}…, {len}{fp}]"),
            None => format!("[redacted: {len}{fp}]"),
        }
    }
}

/// The length of a credential as a range: enough to tell a short password from a key, not
/// enough to narrow a guess.
pub(crate) fn length_bucket(len: usize) -> &'static str {
    match len {
        0..8 => "under 8 chars",
        8..16 => "8-15 chars",
        16..32 => "16-31 chars",
        32..64 => "32-63 chars",
        64..128 => "64-127 chars",
        128..1024 => "128-1023 chars",
        _ => "1024 chars or more",
    }
}

/// The key of [`fingerprint`], from `settings.fingerprint_key` (or
/// `KUBEWARD_FINGERPRINT_KEY`). Without one, redacted values carry no fingerprint: an unkeyed
/// hash would let anyone holding a report confirm a guessed password, and a random key per
/// scan would make the same input give a different report each time.
static FP_KEY: LazyLock<RwLock<Option<ring::hmac::Key>>> = LazyLock::new(|| RwLock::new(None));

/// Sets the fingerprint key for the scans that follow: `Some(passphrase)` for fingerprints
/// that tell values apart (and stay the same from one scan to the next), `None` for none.
pub fn set_fingerprint_key(key: Option<&str>) {
    let k = key.map(|k| ring::hmac::Key::new(ring::hmac::HMAC_SHA256, k.as_bytes()));
    *FP_KEY.write().unwrap_or_else(|e| e.into_inner()) = k;
}

/// HMAC-SHA256 of the value under the configured key, cut to 32 bits: the same value gives the
/// same fingerprint, and without the key a guess cannot be checked against it. `None` when no
/// key is configured.
pub(crate) fn fingerprint(s: &str) -> Option<u32> {
    let key = FP_KEY.read().unwrap_or_else(|e| e.into_inner());
    let tag = ring::hmac::sign(key.as_ref()?, s.as_bytes());
    let b = tag.as_ref();
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// How much of a value the detectors read: credentials sit in values of a few KiB at most
/// (a PEM key is 3 KiB, a kubeconfig 10); a value of tens of megabytes is checked on its first
/// MiB, so that its size costs neither time nor memory per rule.
pub(crate) const MAX_SCAN: usize = 1 << 20;

/// The first [`MAX_SCAN`] bytes of `v` (cut at a character boundary).
pub(crate) fn scanned(v: &str) -> &str {
    if v.len() <= MAX_SCAN {
        return v;
    }
    let mut end = MAX_SCAN;
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    &v[..end]
}

/// Classifies a `name: value` pair. `None` when nothing looks like a credential. Only the
/// first [`MAX_SCAN`] bytes of the value are read.
pub(crate) fn classify(name: &str, value: &str) -> Option<Detection> {
    let value = scanned(value);
    if let Some(d) = detect_format(value) {
        return Some(d);
    }
    if is_credential_name(name) && is_literal_secret(value) {
        return Some(Detection::new(
            format!("a literal {}", credential_noun(name)),
            Severity::High,
            None,
            value.trim(),
        ));
    }
    if is_high_entropy(value.trim()) && !names_an_identifier(name) {
        return Some(Detection::new(
            "a random-looking string (high entropy) that looks like a generated credential",
            Severity::Medium,
            None,
            value.trim(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn what(name: &str, value: &str) -> Option<String> {
        classify(name, value).map(|d| d.what)
    }

    #[test]
    fn private_keys_with_sloppy_armour() {
        for v in [
            "---BEGIN RSA PRIVATE KEY---\nMIIEow...\n---END RSA PRIVATE KEY---",
            "----- BEGIN PRIVATE KEY -----\nMIIEv...",
            "----BEGIN  EC  PRIVATE KEY----\nMHcC...",
            "key: |\n  ---  BEGIN OPENSSH PRIVATE KEY  ---\n  b3Bl...",
        ] {
            let d = detect_format(v).unwrap_or_else(|| panic!("{v}"));
            assert!(d.what.contains("PEM private key"), "{v}: {}", d.what);
            assert_eq!(d.severity, Severity::Critical);
        }
        for v in [
            "--BEGIN RSA PRIVATE KEY--\nMIIE",
            "------- BEGIN PRIVATE KEY -------",
            "---BEGIN CERTIFICATE---\nMIIC",
            "--- BEGIN private key ---",
            "BEGIN PRIVATE KEY",
            "-----BEGIN PUBLIC KEY-----\nMIIB",
        ] {
            assert_eq!(detect_format(v).map(|d| d.what), None, "{v}");
        }
    }

    #[test]
    fn formats() {
        let cases = [
            (
                "X",
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----",
                "a PEM private key",
            ),
            (
                "X",
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...",
                "a PEM private key",
            ),
            ("X", "AKIA2E0A8F3B244C9986", "an AWS access key ID"),
            (
                "X",
                "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A",
                "a GitHub personal access token",
            ),
            (
                "X",
                "token ghs_16C7e42F292c6912E7710c838347Ae178B4a here",
                "a GitHub server-to-server token",
            ),
            (
                "X",
                "glpat-9fK2xQ7mZ1vB4nR8tY3w",
                "a GitLab personal access token",
            ),
            ("X", "xoxb-2934-2934-aB3dE5fG7hJ9kL1", "a Slack bot token"),
            (
                "X",
                "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX",
                "a Slack webhook URL",
            ),
            (
                "X",
                "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
                "a Stripe secret key",
            ),
            (
                "X",
                "AIzaSyA-1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tUv",
                "a Google API key",
            ),
            (
                "DATABASE_URL",
                "postgres://shop:Sup3rS3cret@db:5432/shop",
                "a password in a URL",
            ),
            ("X", "redis://:hunter22@redis:6379/0", "a password in a URL"),
            (
                "X",
                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=bm90LWEtcmVhbC1rZXktYnV0LWxvbmctZW5vdWdo;EndpointSuffix=core.windows.net",
                "an Azure storage account key",
            ),
            (
                "X",
                "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "a JSON Web Token",
            ),
            (
                "kubeconfig",
                "client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF",
                "a base64-encoded PEM private key",
            ),
        ];
        for (n, v, want) in cases {
            assert_eq!(what(n, v).as_deref(), Some(want), "{v}");
        }
    }

    #[test]
    fn credential_names() {
        for n in [
            "DB_PASSWORD",
            "password",
            "POSTGRES_PASSWORD",
            "dbPass",
            "MYSQL_ROOT_PASSWD",
            "API_KEY",
            "apiKey",
            "STRIPE_APIKEY",
            "client_secret",
            "clientSecret",
            "GITHUB_TOKEN",
            "auth-token",
            "AWS_SECRET_ACCESS_KEY",
            "SECRET_KEY_BASE",
            "JWT_SECRET",
            "NEXTAUTH_SECRET",
            "jwtSigningKey",
            "encryption-key",
            "SSH_PRIVATE_KEY",
            "AZURE_STORAGE_CONNECTION_STRING",
            "spring.datasource.password",
            "client-key",
            "REDIS_PASS",
        ] {
            assert!(is_credential_name(n), "{n}");
        }
        for n in [
            "PWD",
            "OLDPWD",
            "DB_PASSWORD_FILE",
            "SECRET_NAME",
            "TOKEN_URL",
            "API_KEY_HEADER",
            "AWS_ACCESS_KEY_ID",
            "TOKEN_EXPIRY",
            "MAX_TOKENS",
            "PASS_THROUGH",
            "BYPASS_CACHE",
            "PASSWORD_MIN_LENGTH",
            "CACHE_KEY",
            "PARTITION_KEY",
            "KEY",
            "AUTH_ENABLED",
            "OAUTH_ISSUER",
            "VAULT_SECRET_PATH",
            "JWT_SECRET_KEY_ID",
            "DATABASE_CREDENTIALS_FILE",
            "LOG_LEVEL",
            "TOKENIZER",
        ] {
            assert!(!is_credential_name(n), "{n}");
        }
        assert_eq!(name_words("APIKey"), vec!["api", "key"]);
        assert_eq!(
            name_words("spring.datasource.password"),
            vec!["spring", "datasource", "password"]
        );
    }

    #[test]
    fn false_positives_stay_quiet() {
        for (n, v) in [
            // URLs without passwords, paths, references, templates, placeholders.
            ("AUTH_URL", "https://auth.example.com/oauth2/token"),
            ("DATABASE_URL", "postgres://shop@db.shop.svc:5432/shop"),
            (
                "DATABASE_URL",
                "postgres://shop:$(DB_PASSWORD)@db:5432/shop",
            ),
            ("SECRET_STORE", "https://vault.example.com:8200"),
            ("DB_PASSWORD", "/etc/shop/db/password"),
            ("DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)"),
            ("DB_PASSWORD", "${DB_PASSWORD}"),
            ("DB_PASSWORD", "{{ .Values.db.password }}"),
            ("DB_PASSWORD", "<your password here>"),
            ("DB_PASSWORD", "changeme"),
            ("DB_PASSWORD", ""),
            ("API_TOKEN", "vault:secret/data/api#token"),
            (
                "API_TOKEN",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-AbCdEf",
            ),
            // Feature flags and modes.
            ("ENABLE_TOKEN_AUTH", "true"),
            ("AUTH_TOKEN", "false"),
            ("PASSWORD_ENCRYPTION", "scram-sha-256"),
            ("TOKEN_TYPE", "Bearer"),
            // Identifiers and hashes.
            ("REQUEST_ID", "550e8400-e29b-41d4-a716-446655440000"),
            ("INSTANCE_UUID", "550e8400e29b41d4a716446655440000"),
            ("GIT_COMMIT", "9fceb02d0ae598e95dc970b74767f19372d61af8"),
            (
                "IMAGE",
                "registry.example.com/team/app@sha256:2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d",
            ),
            ("BUILD_ID", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY"),
            ("CA_CERT", "-----BEGIN CERTIFICATE-----\nMIIC..."),
            // Ordinary configuration.
            ("LOG_LEVEL", "info"),
            ("JAVA_OPTS", "-Xmx512m -XX:+UseG1GC"),
            ("SPRING_PROFILES_ACTIVE", "production,eu-west-1"),
            ("APP_NAME", "MyVeryLongApplicationName2024"),
            (
                "SERIALIZER",
                "org.apache.kafka.common.serialization.StringSerializer",
            ),
            ("FEATURE_FLAGS", "newCheckout=on,betaSearch=off"),
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            ("REGION", "eu-west-1"),
            ("DATABASE_CREDENTIALS_FILE", "/etc/shop/db/password"),
            ("NODE_NAME", "ip-10-0-1-23.eu-west-1.compute.internal"),
        ] {
            assert_eq!(what(n, v), None, "{n}={v}");
        }
    }

    #[test]
    fn named_and_entropy_detections() {
        assert_eq!(
            what("DB_PASSWORD", "s3cr3t-Passw0rd!").as_deref(),
            Some("a literal password")
        );
        assert_eq!(
            what("REDIS_PASS", "hunter22").as_deref(),
            Some("a literal password")
        );
        assert_eq!(
            what("SESSION_SECRET", "1234567").as_deref(),
            Some("a literal credential")
        );
        assert_eq!(what("apiKey", "abc123").as_deref(), Some("a literal key"));
        assert!(
            what("UPSTREAM", "wJalrXUtnFEMIK7MDENGbPxRfiCY3q9ZkW2a")
                .is_some_and(|w| w.contains("high entropy"))
        );
        assert!(is_high_entropy("aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"));
        assert!(!is_high_entropy("MyVeryLongApplicationName2024"));
        assert!(!is_high_entropy("ProductionClusterEuWest1Primary"));
        assert!(!is_high_entropy("ENABLE_FEATURE_X_2024_FLAG_ON"));
    }

    #[test]
    fn redaction_never_contains_the_value() {
        let _guard = KEY_TEST.lock().unwrap();
        set_fingerprint_key(Some("test key"));
        let v = "s3cr3t-Passw0rd!";
        let d = classify("DB_PASSWORD", v).unwrap();
        let r = d.redacted();
        assert!(!r.contains(v) && !r.contains("s3cr"), "{r}");
        assert!(r.starts_with("[redacted: 16-31 chars, fp "), "{r}");
        let d = classify("X", "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A").unwrap();
        assert!(
            d.redacted()
                .starts_with("[redacted: ghp_…, 32-63 chars, fp ")
        );
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(fingerprint("a"), fingerprint("a"));
        // Without a key: no fingerprint, and the same text every time.
        set_fingerprint_key(None);
        assert_eq!(d.redacted(), d.redacted());
        let d = classify("X", "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A").unwrap();
        assert_eq!(d.redacted(), "[redacted: ghp_…, 32-63 chars]");
    }

    #[test]
    fn fingerprints_are_keyed() {
        // The fingerprint is not a function of the value alone: without the key, a guess
        // cannot be confirmed. Each test thread sees the process key; keys are set here only.
        let _guard = KEY_TEST.lock().unwrap();
        set_fingerprint_key(Some("key one"));
        let one = fingerprint("hunter2");
        assert_eq!(one, fingerprint("hunter2"));
        set_fingerprint_key(Some("key two"));
        let two = fingerprint("hunter2");
        assert_ne!(one, two);
        set_fingerprint_key(None);
        assert_eq!(fingerprint("hunter2"), None);
        let one = one.unwrap();
        // The unkeyed 24-bit FNV-1a of earlier versions is gone.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in "hunter2".bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        let fnv = ((h >> 40) ^ (h & 0xff_ffff)) as u32 & 0xff_ffff;
        assert_ne!(one & 0xff_ffff, fnv);
    }

    static KEY_TEST: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn very_large_values_are_read_on_a_bounded_prefix() {
        let key = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A";
        let pad = "é".repeat(MAX_SCAN); // two bytes each: the cut falls inside one
        let early = format!("{key} {pad}");
        assert!(scanned(&early).len() <= MAX_SCAN);
        assert!(classify("NOTES", &early).is_some_and(|d| d.what.contains("GitHub")));
        // Past the first MiB, a value is not read (docs/reliability.md says so).
        let late = format!("{pad} {key}");
        assert!(classify("NOTES", &late).is_none());
        // A credential-named variable with a huge literal is still reported, its length as a
        // range.
        let d = classify("DB_PASSWORD", &"x1Y".repeat(MAX_SCAN)).unwrap();
        assert!(d.redacted().contains("1024 chars or more"));
    }

    #[test]
    fn lengths_are_shown_as_ranges() {
        assert_eq!(length_bucket(7), "under 8 chars");
        assert_eq!(length_bucket(20), "16-31 chars");
        assert_eq!(length_bucket(5000), "1024 chars or more");
    }

    #[test]
    fn config_file_lines() {
        let text = "# db\nspring.datasource.url=jdbc:postgresql://db/shop\nspring.datasource.password = hunter22\n\"apiKey\": \"abc123\",\nexport TOKEN='t0k3n'\n";
        let got: Vec<(usize, &str, &str)> = config_lines(text).collect();
        assert_eq!(
            got,
            vec![
                (2, "spring.datasource.url", "jdbc:postgresql://db/shop"),
                (3, "spring.datasource.password", "hunter22"),
                (4, "apiKey", "abc123"),
                (5, "TOKEN", "t0k3n"),
            ]
        );
    }
}
