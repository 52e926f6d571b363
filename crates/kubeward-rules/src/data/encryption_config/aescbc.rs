//! KW-CP-103: `aescbc` encrypts new writes.

use super::{KINDS, entries};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-103",
        name: "encryption-aescbc",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "EncryptionConfiguration encrypts with aescbc (weak: padding oracle)",
        why: "`aescbc` is AES-CBC with PKCS#7 padding and no authentication: the Kubernetes \
              documentation no longer recommends it because it is open to padding-oracle \
              attacks, and the key sits in the same file on the control-plane disk as the \
              configuration. Whoever reads the file reads the key.",
        fix: "Use a `kms` v2 provider (the key stays in an external KMS), or `secretbox` where no \
              KMS exists. Put the new provider first, keep `aescbc` after it until every \
              object has been rewritten, then remove it.",
        references: &[
            ("cis", "1.2.28"),
            ("kubescape", "C-0141"),
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
        if p.kind == "aescbc" {
            let names: Vec<&str> = e.resources.iter().map(|(n, _)| *n).collect();
            super::report(
                out,
                ctx.object,
                p.pointer.clone(),
                format!(
                    "{} {} encrypted with {}",
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
    fn aescbc_first_only() {
        let h = run(
            &RULE,
            &enc(&format!(
                "  - resources: [secrets]\n    providers:\n    - aescbc:\n        keys: [{{name: k1, secret: {KEY}}}]\n\
                 \x20 - resources: [configmaps]\n    providers:\n    - secretbox:\n        keys: [{{name: k2, secret: {KEY}}}]\n    - aescbc:\n        keys: [{{name: k1, secret: {KEY}}}]\n"
            )),
        );
        assert_eq!(pointers(&h), ["/resources/0/providers/0/aescbc"]);
        assert!(h[0].message.contains("primary key \"k1\""), "{h:?}");
    }
}
