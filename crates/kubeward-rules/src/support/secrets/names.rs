//! What a key name says: a credential (`DB_PASSWORD`, `apiKey`), metadata about one, or an
//! identifier.

use super::contains_ignore_case;

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

pub(super) const SECRET_WORDS: &[&str] = &[
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
pub(super) const KEY_QUALIFIERS: &[&str] = &[
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
pub(super) const METADATA_WORDS: &[&str] = &[
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
pub(super) const COUNT_WORDS: &[&str] = &["max", "min", "num", "count", "limit"];

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
pub(super) fn credential_noun(name: &str) -> &'static str {
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
pub(super) fn names_an_identifier(name: &str) -> bool {
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
