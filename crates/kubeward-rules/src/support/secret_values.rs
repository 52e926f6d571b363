//! Reading a Secret's values for the Secret rules (KW-DAT-101…104): `data` decoded from base64,
//! `stringData` as written. Values are only inspected, never copied into a finding.

use super::secrets::base64_decode;
use kubeward_core::Object;
use kubeward_core::tree::escape_token;

/// Bytes of a value that are looked at: key files are a few KiB; a huge value is not read
/// further than this.
pub(crate) const MAX_INSPECTED: usize = 64 * 1024;

/// One value of a Secret.
pub(crate) struct SecretValue<'a> {
    pub key: &'a str,
    /// `/data/KEY` or `/stringData/KEY`.
    pub pointer: String,
    /// The decoded value (`None` when `data` holds invalid base64 or a non-string).
    pub text: Option<String>,
    /// Written in `stringData` (plain text) rather than `data` (base64).
    pub plain: bool,
}

/// The Secret's `type`, `Opaque` when not written.
pub(crate) fn secret_type(o: &Object) -> &str {
    o.root.str_at("type").unwrap_or("Opaque")
}

/// Whether `o` is a core Secret.
pub(crate) fn is_secret(o: &Object) -> bool {
    o.kind == "Secret" && o.group().is_empty()
}

/// Every value of `data` and `stringData`, in that order.
pub(crate) fn values(o: &Object) -> Vec<SecretValue<'_>> {
    let mut out = Vec::new();
    for (field, plain) in [("data", false), ("stringData", true)] {
        let Some(map) = o.root.get(field) else {
            continue;
        };
        for (key, v) in map.entries() {
            let text = v.as_str().and_then(|s| decode(s, plain));
            out.push(SecretValue {
                key,
                pointer: format!("/{field}/{}", escape_token(key)),
                text,
                plain,
            });
        }
    }
    out
}

fn decode(s: &str, plain: bool) -> Option<String> {
    if plain {
        return Some(prefix(s).to_string());
    }
    // Base64 of MAX_INSPECTED bytes is 4/3 as long; cut on a 4-character boundary.
    let cut = (MAX_INSPECTED / 3 * 4).min(s.len()) & !3;
    let s = if s.len() > cut { &s[..cut] } else { s };
    let bytes = base64_decode(s.trim())?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn prefix(s: &str) -> &str {
    if s.len() <= MAX_INSPECTED {
        return s;
    }
    let mut end = MAX_INSPECTED;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
pub(crate) mod fixtures {
    /// A Secret manifest with `data` (values base64-encoded here) and `stringData`.
    pub fn secret(ty: Option<&str>, data: &[(&str, &str)], string_data: &[(&str, &str)]) -> String {
        use base64_encode as enc;
        let mut y =
            String::from("apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\n");
        if let Some(t) = ty {
            y.push_str(&format!("type: {t}\n"));
        }
        if !data.is_empty() {
            y.push_str("data:\n");
            for (k, v) in data {
                y.push_str(&format!("  {k}: {}\n", enc(v.as_bytes())));
            }
        }
        if !string_data.is_empty() {
            y.push_str("stringData:\n");
            for (k, v) in string_data {
                y.push_str(&format!("  {k}: {}\n", serde_json::to_string(v).unwrap()));
            }
        }
        y
    }

    pub fn base64_encode(b: &[u8]) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut o = String::new();
        for c in b.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    o.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    o.push('=');
                }
            }
        }
        o
    }
}
