//! What a value is: a placeholder, a reference, a literal secret, high-entropy text; and the
//! lines of a config file.

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
pub(super) fn entropy(s: &str) -> f64 {
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
