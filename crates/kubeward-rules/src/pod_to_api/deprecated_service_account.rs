//! KW-CTR-018: the deprecated `serviceAccount` field, and its mismatch with
//! `serviceAccountName`.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-018",
        name: "deprecated-service-account-field",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Pod uses the deprecated serviceAccount field",
        why: "`serviceAccount` is a deprecated alias of `serviceAccountName`. The API server \
              uses it only when `serviceAccountName` is empty; when both are set and differ, \
              `serviceAccountName` wins and `serviceAccount` is overwritten. A reviewer, a \
              policy or an older tool that reads `serviceAccount` then believes the pod runs as \
              one identity while it gets the token and the RBAC permissions of another: a \
              mismatch is medium. The field alone is low: it is a leftover that older tools \
              and policies may read wrongly.",
        fix: "Delete `serviceAccount` and set only `serviceAccountName` to the account the pod \
              should run as.",
        references: &[
            ("mitre", "T1036"),
            (
                "docs",
                "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    let Some(old) = pod.spec.str_at("serviceAccount") else {
        return;
    };
    if old.is_empty() {
        return;
    }
    match pod
        .spec
        .str_at("serviceAccountName")
        .filter(|n| !n.is_empty())
    {
        Some(name) if name != old => {
            out.report(
                ctx.object,
                pod.ptr(&["serviceAccount"]),
                format!(
                    "serviceAccount says {old} but serviceAccountName says {name}: the pod runs as {name}, and anything that reads the deprecated field is misled{}",
                    pod.found_note()
                ),
            )
            .severity(Severity::Medium);
        }
        Some(_) => {
            out.report(
                ctx.object,
                pod.ptr(&["serviceAccount"]),
                format!(
                    "the pod repeats its ServiceAccount {old} in the deprecated serviceAccount field{}",
                    pod.found_note()
                ),
            );
        }
        None => {
            out.report(
                ctx.object,
                pod.ptr(&["serviceAccount"]),
                format!(
                    "the pod names its ServiceAccount {old} only in the deprecated serviceAccount field (the API copies it into serviceAccountName){}",
                    pod.found_note()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::all_kinds;
    use kubeward_core::Severity;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn alone_equal_and_mismatched() {
        for (fields, sev, want) in [
            (
                json!({"serviceAccount": "app"}),
                Severity::Low,
                "only in the deprecated",
            ),
            (
                json!({"serviceAccount": "app", "serviceAccountName": "app"}),
                Severity::Low,
                "repeats",
            ),
            (
                json!({"serviceAccount": "restricted", "serviceAccountName": "admin"}),
                Severity::Medium,
                "serviceAccount says restricted but serviceAccountName says admin: the pod runs as admin",
            ),
        ] {
            let mut spec = json!({"containers": [{"name": "a", "image": "x"}]});
            for (k, v) in fields.as_object().unwrap() {
                spec[k] = v.clone();
            }
            for (kind, y, p) in all_kinds(&spec, &json!({})) {
                let hits = run(&RULE, &y);
                assert_eq!(
                    pointers(&hits),
                    vec![format!("{p}/serviceAccount")],
                    "{kind}"
                );
                assert_eq!(hits[0].severity, sev);
                assert!(hits[0].message.contains(want), "{}", hits[0].message);
            }
        }
    }

    #[test]
    fn quiet_with_service_account_name_only() {
        let spec =
            json!({"serviceAccountName": "app", "containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
    }
}
