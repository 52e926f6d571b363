//! Known credential formats (PEM private keys, cloud and SaaS tokens, JWTs, URLs with a
//! password, connection strings with an account key), found anywhere in a value.

use super::values::is_placeholder;
use super::{Detection, NEEDLES};
use kubeward_core::Severity;

pub(super) fn is_token_char(c: char) -> bool {
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
pub(super) fn sloppy_private_key(value: &str) -> Option<usize> {
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

pub(super) fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(f)
}

pub(super) fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

pub(super) fn token_format(t: &str) -> Option<Detection> {
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
pub(super) fn url_password(value: &str) -> Option<Detection> {
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
pub(super) fn jwt(w: &str) -> Option<Detection> {
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
