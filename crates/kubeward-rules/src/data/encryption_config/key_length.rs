//! KW-CP-108: an encryption key that is not valid base64 or has the wrong length.

use super::{KINDS, entries};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-108",
        name: "encryption-key-invalid",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "EncryptionConfiguration key is not valid base64 or has the wrong length",
        why: "`aescbc` and `aesgcm` need a base64-encoded 16, 24 or 32-byte key, `secretbox` a \
              32-byte key. Any other value makes the API server refuse the file and not start; \
              a short key that a hand-edited file slipped in is also a weak one.",
        fix: "Generate a 32-byte random key (`head -c 32 /dev/urandom | base64`) and put it in \
              `secret`.",
        references: &[
            ("kubeward", "KW-CP-007 (--encryption-provider-config)"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/#providers",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(KINDS),
        run: check,
    },
};

/// The decoded length of standard base64 text, `None` when it is not base64.
fn decoded_len(s: &str) -> Option<usize> {
    let b: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return None;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2
        || !b[..b.len() - pad]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
    {
        return None;
    }
    Some(b.len() / 4 * 3 - pad)
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    for e in entries(ctx.object).unwrap_or_default() {
        for p in &e.providers {
            let allowed: &[usize] = match p.kind {
                "aescbc" | "aesgcm" => &[16, 24, 32],
                "secretbox" => &[32],
                _ => continue,
            };
            let Some(keys) = p.node.get("keys") else {
                continue;
            };
            for (i, k) in keys.items().iter().enumerate() {
                let name = k.str_at("name").unwrap_or("(unnamed)");
                let problem = match k.str_at("secret").map(decoded_len) {
                    None => "has no secret".to_string(),
                    Some(None) => "is not valid base64".to_string(),
                    Some(Some(n)) if !allowed.contains(&n) => format!(
                        "is {n} bytes; {} needs {}",
                        p.kind,
                        allowed
                            .iter()
                            .map(|a| a.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Some(Some(_)) => continue,
                };
                super::report(
                    out,
                    ctx.object,
                    format!("{}/keys/{i}", p.pointer),
                    format!(
                        "{} key \"{name}\" {problem}: the API server refuses this file",
                        p.kind
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{KEY, enc};
    use super::{RULE, decoded_len};
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn lengths() {
        assert_eq!(decoded_len(KEY), Some(32));
        assert_eq!(decoded_len("AAAAAAAAAAAAAAAAAAAAAA=="), Some(16));
        assert_eq!(decoded_len("not base64!"), None);
        let h = run(
            &RULE,
            &enc(&format!(
                "  - resources: [secrets]\n    providers:\n    - secretbox:\n        keys: [{{name: ok, secret: {KEY}}}, {{name: short, secret: AAAAAAAAAAAAAAAAAAAAAA==}}]\n    - aescbc:\n        keys: [{{name: bad, secret: '%%%%'}}, {{name: none}}, {{name: fine, secret: AAAAAAAAAAAAAAAAAAAAAA==}}]\n"
            )),
        );
        assert_eq!(
            pointers(&h),
            [
                "/resources/0/providers/0/secretbox/keys/1",
                "/resources/0/providers/1/aescbc/keys/0",
                "/resources/0/providers/1/aescbc/keys/1",
            ]
        );
        assert!(
            h[0].message.contains("is 16 bytes; secretbox needs 32"),
            "{h:?}"
        );
        assert!(h[1].message.contains("not valid base64"));
        assert!(h[2].message.contains("has no secret"));
    }
}
