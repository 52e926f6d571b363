//! KW-PSS-204: Pod Security namespace labels that are invalid or ignored.

use super::pss::labels;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-204",
        name: "namespace-pod-security-label-invalid",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Pod Security namespace label is invalid or ignored",
        why: "The admission plugin refuses a Namespace whose Pod Security labels do not parse \
              (a level other than privileged, baseline or restricted, in lower case; a version \
              other than `latest` or `v1.N`; a number instead of a string), so the apply fails. \
              A misspelt key under `pod-security.kubernetes.io/` (`enforce-level`, \
              `enforce_version`) or a Pod Security key written as an annotation is silently \
              ignored: the namespace then enforces less than its author believes.",
        fix: "Use exactly `pod-security.kubernetes.io/enforce|audit|warn` with `privileged`, \
              `baseline` or `restricted`, and `pod-security.kubernetes.io/<mode>-version` with \
              `latest` or `v1.N`, as quoted strings under `metadata.labels`.",
        references: &[
            ("pss", "namespace labels"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Namespace"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let ns = ctx.object;
    if !ns.group().is_empty() {
        return;
    }
    let policy = labels::read(ns);
    for e in &policy.errors {
        out.report(ns, e.pointer.clone(), e.message.clone());
    }
    for (key, pointer) in &policy.unknown_keys {
        out.report(
            ns,
            pointer.clone(),
            format!(
                "label `{key}` is not a Pod Security label and is ignored (the keys are \
                 {p}enforce, {p}audit, {p}warn and their -version forms)",
                p = labels::PREFIX
            ),
        );
    }
    for (key, pointer) in &policy.in_annotations {
        out.report(
            ns,
            pointer.clone(),
            format!("`{key}` is written as an annotation; Pod Security admission reads only labels, so it is ignored"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn invalid_values_unknown_keys_and_annotations() {
        let y = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  labels:\n    pod-security.kubernetes.io/enforce: Baseline\n    pod-security.kubernetes.io/enforce-version: 1.30\n    pod-security.kubernetes.io/audit-version: v1.030\n    pod-security.kubernetes.io/warn_version: latest\n  annotations:\n    pod-security.kubernetes.io/warn: restricted\n";
        let hits = run(&RULE, y);
        assert_eq!(
            pointers(&hits),
            vec![
                "/metadata/labels/pod-security.kubernetes.io~1enforce",
                "/metadata/labels/pod-security.kubernetes.io~1enforce-version",
                "/metadata/labels/pod-security.kubernetes.io~1audit-version",
                "/metadata/labels/pod-security.kubernetes.io~1warn_version",
                "/metadata/annotations/pod-security.kubernetes.io~1warn",
            ]
        );
        assert!(hits[0].message.contains("not a Pod Security level"));
        assert!(hits[1].message.contains("is a number"));
        assert!(hits[2].message.contains("not a Pod Security version"));
        assert!(hits[3].message.contains("ignored"));
        assert!(hits[4].message.contains("annotation"));
    }

    #[test]
    fn quiet_for_valid_labels() {
        let y = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n    pod-security.kubernetes.io/enforce-version: v1.30\n    pod-security.kubernetes.io/warn: restricted\n    pod-security.kubernetes.io/warn-version: latest\n    app: x\n";
        assert!(run(&RULE, y).is_empty());
    }
}
