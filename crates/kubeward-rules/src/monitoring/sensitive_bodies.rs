//! KW-MON-003: Secrets, ConfigMaps, TokenReviews and service account tokens logged with bodies.

use crate::support::audit_policy::{KINDS, Level, policy, requests};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-MON-003",
        name: "audit-policy-logs-secret-bodies",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "Audit policy copies Secret values, tokens or ConfigMap data into the audit log",
        why: "At `Request` the audit event carries the request body, at `RequestResponse` also \
              the response body. For Secrets that is the secret data (on create/update/patch, \
              and on every get/list/watch at RequestResponse); for TokenReviews the bearer token \
              under review; for `serviceaccounts/token` the issued token; for ConfigMaps whatever \
              credentials they hold. The audit log is shipped to many more readers than etcd.",
        fix: "Log `secrets`, `configmaps`, `tokenreviews` and `serviceaccounts/token` at \
              `Metadata` in a rule placed before any broader Request/RequestResponse rule (as \
              the upstream GCE policy does).",
        references: &[
            ("cis", "3.2.2"),
            ("mitre", "T1552"),
            ("kubeward", "KW-CP-008 (--audit-policy-file)"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(KINDS),
        run: check,
    },
};

/// (what, group, resource, subresource, cluster-scoped, verbs that carry the value in the
/// request body, verbs that carry it in the response body, severity).
type Sensitive = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    &'static [&'static str],
    Severity,
);

const SENSITIVE: &[Sensitive] = &[
    (
        "Secret values",
        "",
        "secrets",
        "",
        false,
        &["create", "update", "patch"],
        &["get", "list", "watch", "create", "update", "patch"],
        Severity::High,
    ),
    (
        "bearer tokens under review",
        "authentication.k8s.io",
        "tokenreviews",
        "",
        true,
        &["create"],
        &["create"],
        Severity::High,
    ),
    (
        "issued service account tokens",
        "",
        "serviceaccounts",
        "token",
        false,
        &[],
        &["create"],
        Severity::High,
    ),
    (
        "ConfigMap data",
        "",
        "configmaps",
        "",
        false,
        &["create", "update", "patch"],
        &["get", "list", "watch", "create", "update", "patch"],
        Severity::Medium,
    ),
];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(p) = policy(ctx.object) else { return };
    for (what, group, resource, sub, cluster, req_verbs, resp_verbs, severity) in SENSITIVE {
        let mut verbs: Vec<&str> = req_verbs.to_vec();
        verbs.extend(resp_verbs.iter().filter(|v| !req_verbs.contains(v)));
        let hit = verbs.iter().find_map(|verb| {
            requests(verb, group, resource, sub, *cluster)
                .into_iter()
                .find_map(|r| {
                    let o = p.evaluate(&r);
                    let leaks = (o.level >= Level::Request && req_verbs.contains(verb))
                        || (o.level == Level::RequestResponse && resp_verbs.contains(verb));
                    leaks.then(|| (r.describe(), o.level, o.pointer(), o.because()))
                })
        });
        if let Some((req, level, pointer, because)) = hit {
            out.report(
                ctx.object,
                pointer,
                format!(
                    "{what} are written to the audit log: {req} is logged at {} ({because})",
                    level.as_str()
                ),
            )
            .severity(*severity)
            .key(*resource);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::audit_policy::policy_yaml;
    use kubeward_core::Severity;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn bodies_of_sensitive_resources() {
        let h = run(
            &RULE,
            &policy_yaml(
                "rules:\n- level: Request\n  resources: [{group: '', resources: [secrets, configmaps]}]\n- level: RequestResponse\n",
            ),
        );
        assert_eq!(
            pointers(&h),
            ["/rules/0", "/rules/0", "/rules/1", "/rules/1"],
            "{h:?}"
        );
        assert!(h.iter().any(|h| {
            h.message.starts_with("Secret values")
                && h.message
                    .contains("`create secrets` in namespace default by alice is logged at Request")
        }));
        assert!(
            h.iter()
                .any(|h| h.message.starts_with("ConfigMap data") && h.severity == Severity::Medium)
        );
        assert!(h.iter().any(|h| h.message.starts_with("bearer tokens")));
        assert!(
            h.iter()
                .any(|h| h.message.starts_with("issued service account tokens"))
        );
    }

    #[test]
    fn metadata_first_passes() {
        let h = run(
            &RULE,
            &policy_yaml(
                "rules:\n- level: Metadata\n  resources: [{group: '', resources: [secrets, configmaps, serviceaccounts/token]}, {group: authentication.k8s.io, resources: [tokenreviews]}]\n\
                 - level: RequestResponse\n",
            ),
        );
        assert!(h.is_empty(), "{h:?}");
        // Request on reads copies nothing: gets have no request body.
        let h = run(
            &RULE,
            &policy_yaml(
                "rules:\n- level: Request\n  verbs: [get, list, watch]\n- level: Metadata\n",
            ),
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
