//! KW-CP-102: an EncryptionConfiguration that does not cover Secrets.

use super::{KINDS, entries, resolve};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-102",
        name: "encryption-secrets-not-covered",
        layer: Layer::Data,
        severity: Severity::High,
        title: "EncryptionConfiguration does not cover Secrets",
        why: "The API server encrypts only the resources an entry names, exactly (`secrets`), \
              through their group (`*.` for the core group) or through `*.*`. A file that lists \
              other resources, or none, leaves Secrets in clear text in etcd while the \
              `--encryption-provider-config` flag suggests encryption at rest.",
        fix: "Add `secrets` (and usually `configmaps`) to the `resources` of an entry whose \
              first provider encrypts, restart the API servers and rewrite the Secrets.",
        references: &[
            ("cis", "1.2.28"),
            ("kubescape", "C-0142"),
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
    if resolve(&entries, "", "secrets").is_some() {
        return;
    }
    let listed: Vec<&str> = entries
        .iter()
        .flat_map(|e| e.resources.iter().map(|(n, _)| *n))
        .collect();
    let pointer = if ctx.object.root.get("resources").is_some() {
        "/resources"
    } else {
        ""
    };
    super::report(
        out,
        ctx.object,
        pointer,
        if listed.is_empty() {
            "no entry lists any resource, so Secrets are stored unencrypted".to_string()
        } else {
            format!(
                "Secrets are stored unencrypted: the entries cover only {} (none of `secrets`, \
                 `*.`, `*.*`)",
                listed.join(", ")
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{KEY, enc};
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn not_covered() {
        let h = run(
            &RULE,
            &enc(&format!(
                "  - resources: [configmaps, '*.apps']\n    providers:\n    - secretbox:\n        keys: [{{name: k1, secret: {KEY}}}]\n"
            )),
        );
        assert_eq!(pointers(&h), ["/resources"]);
        assert!(h[0].message.contains("configmaps, *.apps"), "{h:?}");
        let h = run(
            &RULE,
            "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n",
        );
        assert_eq!(pointers(&h), [""]);
    }

    #[test]
    fn covered_by_name_or_wildcard() {
        for r in ["secrets", "'*.'", "'*.*'"] {
            let h = run(
                &RULE,
                &enc(&format!(
                    "  - resources: [{r}]\n    providers:\n    - secretbox:\n        keys: [{{name: k1, secret: {KEY}}}]\n"
                )),
            );
            assert!(h.is_empty(), "{r}: {h:?}");
        }
    }
}
