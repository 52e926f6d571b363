//! KW-CP-107: a resource masked by an earlier wildcard or name.

use super::{KINDS, entries, split};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-107",
        name: "encryption-resource-masked",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "EncryptionConfiguration lists a resource that an earlier entry already covers",
        why: "The API server takes the first entry that names a resource (exactly, through its \
              group `*.group`, or through `*.*`). A later entry for the same resource would \
              never apply, so the API server rejects the file (\"masked by earlier rule\") and \
              does not start; the encryption the author meant to configure for that resource \
              is not what they think it is.",
        fix: "Order the entries from specific to general: exact resources first, then `*.group`, \
              then `*.*` last, and list each resource once.",
        references: &[
            ("kubeward", "KW-CP-007 (--encryption-provider-config)"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/#understanding-the-encryption-at-rest-configuration",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(KINDS),
        run: check,
    },
};

/// Whether the name `earlier` covers `later` (`*.*` covers all, `*.g` covers `x.g`).
fn covers(earlier: &str, later: &str) -> bool {
    let (eg, er) = split(earlier);
    let (lg, lr) = split(later);
    (eg == "*" && er == "*") || (eg == lg && (er == "*" || er == lr))
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let entries = entries(ctx.object).unwrap_or_default();
    let mut before: Vec<(usize, &str)> = Vec::new();
    for e in &entries {
        for (name, ptr) in &e.resources {
            // Same list: a wildcard and a resource it covers, in either order.
            let same = e
                .resources
                .iter()
                .find(|(other, p)| p != ptr && other != name && covers(other, name));
            let earlier = before.iter().find(|(_, b)| covers(b, name));
            let msg = if let Some((i, b)) = earlier {
                format!(
                    "`{name}` is masked by `{b}` in resources[{i}]: the API server rejects this file"
                )
            } else if let Some((other, _)) = same {
                format!(
                    "`{name}` and `{other}` overlap in the same list: the API server rejects this file"
                )
            } else {
                continue;
            };
            super::report(out, ctx.object, ptr.clone(), msg);
        }
        before.extend(e.resources.iter().map(|(n, _)| (e.index, *n)));
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{KEY, enc};
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn masked() {
        let p = format!(
            "    providers:\n    - secretbox:\n        keys: [{{name: k, secret: {KEY}}}]\n"
        );
        let h = run(
            &RULE,
            &enc(&format!(
                "  - resources: ['*.apps']\n{p}  - resources: [deployments.apps, secrets]\n{p}  - resources: ['*.*']\n{p}  - resources: [configmaps]\n{p}"
            )),
        );
        assert_eq!(
            pointers(&h),
            ["/resources/1/resources/0", "/resources/3/resources/0"],
            "{h:?}"
        );
        assert!(h[0].message.contains("masked by `*.apps` in resources[0]"));
        let h = run(&RULE, &enc(&format!("  - resources: [secrets, '*.']\n{p}")));
        assert_eq!(pointers(&h), ["/resources/0/resources/0"], "{h:?}");
    }

    #[test]
    fn specific_to_general_passes() {
        let p = format!(
            "    providers:\n    - secretbox:\n        keys: [{{name: k, secret: {KEY}}}]\n"
        );
        let h = run(
            &RULE,
            &enc(&format!(
                "  - resources: [secrets, configmaps]\n{p}  - resources: ['*.apps']\n{p}  - resources: ['*.*']\n{p}"
            )),
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
