//! KW-CP-105: a KMS v1 provider.

use super::{KINDS, entries};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-105",
        name: "encryption-kms-v1",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "EncryptionConfiguration uses the deprecated KMS v1 API",
        why: "KMS v1 (a `kms` provider without `apiVersion: v2`; v1 is the default) is deprecated \
              since Kubernetes 1.28 and disabled by default since 1.29 (feature gate KMSv1): an \
              upgraded API server refuses to start or cannot decrypt, and v1 calls the KMS for \
              every object, which under load leads operators to fall back to weaker providers.",
        fix: "Run a KMS v2 plugin and set `apiVersion: v2` on a new `kms` provider placed first; \
              keep the v1 provider after it until every object has been rewritten.",
        references: &[
            ("kubeward", "KW-CP-007 (--encryption-provider-config)"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/administer-cluster/kms-provider/",
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
        for (i, p) in e.providers.iter().enumerate() {
            if p.kind != "kms" || p.kms_version() == "v2" {
                continue;
            }
            let pointer = if p.node.get("apiVersion").is_some() {
                format!("{}/apiVersion", p.pointer)
            } else {
                p.pointer.clone()
            };
            super::report(
                out,
                ctx.object,
                pointer,
                format!(
                    "{} {}{}",
                    p.describe(),
                    if i == 0 {
                        "encrypts new writes"
                    } else {
                        "is kept to decrypt old data"
                    },
                    if p.node.get("apiVersion").is_none() {
                        " (no apiVersion: v1 is the default)"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::enc;
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn kms_versions() {
        let h = run(
            &RULE,
            &enc(
                "  - resources: [secrets]\n    providers:\n    - kms: {apiVersion: v2, name: new, endpoint: 'unix:///a'}\n    - kms: {name: old, endpoint: 'unix:///b'}\n\
                 \x20 - resources: [configmaps]\n    providers:\n    - kms: {apiVersion: v1, name: legacy, endpoint: 'unix:///c'}\n",
            ),
        );
        assert_eq!(
            pointers(&h),
            [
                "/resources/0/providers/1/kms",
                "/resources/1/providers/0/kms/apiVersion"
            ]
        );
        assert!(
            h[0].message.contains("decrypt old data (no apiVersion"),
            "{h:?}"
        );
        assert!(
            h[1].message.contains("\"legacy\" encrypts new writes"),
            "{h:?}"
        );
    }
}
