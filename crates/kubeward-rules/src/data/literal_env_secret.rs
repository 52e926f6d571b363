//! KW-DAT-001: credentials written as literal environment values.

use crate::support::secrets::classify;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-DAT-001",
        name: "literal-secret-in-env",
        layer: Layer::Data,
        severity: Severity::High,
        title: "Container environment holds a literal credential",
        why: "A credential written as `env[].value` lives in plain text in the manifest, in Git \
              history, in every rendered chart and CI log, in the workload object that anyone \
              with read access to Deployments can see (far more people than can read Secrets), \
              and in `kubectl describe`. It cannot be rotated without a redeploy. kubeward \
              recognises known credential formats (private keys, AWS access keys, GitHub, \
              GitLab, Slack, Stripe, Google and npm tokens, JWTs, passwords in URLs), \
              credential-named variables holding a literal (not a reference, path, URL, flag or \
              template), and long random-looking strings. The value is never printed: messages \
              show the variable, the kind of credential and a redacted fingerprint.",
        fix: "Move the value into a Secret (or an external secret store through the Secrets \
              Store CSI driver or External Secrets), mount it as a file and point the program \
              at the file; rotate the exposed credential, since it is already in Git history.",
        references: &[
            ("nsa", "Kubernetes Hardening Guide: Secrets"),
            ("checkov", "CKV_K8S_35"),
            ("kubescape", "C-0012"),
            ("mitre", "T1552.001"),
            ("owasp", "K03"),
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
    for c in pod.containers() {
        for (i, e) in c.items("env") {
            let (Some(name), Some(value)) = (e.str_at("name"), e.str_at("value")) else {
                continue;
            };
            let Some(d) = classify(name, value) else {
                continue;
            };
            out.report(
                ctx.object,
                c.ptr(&["env", &i.to_string(), "value"]),
                format!(
                    "{}: env {name} holds {} {}",
                    c.describe(),
                    d.what,
                    d.redacted()
                ),
            )
            .severity(d.severity)
            .redact_source();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::{all_kinds, pod_yaml, sorted};
    use kubeward_core::Severity;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    const PW: &str = "Xq7-v9Lm#2pR";

    #[test]
    fn every_container_list_and_kind() {
        let env =
            json!([{"name": "DB_PASSWORD", "value": PW}, {"name": "LOG_LEVEL", "value": "info"}]);
        let spec = json!({
            "initContainers": [{"name": "i", "image": "x", "env": env}],
            "containers": [{"name": "a", "image": "x", "env": [
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}
            ]}],
            "ephemeralContainers": [{"name": "e", "image": "x", "env": env}]
        });
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            let hits = run(&RULE, &y);
            assert_eq!(
                sorted(pointers(&hits)),
                sorted(vec![
                    format!("{p}/initContainers/0/env/0/value"),
                    format!("{p}/ephemeralContainers/0/env/0/value"),
                ]),
                "{kind}"
            );
            for h in &hits {
                assert!(!h.message.contains(PW), "{}", h.message);
                assert!(
                    h.message
                        .contains("env DB_PASSWORD holds a literal password [redacted: 8-15 chars")
                );
            }
        }
    }

    #[test]
    fn formats_set_the_severity_and_false_positives_stay_quiet() {
        let y = pod_yaml(json!({"containers": [{"name": "a", "image": "x", "env": [
            {"name": "GH", "value": "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"},
            {"name": "DATABASE_URL", "value": "postgres://u:pw-Secret1@db/x"},
            {"name": "DATABASE_URL2", "value": "postgres://u@db/x"},
            {"name": "REQUEST_ID", "value": "550e8400-e29b-41d4-a716-446655440000"},
            {"name": "FEATURE_X", "value": "true"},
            {"name": "IMAGE", "value": "ghcr.io/acme/api:v1.2.3"},
            {"name": "PASSWORD_FILE", "value": "/run/secrets/pw"}
        ]}]}));
        let hits = run(&RULE, &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/containers/0/env/0/value",
                "/spec/containers/0/env/1/value"
            ])
        );
        let gh = hits
            .iter()
            .find(|h| h.pointer.ends_with("/0/value"))
            .unwrap();
        assert_eq!(gh.severity, Severity::Critical);
        assert!(gh.message.contains("[redacted: ghp_…, 32-63 chars"));
    }
}
