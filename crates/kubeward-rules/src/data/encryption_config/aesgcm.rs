//! KW-CP-104: `aesgcm` encrypts new writes.

use super::{KINDS, entries};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-104",
        name: "encryption-aesgcm",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "EncryptionConfiguration encrypts with aesgcm (the key must be rotated)",
        why: "`aesgcm` uses a random 96-bit nonce per write with a static key: after about \
              200,000 writes with one key the chance of a nonce collision, which breaks GCM's \
              confidentiality and integrity, is no longer negligible. The API server does not \
              rotate the key itself, and the key sits in the configuration file on disk.",
        fix: "Prefer `kms` v2 (which derives a fresh data key per API server start), or \
              `secretbox`. If `aesgcm` stays, rotate the key well before 200,000 writes: add \
              a new first key, restart, rewrite the objects, remove the old key.",
        references: &[
            ("cis", "1.2.28"),
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

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    for e in entries(ctx.object).unwrap_or_default() {
        let Some(p) = e.first() else { continue };
        if p.kind == "aesgcm" {
            let names: Vec<&str> = e.resources.iter().map(|(n, _)| *n).collect();
            super::report(
                out,
                ctx.object,
                p.pointer.clone(),
                format!(
                    "{} {} encrypted with {}: rotate it before 200,000 writes",
                    names.join(", "),
                    if names.len() == 1 { "is" } else { "are" },
                    p.describe()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{KEY, enc};
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn aesgcm_first() {
        let h = run(
            &RULE,
            &enc(&format!(
                "  - resources: [secrets]\n    providers:\n    - aesgcm:\n        keys: [{{name: g1, secret: {KEY}}}]\n\
                 \x20 - resources: [configmaps]\n    providers:\n    - kms: {{apiVersion: v2, name: vault, endpoint: 'unix:///k.sock'}}\n    - aesgcm:\n        keys: [{{name: g0, secret: {KEY}}}]\n"
            )),
        );
        assert_eq!(pointers(&h), ["/resources/0/providers/0/aesgcm"]);
        assert!(h[0].message.contains("\"g1\""), "{h:?}");
    }
}
