//! KW-DAT-003: Secrets consumed as environment variables instead of files (advisory).

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-DAT-003",
        name: "secret-as-env-var",
        layer: Layer::Data,
        severity: Severity::Low,
        title: "Secret is passed to a container as an environment variable",
        why: "Environment variables leak more easily than files: they are inherited by every child \
              process, dumped by crash reporters and debug endpoints, visible in \
              /proc/<pid>/environ to anything sharing the process namespace, and often logged at \
              start-up. They also never change while the container runs, so a rotated Secret \
              needs a restart. Files from a Secret volume can be read-only, limited to one \
              container and updated in place. This is advisory (CIS 5.4.1).",
        fix: "Mount the Secret as a volume (`secret: {secretName: ..., defaultMode: 0400}`) and \
              have the program read the file, for example through a `*_FILE` variable.",
        references: &[
            ("cis", "5.4.1"),
            ("nsa", "Kubernetes Hardening Guide: Secrets"),
            ("mitre", "T1552.007"),
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
            let Some(r) = e.path(&["valueFrom", "secretKeyRef"]) else {
                continue;
            };
            out.report(
                ctx.object,
                c.ptr(&["env", &i.to_string(), "valueFrom", "secretKeyRef"]),
                format!(
                    "{}: env {} comes from key `{}` of Secret {}",
                    c.describe(),
                    e.str_at("name").unwrap_or("?"),
                    r.str_at("key").unwrap_or("?"),
                    r.str_at("name").unwrap_or("?")
                ),
            );
        }
        for (i, e) in c.items("envFrom") {
            let Some(r) = e.get("secretRef") else {
                continue;
            };
            out.report(
                ctx.object,
                c.ptr(&["envFrom", &i.to_string(), "secretRef"]),
                format!(
                    "{}: every key of Secret {} becomes an environment variable{}",
                    c.describe(),
                    r.str_at("name").unwrap_or("?"),
                    e.str_at("prefix")
                        .map(|p| format!(" (prefix {p})"))
                        .unwrap_or_default()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::{all_kinds, sorted};
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn secret_key_refs_and_env_from() {
        let spec = json!({
            "initContainers": [{"name": "i", "image": "x", "envFrom": [
                {"configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "db"}, "prefix": "DB_"}]}],
            "containers": [{"name": "a", "image": "x", "env": [
                {"name": "LOG", "value": "info"},
                {"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}},
                {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
            ]}],
            "ephemeralContainers": [{"name": "e", "image": "x", "env": [
                {"name": "T", "valueFrom": {"secretKeyRef": {"name": "t", "key": "k"}}}]}],
            "volumes": [{"name": "s", "secret": {"secretName": "db"}}]
        });
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            let hits = run(&RULE, &y);
            assert_eq!(
                sorted(pointers(&hits)),
                sorted(vec![
                    format!("{p}/initContainers/0/envFrom/1/secretRef"),
                    format!("{p}/containers/0/env/2/valueFrom/secretKeyRef"),
                    format!("{p}/ephemeralContainers/0/env/0/valueFrom/secretKeyRef"),
                ]),
                "{kind}"
            );
        }
        let quiet = json!({"containers": [{"name": "a", "image": "x",
            "volumeMounts": [{"name": "s", "mountPath": "/s", "readOnly": true}]}],
            "volumes": [{"name": "s", "secret": {"secretName": "db"}}]});
        for (kind, y, _) in all_kinds(&quiet, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
    }
}
