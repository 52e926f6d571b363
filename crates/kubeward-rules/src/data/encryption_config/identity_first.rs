//! KW-CP-101: an EncryptionConfiguration entry whose first provider is `identity`.

use super::{KINDS, entries, resolve};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-101",
        name: "encryption-identity-first",
        layer: Layer::Data,
        severity: Severity::High,
        title: "EncryptionConfiguration writes resources unencrypted (identity is the first provider)",
        why: "The API server encrypts every write with the first provider of the entry that \
              covers a resource; the providers after it are only tried for reading. With \
              `identity` first, Secrets (or whatever the entry lists) go to etcd in clear text \
              even though an encryption key is configured, and anyone with an etcd backup or \
              read access to etcd reads them. Identity first is the first step of turning \
              encryption on or off; left in place it means no encryption at rest.",
        fix: "Move the encrypting provider (`kms` v2, or `secretbox`/`aescbc`) to the top of the \
              entry's `providers`, keep `identity` after it only while old data is migrated, \
              restart the API servers, then rewrite the objects (`kubectl get secrets -A -o json \
              | kubectl replace -f -`) and run `kubeward etcd verify` to confirm.",
        references: &[
            ("cis", "1.2.28"),
            ("kubescape", "C-0141"),
            ("mitre", "T1552"),
            ("kubeward", "KW-CP-007 (--encryption-provider-config)"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/",
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
    let Some(entries) = entries(ctx.object) else {
        return;
    };
    let secrets_entry = resolve(&entries, "", "secrets").map(|(e, _)| e.index);
    for e in &entries {
        let Some(p) = e.first() else { continue };
        if p.kind != "identity" {
            continue;
        }
        let names: Vec<&str> = e.resources.iter().map(|(n, _)| *n).collect();
        let covers_secrets = secrets_entry == Some(e.index);
        let also = if e.providers.len() > 1 {
            format!(
                "; {} after it only decrypt{}",
                e.providers[1..]
                    .iter()
                    .map(|p| p.describe())
                    .collect::<Vec<_>>()
                    .join(", "),
                if e.providers.len() > 2 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        let f = super::report(
            out,
            ctx.object,
            p.pointer.clone(),
            format!(
                "{} {} written to etcd unencrypted: the first provider is identity{also}{}",
                names.join(", "),
                if names.len() == 1 { "is" } else { "are" },
                if covers_secrets {
                    " (this entry is the one that stores Secrets)"
                } else {
                    ""
                }
            ),
        );
        if !covers_secrets {
            f.severity(Severity::Medium);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{KEY, enc};
    use super::RULE;
    use kubeward_core::Severity;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn identity_first() {
        let h = run(
            &RULE,
            &enc(&format!(
                "  - resources: [secrets]\n    providers:\n    - identity: {{}}\n    - aescbc:\n        keys: [{{name: k1, secret: {KEY}}}]\n\
                 \x20 - resources: [configmaps]\n    providers:\n    - identity: {{}}\n"
            )),
        );
        assert_eq!(
            pointers(&h),
            [
                "/resources/0/providers/0/identity",
                "/resources/1/providers/0/identity"
            ]
        );
        assert!(h[0].message.contains("secrets is written"), "{h:?}");
        assert!(
            h[0].message
                .contains("aescbc with primary key \"k1\" after it only decrypts")
        );
        assert_eq!(h[0].severity, Severity::High);
        assert_eq!(h[1].severity, Severity::Medium);
    }

    #[test]
    fn encrypting_first_passes() {
        let h = run(
            &RULE,
            &enc(&format!(
                "  - resources: [secrets]\n    providers:\n    - secretbox:\n        keys: [{{name: k1, secret: {KEY}}}]\n    - identity: {{}}\n"
            )),
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
