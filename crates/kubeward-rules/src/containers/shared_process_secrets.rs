//! KW-CTR-020: `shareProcessNamespace: true` in a pod that mounts secrets or an API token.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-020",
        name: "shared-process-namespace-with-secrets",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Pod shares its process namespace and mounts secrets or an API token",
        why: "With `shareProcessNamespace: true` every container of the pod sees the others' \
              processes, and through /proc/<pid>/root their filesystems: a Secret volume or \
              service-account token mounted into one container is readable from every other \
              one (a sidecar, a log shipper, an ephemeral debug container), and their \
              environment through /proc/<pid>/environ. A compromise of the weakest container \
              becomes a compromise of the pod's credentials. The token counts as mounted unless \
              the pod, or its ServiceAccount when the input has it, sets \
              `automountServiceAccountToken: false`; projected service-account tokens and \
              secrets count too.",
        fix: "Drop `shareProcessNamespace` unless a container really needs to signal or inspect \
              another; otherwise move the secrets into a pod of their own, and disable the \
              token automount where the API is not used.",
        references: &[
            ("mitre", "T1552.001"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/configure-pod-container/share-process-namespace/",
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
    if pod.spec.bool_at("shareProcessNamespace") != Some(true) {
        return;
    }
    let mut exposed: Vec<String> = Vec::new();
    for (_, v) in pod.volumes() {
        let name = v.str_at("name").unwrap_or("?");
        if let Some(s) = v.get("secret") {
            exposed.push(format!(
                "Secret volume {name} ({})",
                s.str_at("secretName").unwrap_or("?")
            ));
        }
        for src in v
            .path(&["projected", "sources"])
            .map(|s| s.items())
            .unwrap_or(&[])
        {
            if let Some(s) = src.get("secret") {
                exposed.push(format!(
                    "projected volume {name} with Secret {}",
                    s.str_at("name").unwrap_or("?")
                ));
            } else if src.get("serviceAccountToken").is_some() {
                exposed.push(format!(
                    "projected volume {name} with a service-account token"
                ));
            }
        }
    }
    let sa = pod
        .spec
        .str_at("serviceAccountName")
        .or_else(|| pod.spec.str_at("serviceAccount"))
        .filter(|s| !s.is_empty())
        .unwrap_or("default");
    let automount = match pod.spec.bool_at("automountServiceAccountToken") {
        Some(b) => b,
        None => {
            ctx.inventory
                .get("ServiceAccount", ctx.object.namespace(), sa)
                .and_then(|s| s.root.bool_at("automountServiceAccountToken"))
                != Some(false)
        }
    };
    if automount {
        exposed.push(format!("the automounted API token of ServiceAccount {sa}"));
    }
    if exposed.is_empty() {
        return;
    }
    out.report(
        ctx.object,
        pod.ptr(&["shareProcessNamespace"]),
        format!(
            "the pod shares one process namespace and mounts {}: every container can read them through /proc/<pid>/root{}",
            exposed.join(", "),
            pod.found_note()
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::all_kinds;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn spec(extra: serde_json::Value) -> serde_json::Value {
        let mut s = json!({"shareProcessNamespace": true, "automountServiceAccountToken": false,
                           "containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    }

    #[test]
    fn fires_with_secret_volumes_or_tokens() {
        for (extra, want) in [
            (
                json!({"volumes": [{"name": "creds", "secret": {"secretName": "db"}}]}),
                "Secret volume creds (db)",
            ),
            (
                json!({"volumes": [{"name": "p", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}]}),
                "projected volume p with a service-account token",
            ),
            (
                json!({"automountServiceAccountToken": true}),
                "automounted API token of ServiceAccount default",
            ),
        ] {
            for (kind, y, p) in all_kinds(&spec(extra.clone()), &json!({})) {
                let hits = run(&RULE, &y);
                assert_eq!(
                    pointers(&hits),
                    vec![format!("{p}/shareProcessNamespace")],
                    "{kind}"
                );
                assert!(hits[0].message.contains(want), "{}", hits[0].message);
            }
        }
        // The pod does not decide: the token is mounted unless the ServiceAccount says no.
        let mut s = spec(json!({"serviceAccountName": "app"}));
        s.as_object_mut()
            .unwrap()
            .remove("automountServiceAccountToken");
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "team"}, "spec": s});
        assert_eq!(run(&RULE, &pod.to_string()).len(), 1);
        let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "namespace": "team"},
                        "automountServiceAccountToken": false});
        assert!(run(&RULE, &format!("{pod}\n---\n{sa}")).is_empty());
    }

    #[test]
    fn quiet_without_sharing_or_secrets() {
        for (kind, y, _) in all_kinds(
            &spec(json!({"volumes": [{"name": "d", "emptyDir": {}}]})),
            &json!({}),
        ) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
        let s = spec(
            json!({"shareProcessNamespace": false, "automountServiceAccountToken": true,
                            "volumes": [{"name": "creds", "secret": {"secretName": "db"}}]}),
        );
        for (kind, y, _) in all_kinds(&s, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
    }
}
