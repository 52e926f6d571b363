//! KW-CP-106: more than one key or encrypting provider in an entry: which one is primary, and a
//! rotation that is not finished.

use super::{KINDS, entries};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-106",
        name: "encryption-key-rotation",
        layer: Layer::Data,
        severity: Severity::Low,
        title: "EncryptionConfiguration holds more than one key (rotation not finished) or a provider without keys",
        why: "Only the first key of the first provider encrypts new writes; every other key is \
              kept to decrypt data written before a rotation. While an old key stays in the \
              file, objects encrypted with it may still be in etcd, and a leaked old key still \
              decrypts them: the rotation is not finished. A provider without keys, or with \
              two keys of the same name, makes the API server refuse the file.",
        fix: "After adding a new first key and restarting every API server, rewrite all \
              objects of the covered resources (`kubectl get secrets -A -o json | kubectl \
              replace -f -`), check with `kubeward etcd verify` that no value uses the old key, \
              then remove it and restart again.",
        references: &[
            ("kubeward", "KW-CP-007 (--encryption-provider-config)"),
            ("kubeward", "KW-CP-153 (etcd verify: keys in use)"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/#rotating-a-decryption-key",
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
        let names: Vec<&str> = e.resources.iter().map(|(n, _)| *n).collect();
        let names = names.join(", ");
        for (i, p) in e.providers.iter().enumerate() {
            if !matches!(p.kind, "aescbc" | "aesgcm" | "secretbox") {
                continue;
            }
            let keys = p.key_names();
            if keys.is_empty() {
                super::report(
                    out,
                    ctx.object,
                    p.pointer.clone(),
                    format!("{} has no keys: the API server refuses this file", p.kind),
                )
                .severity(Severity::Medium);
                continue;
            }
            let mut seen = std::collections::HashSet::new();
            for (name, ptr) in &keys {
                if !seen.insert(name.as_str()) {
                    super::report(out,
                        ctx.object,
                        format!("{ptr}/name"),
                        format!(
                            "{} key name \"{name}\" appears twice: the API server refuses this file",
                            p.kind
                        ),
                    )
                    .severity(Severity::Medium);
                }
            }
            if keys.len() > 1 {
                let role = if i == 0 {
                    format!(
                        "\"{}\" is primary (encrypts new writes of {names})",
                        keys[0].0
                    )
                } else {
                    format!("provider {} only decrypts", i + 1)
                };
                let old: Vec<String> = keys[if i == 0 { 1 } else { 0 }..]
                    .iter()
                    .map(|(n, _)| format!("\"{n}\""))
                    .collect();
                super::report(
                    out,
                    ctx.object,
                    format!("{}/keys", p.pointer),
                    format!(
                        "{} has {} keys: {role}; {} only decrypt{} data written before a \
                         rotation that is not finished",
                        p.kind,
                        keys.len(),
                        old.join(", "),
                        if old.len() == 1 { "s" } else { "" }
                    ),
                );
            }
        }
        let encrypting: Vec<_> = e
            .providers
            .iter()
            .filter(|p| p.kind != "identity")
            .collect();
        if encrypting.len() > 1 {
            if let Some(first) = e.first().filter(|p| p.kind != "identity") {
                super::report(
                    out,
                    ctx.object,
                    format!("{}/providers", e.pointer),
                    format!(
                        "{} providers encrypt {names}: {} is primary; {} only decrypt{}",
                        encrypting.len(),
                        first.describe(),
                        encrypting[1..]
                            .iter()
                            .map(|p| p.describe())
                            .collect::<Vec<_>>()
                            .join(", "),
                        if encrypting.len() == 2 { "s" } else { "" }
                    ),
                );
            }
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
    fn rotation_states() {
        let h = run(
            &RULE,
            &enc(&format!(
                "  - resources: [secrets]\n    providers:\n    - secretbox:\n        keys: [{{name: new, secret: {KEY}}}, {{name: old, secret: {KEY}}}]\n    - aescbc:\n        keys: [{{name: cbc, secret: {KEY}}}]\n\
                 \x20 - resources: [configmaps]\n    providers:\n    - aesgcm:\n        keys: []\n\
                 \x20 - resources: [pods]\n    providers:\n    - aescbc:\n        keys: [{{name: a, secret: {KEY}}}, {{name: a, secret: {KEY}}}]\n"
            )),
        );
        assert_eq!(
            pointers(&h),
            [
                "/resources/0/providers",
                "/resources/0/providers/0/secretbox/keys",
                "/resources/1/providers/0/aesgcm",
                "/resources/2/providers/0/aescbc/keys",
                "/resources/2/providers/0/aescbc/keys/1/name",
            ],
            "{h:?}"
        );
        assert!(h[1].message.contains("\"new\" is primary"), "{h:?}");
        assert!(h[1].message.contains("\"old\" only decrypts"), "{h:?}");
        assert!(
            h[0].message
                .contains("secretbox with primary key \"new\" is primary")
        );
        assert_eq!(h[2].severity, Severity::Medium);
        assert_eq!(h[4].severity, Severity::Medium);
    }

    #[test]
    fn one_key_passes() {
        let h = run(
            &RULE,
            &enc(&format!(
                "  - resources: [secrets]\n    providers:\n    - secretbox:\n        keys: [{{name: k, secret: {KEY}}}]\n    - identity: {{}}\n"
            )),
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
