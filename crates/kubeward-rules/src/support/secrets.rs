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

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Known credential formats anywhere in `value`.
pub(crate) fn detect_format(value: &str) -> Option<Detection> {
    let n = &*NEEDLES;
    let bytes = value.as_bytes();
    if let Some(start) = n.begin.find(bytes) {
        if n.private_key.find(bytes).is_some() {
            return Some(Detection::new(
                "a PEM private key",
                Severity::Critical,
                None,
                &value[start..],
            ));
        }
    }
    if let Some(start) = sloppy_private_key(value) {
        return Some(Detection::new(
            "a PEM private key (with irregular armour)",
            Severity::Critical,
            None,
            &value[start..],
        ));
    }
    if n.putty.find(bytes).is_some() {
        return Some(Detection::new(
            "a PuTTY private key",
            Severity::Critical,
            None,
            value,
        ));
    }
    if let Some(d) = url_password(value) {
        return Some(d);
    }
    for (finder, what) in [
        (&n.account_key, "an Azure storage account key"),
        (&n.shared_key, "an Azure shared access key"),
    ] {
        if let Some(i) = finder.find(bytes) {
            let rest = &value[i + finder.needle().len()..];
            let key: &str = rest.split(';').next().unwrap_or("");
            if key.len() >= 20 && !is_placeholder(key) {
                return Some(Detection::new(what, Severity::Critical, None, key));
            }
        }
    }
    if let Some(i) = n.slack_hook.find(bytes) {
        let rest = &value[i + "hooks.slack.com/services/".len()..];
        let path: &str = rest
            .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .next()
            .unwrap_or("");
        if path.split('/').filter(|p| !p.is_empty()).count() >= 3 {
            return Some(Detection::new(
                "a Slack webhook URL",
                Severity::High,
                None,
                path,
            ));
        }
    }
    // Maximal runs of token characters (all ASCII, so byte offsets are char boundaries).
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !is_token_char(b[i] as char) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_token_char(b[i] as char) {
            i += 1;
        }
        if let Some(d) = token_format(&value[start..i]) {
            return Some(d);
        }
    }
    // JWTs and base64 PEM keys span `.`, `+`, `/` and `=`: look at whitespace-separated words.
    if n.jwt.find(bytes).is_none() && n.pem_b64.find(bytes).is_none() {
        return None;
    }
    for w in
        value.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '=' | ':'))
    {
        if let Some(d) = jwt(w) {
            return Some(d);
        }
        if w.starts_with("LS0tLS1CRUdJTi") {
            if let Some(text) = base64_decode(w) {
                if String::from_utf8_lossy(&text).contains("PRIVATE KEY-----") {
                    return Some(Detection::new(
                        "a base64-encoded PEM private key",
                        Severity::Critical,
                        None,
                        w,
                    ));
                }
            }
        }
    }
    None
}

/// A PEM private-key header written sloppily: three to five dashes, spaces around `BEGIN` and
/// between the words, as in `---BEGIN RSA PRIVATE KEY---` or `----- BEGIN  PRIVATE KEY -----`
/// (hand-edited or reflowed keys that PEM parsers still accept or that a user can repair). The
/// strict form is found before this is tried. Returns where the header starts.
fn sloppy_private_key(value: &str) -> Option<usize> {
    let b = value.as_bytes();
    for pos in NEEDLES.begin_word.find_iter(b) {
        let mut i = pos;
        while i > 0 && b[i - 1] == b' ' {
            i -= 1;
        }
        let mut dashes = 0;
        while i > 0 && b[i - 1] == b'-' {
            i -= 1;
            dashes += 1;
        }
        if !(3..=5).contains(&dashes) {
            continue;
        }
        let rest = &value[pos + "BEGIN".len()..];
        let Some(label_end) = rest.find('-') else {
            continue;
        };
        let label = &rest[..label_end];
        if !label.starts_with(' ') || label.contains('\n') {
            continue;
        }
        let words: Vec<&str> = label.split_whitespace().collect();
        if !words.iter().all(|w| {
            w.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        }) || !words.windows(2).any(|w| w == ["PRIVATE", "KEY"])
        {
            continue;
        }
        let after = rest[label_end..].bytes().take_while(|c| *c == b'-').count();
        if (3..=5).contains(&after) {
            return Some(i);
        }
    }
    None
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(f)
}

fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn token_format(t: &str) -> Option<Detection> {
    // Every known format starts with one of these letters and is at least 14 characters long.
    if t.len() < 14 || !matches!(t.as_bytes()[0], b'A' | b'g' | b'x' | b's' | b'r' | b'n') {
        return None;
    }
    // AWS access key IDs: AKIA (long-term) or ASIA (temporary) + 16 upper-case letters or digits. The
    // documentation's example key (…EXAMPLE) is not a credential.
    if t.len() == 20
        && (t.starts_with("AKIA") || t.starts_with("ASIA"))
        && all(&t[4..], |c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !t.ends_with("EXAMPLE")
    {
        let p = if t.starts_with("AKIA") {
            "AKIA"
        } else {
            "ASIA"
        };
        return Some(Detection::new(
            "an AWS access key ID",
            Severity::Critical,
            Some(p),
            t,
        ));
    }
    const PREFIXED: &[(&str, usize, &str, Severity)] = &[
        (
            "ghp_",
            36,
            "a GitHub personal access token",
            Severity::Critical,
        ),
        ("gho_", 36, "a GitHub OAuth token", Severity::Critical),
        (
            "ghu_",
            36,
            "a GitHub user-to-server token",
            Severity::Critical,
        ),
        (
            "ghs_",
            36,
            "a GitHub server-to-server token",
            Severity::Critical,
        ),
        ("ghr_", 36, "a GitHub refresh token", Severity::Critical),
        (
            "github_pat_",
            60,
            "a GitHub fine-grained token",
            Severity::Critical,
        ),
        (
            "glpat-",
            20,
            "a GitLab personal access token",
            Severity::Critical,
        ),
        ("gldt-", 20, "a GitLab deploy token", Severity::Critical),
        ("glrt-", 20, "a GitLab runner token", Severity::Critical),
        (
            "glptt-",
            20,
            "a GitLab pipeline trigger token",
            Severity::Critical,
        ),
        ("xoxb-", 10, "a Slack bot token", Severity::Critical),
        ("xoxp-", 10, "a Slack user token", Severity::Critical),
        ("xoxa-", 10, "a Slack app token", Severity::Critical),
        ("xoxr-", 10, "a Slack refresh token", Severity::Critical),
        ("xoxs-", 10, "a Slack session token", Severity::Critical),
        ("xapp-", 10, "a Slack app-level token", Severity::Critical),
        ("sk_live_", 20, "a Stripe secret key", Severity::Critical),
        (
            "rk_live_",
            20,
            "a Stripe restricted key",
            Severity::Critical,
        ),
        ("npm_", 36, "an npm access token", Severity::Critical),
        ("sk-proj-", 40, "an OpenAI API key", Severity::Critical),
        ("sk-ant-", 40, "an Anthropic API key", Severity::Critical),
    ];
    for (prefix, min, what, sev) in PREFIXED {
        if let Some(rest) = t.strip_prefix(prefix) {
            if rest.len() >= *min
                && all(rest, |c| alnum(c) || c == '_' || c == '-')
                && rest.chars().any(|c| c.is_ascii_digit())
            {
                return Some(Detection::new(*what, *sev, Some(prefix), t));
            }
        }
    }
    if let Some(rest) = t.strip_prefix("AIza") {
        if rest.len() == 35 && all(rest, is_token_char) {
            return Some(Detection::new(
                "a Google API key",
                Severity::Critical,
                Some("AIza"),
                t,
            ));
        }
    }
    None
}

/// `scheme://user:password@host`: a password in a URL.
fn url_password(value: &str) -> Option<Detection> {
    let mut rest = value;
    while let Some(i) = NEEDLES.scheme.find(rest.as_bytes()) {
        let after = &rest[i + 3..];
        let authority: &str = after
            .split(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
            })
            .next()
            .unwrap_or("");
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some((_, pw)) = userinfo.split_once(':') {
                if !pw.is_empty() && !is_placeholder(pw) {
                    return Some(Detection::new(
                        "a password in a URL",
                        Severity::High,
                        None,
                        pw,
                    ));
                }
            }
        }
        rest = after;
    }
    None
}

/// A JWT: three base64url segments whose first decodes to a JSON header with `alg`.
fn jwt(w: &str) -> Option<Detection> {
    let w = w.trim_start_matches("Bearer").trim();
    if !w.starts_with("eyJ") {
        return None;
    }
    let parts: Vec<&str> = w.split('.').collect();
    if parts.len() != 3 || parts[1].len() < 10 || !parts[1].starts_with("eyJ") {
        return None;
    }
    if !parts
        .iter()
        .all(|p| p.chars().all(|c| is_token_char(c) || c == '='))
    {
        return None;
    }
    let header = base64_decode(parts[0])?;
    let header = String::from_utf8(header).ok()?;
    if !header.contains("\"alg\"") {
        return None;
    }
    Some(Detection::new(
        "a JSON Web Token",
        Severity::High,
        Some("eyJ"),
        w,
    ))
}

/// Standard or URL-safe base64, padding optional. `None` on any other character.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/// `DB_PASSWORD` → `[db, password]`, `apiKey` → `[api, key]`, `APIKey` → `[api, key]`.
pub(crate) fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = part.chars().collect();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let boundary = i > 0 && {
                let p = chars[i - 1];
                (p.is_ascii_lowercase() && c.is_ascii_uppercase())
                    || (p.is_ascii_uppercase()
                        && c.is_ascii_uppercase()
                        && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()))
            };
            if boundary && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            cur.push(c.to_ascii_lowercase());
        }
        if !cur.is_empty() {
            words.push(cur);
        }
    }
    words
}

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "creds",
    "privatekey",
    "accesskey",
    "secretkey",
    "authtoken",
    "connectionstring",
];

/// `x_key` pairs that name a credential.
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "signing",
    "encryption",
    "master",
    "account",
    "session",
    "client",
    "ssh",
    "hmac",
    "shared",
    "app",
    "license",
    "subscription",
    "storage",
    "auth",
    "jwt",
];

/// A last word that makes the name about a credential rather than the credential itself.
const METADATA_WORDS: &[&str] = &[
    "file",
    "path",
    "dir",
    "directory",
    "name",
    "ref",
    "reference",
    "id",
    "arn",
    "enabled",
    "enable",
    "disabled",
    "required",
    "length",
    "len",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "timeout",
    "header",
    "type",
    "mode",
    "algorithm",
    "alg",
    "url",
    "uri",
    "endpoint",
    "host",
    "port",
    "user",
    "username",
    "issuer",
    "audience",
    "location",
    "version",
    "policy",
    "format",
    "size",
    "prefix",
    "suffix",
    "field",
    "mount",
    "source",
    "provider",
    "store",
    "backend",
    "rotation",
    "duration",
    "interval",
    "period",
    "retries",
    "regex",
    "pattern",
    "label",
    "key",
    "keys",
    "secret",
    "secrets",
    "hash",
    "template",
    "strategy",
    "validation",
    "lifetime",
];

/// Words anywhere in the name that make it about counts and limits (`MAX_TOKENS`).
const COUNT_WORDS: &[&str] = &["max", "min", "num", "count", "limit"];

/// Whether `name` names a credential (and not something about one).
pub(crate) fn is_credential_name(name: &str) -> bool {
    // Fast rejection: every credential word contains one of these.
    if ![
        "pass",
        "pwd",
        "secret",
        "token",
        "key",
        "cred",
        "connection",
    ]
    .iter()
    .any(|m| contains_ignore_case(name, m))
    {
        return false;
    }
    let w = name_words(name);
    if w.is_empty() || w.iter().any(|x| COUNT_WORDS.contains(&x.as_str())) {
        return false;
    }
    // PWD and OLDPWD are the shell's working directories.
    if w.len() == 1 && (w[0] == "pwd" || w[0] == "oldpwd") {
        return false;
    }
    let mut credential_at = None;
    for (i, x) in w.iter().enumerate() {
        let is = SECRET_WORDS.contains(&x.as_str())
            || (x == "key" && i > 0 && KEY_QUALIFIERS.contains(&w[i - 1].as_str()))
            || (x == "string" && i > 0 && w[i - 1] == "connection")
            || x.ends_with("password")
            || x.ends_with("secret")
            || x.ends_with("token")
            || x.ends_with("apikey");
        if is {
            credential_at = Some(i);
        }
    }
    let Some(at) = credential_at else {
        return false;
    };
    // `pass` alone is ambiguous (`PASS_THROUGH`, `BYPASS`): it counts as the last word only.
    if w[at] == "pass" && at + 1 != w.len() {
        return false;
    }
    // `SECRET_NAME`, `TOKEN_URL`, `API_KEY_FILE`, `AWS_ACCESS_KEY_ID`: about a credential.
    let last = w.last().map(String::as_str).unwrap_or("");
    !(at + 1 < w.len() && METADATA_WORDS.contains(&last))
}

/// `a password`, `an API key`, ... for messages.
fn credential_noun(name: &str) -> &'static str {
    let w = name_words(name);
    let has = |s: &str| w.iter().any(|x| x.contains(s));
    if has("pass") || has("pwd") {
        "password"
    } else if has("token") {
        "token"
    } else if w.iter().any(|x| x == "key" || x.ends_with("key")) {
        "key"
    } else {
        "credential"
    }
}

/// Names of identifiers, hashes and versions: random-looking values there are not secrets.
fn names_an_identifier(name: &str) -> bool {
    const ID_WORDS: &[&str] = &[
        "id",
        "ids",
        "uuid",
        "guid",
        "hash",
        "sha",
        "sha1",
        "sha256",
        "checksum",
        "digest",
        "commit",
        "revision",
        "rev",
        "version",
        "etag",
        "fingerprint",
        "image",
        "tag",
        "build",
        "trace",
        "span",
        "request",
        "correlation",
        "nonce",
        "public",
        "pub",
        "cert",
        "certificate",
        "ca",
        "crt",
    ];
    name_words(name)
        .iter()
        .any(|w| ID_WORDS.contains(&w.as_str()))
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// Placeholders and templates rather than values.
pub(crate) fn is_placeholder(v: &str) -> bool {
    let v = v.trim();
    let lower = v.to_ascii_lowercase();
    v.is_empty()
        || v.contains("$(")
        || v.contains("${")
        || v.contains("{{")
        || v.starts_with('$')
        || v.starts_with('%')
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('[') && v.ends_with(']'))
        || v.chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '_' | '#'))
        || [
            "changeme",
            "change-me",
            "change_me",
            "changeit",
            "replace-me",
            "replace_me",
            "replaceme",
            "todo",
            "tbd",
            "redacted",
            "secret",
            "password",
            "your-password",
            "your_password",
            "yourpassword",
            "null",
            "nil",
            "none",
            "undefined",
            "dummy",
            "example",
            "placeholder",
        ]
        .contains(&lower.as_str())
}

/// References to a secret store, not the secret itself.
pub(crate) fn is_reference(v: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "vault:",
        "ref+",
        "secretref:",
        "secret://",
        "arn:aws:secretsmanager:",
        "arn:aws:ssm:",
        "arn:aws:kms:",
        "projects/",
        "sm://",
        "gcpsm://",
        "awssm://",
        "azkv://",
        "@microsoft.keyvault(",
        "{{resolve:",
        "op://",
        "doppler://",
        "akv://",
        "k8s://",
        "env:",
        "file:",
    ];
    let lower = v.trim().to_ascii_lowercase();
    PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// A value that a credential-named key may hold without it being a literal credential.
pub(crate) fn is_literal_secret(v: &str) -> bool {
    let t = v.trim();
    if t.chars().count() < 3 || is_placeholder(t) || is_reference(t) {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    // Flags and modes.
    if [
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "enabled",
        "disabled",
        "required",
        "optional",
        "auto",
        "none",
        "basic",
        "bearer",
        "oauth",
        "oauth2",
        "jwt",
        "token",
        "plain",
        "md5",
        "scram-sha-256",
        "sha256",
        "sha512",
        "hs256",
        "rs256",
        "es256",
    ]
    .contains(&lower.as_str())
    {
        return false;
    }
    // Paths (where the credential is read from) and URLs without a password.
    if t.starts_with('/')
        || t.starts_with("./")
        || t.starts_with("../")
        || t.starts_with("~/")
        || t.contains("://")
        || (t.len() > 2 && t.as_bytes()[1] == b':' && t.as_bytes()[2] == b'\\')
    {
        return false;
    }
    // Multi-line text is a document, not one credential (formats are detected separately).
    !t.contains('\n')
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 128];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[(b & 0x7f) as usize] += 1;
        n += 1;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Long random-looking text: base64/base64url alphabet, upper and lower case and digits, high
/// entropy for its length, and frequent changes of character class (CamelCase words and
/// snake_case constants change class rarely; generated keys change it at most characters).
pub(crate) fn is_high_entropy(v: &str) -> bool {
    let len = v.len();
    if !(24..=256).contains(&len) {
        return false;
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-'))
    {
        return false;
    }
    let upper = v.chars().filter(char::is_ascii_uppercase).count();
    let lower = v.chars().filter(char::is_ascii_lowercase).count();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    if upper < 2 || lower < 2 || digits < 2 {
        return false;
    }
    let class = |c: char| {
        if c.is_ascii_uppercase() {
            0
        } else if c.is_ascii_lowercase() {
            1
        } else if c.is_ascii_digit() {
            2
        } else {
            3
        }
    };
    let chars: Vec<char> = v.chars().collect();
    let changes = chars
        .windows(2)
        .filter(|w| class(w[0]) != class(w[1]))
        .count();
    if (changes as f64) < 0.35 * (len as f64) {
        return false;
    }
    let threshold = ((len as f64).log2() * 0.84).min(4.5);
    entropy(v) >= threshold
}

/// Lines of a configuration file held in a ConfigMap value: `(1-based line, key, value)` for
/// `key = value`, `key: value`, `"key": "value"` and `export KEY=value` lines.
pub(crate) fn config_lines(text: &str) -> impl Iterator<Item = (usize, &str, &str)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with("//") || l.starts_with(';') {
            return None;
        }
        let l = l.strip_prefix("export ").unwrap_or(l);
        let l = l.strip_prefix("- ").unwrap_or(l);
        let cut = l.find(['=', ':'])?;
        let key = l[..cut].trim().trim_matches(['"', '\'']);
        let mut val = l[cut + 1..].trim();
        val = val.trim_end_matches(',').trim();
        let val = val.trim_matches(['"', '\'']);
        if key.is_empty() || key.contains(' ') || val.is_empty() {
            return None;
        }
        Some((i + 1, key, val))
    })
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
