//! KW-DAT-104: Secret values written into manifest files (committed to a repository).

use crate::support::secret_values::{is_secret, secret_type, values};
use crate::support::secrets::is_placeholder;
use kubeward_core::inventory::SourceKind;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-DAT-104",
        name: "secret-values-in-manifest",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "Secret manifest carries its values in plain text or base64",
        why: "A Secret manifest in a repository puts its values in the repository's history, \
              every clone and every CI log that prints it: base64 in `data` is an encoding, not \
              encryption, and `stringData` is plain text. Rotating the value does not remove \
              the old one from history. Checked on files and stdin (what a repository or a CI \
              job scans), not on what is read from a cluster.",
        fix: "Keep the values out of the repository: encrypt them (SOPS, Sealed Secrets) or have \
              a controller create the Secret from an external store (External Secrets Operator, \
              the Secrets Store CSI driver), and commit only that reference. Rotate values that \
              were committed.",
        references: &[
            ("nsa", "Kubernetes Hardening Guide: Secrets"),
            ("mitre", "T1552.001"),
            ("owasp", "K08"),
            ("checkov", "CKV_SECRET_*"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Secret"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if !is_secret(o) {
        return;
    }
    // Token Secrets are filled by the cluster; KW-DAT-101 covers them.
    if secret_type(o) == "kubernetes.io/service-account-token" {
        return;
    }
    let from_repo = matches!(
        ctx.inventory.source(o.source).kind,
        SourceKind::File | SourceKind::Stdin | SourceKind::Kustomize
    );
    if !from_repo {
        return;
    }
    let vals = values(o);
    let real: Vec<_> = vals
        .iter()
        .filter(|v| v.text.as_deref().is_some_and(|t| !is_placeholder(t)))
        .collect();
    let Some(first) = real.first() else { return };
    let plain = real.iter().filter(|v| v.plain).count();
    let keys: Vec<String> = real.iter().map(|v| format!("`{}`", v.key)).collect();
    let how = match (plain, real.len() - plain) {
        (0, _) => "base64-encoded in `data` (an encoding, not encryption)".to_string(),
        (_, 0) => "in plain text in `stringData`".to_string(),
        (p, d) => format!("{p} in plain text in `stringData`, {d} base64-encoded in `data`"),
    };
    out.report(
        o,
        first.pointer.clone(),
        format!(
            "Secret {} ({}) carries {} value{} in the manifest, {how}: {}",
            o.name,
            secret_type(o),
            real.len(),
            if real.len() == 1 { "" } else { "s" },
            some_of(&keys)
        ),
    )
    .redact_source();
}

/// "`a`, `b` and 3 more".
fn some_of(keys: &[String]) -> String {
    const SHOWN: usize = 5;
    if keys.len() <= SHOWN {
        return keys.join(", ");
    }
    format!(
        "{} and {} more",
        keys[..SHOWN].join(", "),
        keys.len() - SHOWN
    )
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::secret_values::fixtures::secret;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn values_in_files_are_reported_once_per_secret() {
        let y = secret(
            None,
            &[("db-password", "Hunter2-Hunter2")],
            &[("api-key", "k-123456789"), ("empty", "")],
        );
        let hits = run(&RULE, &y);
        assert_eq!(pointers(&hits), vec!["/data/db-password"]);
        let m = &hits[0].message;
        assert!(m.contains("carries 2 values"), "{m}");
        assert!(
            m.contains("1 in plain text in `stringData`, 1 base64-encoded in `data`"),
            "{m}"
        );
        assert!(m.contains("`db-password`, `api-key`"), "{m}");
        assert!(!m.contains("Hunter2") && !m.contains("k-1234"), "{m}");
    }

    #[test]
    fn placeholders_empty_secrets_and_token_secrets_are_quiet() {
        assert!(
            run(
                &RULE,
                &secret(
                    None,
                    &[],
                    &[("password", "${DB_PASSWORD}"), ("x", "changeme")]
                )
            )
            .is_empty()
        );
        assert!(run(&RULE, &secret(Some("Opaque"), &[], &[])).is_empty());
        assert!(
            run(
                &RULE,
                &secret(
                    Some("kubernetes.io/service-account-token"),
                    &[("token", "eyJhbGciOi")],
                    &[]
                )
            )
            .is_empty()
        );
    }
}
