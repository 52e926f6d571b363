//! KW-CTR-017: pods that rewrite /etc/hosts with `hostAliases`.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-017",
        name: "host-aliases",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "Pod rewrites /etc/hosts with hostAliases",
        why: "`hostAliases` writes entries into every container's /etc/hosts, which the \
              resolver reads before DNS. Whoever controls the manifest can point any name (the \
              image registry, an internal API, a cloud endpoint, a package mirror) at an \
              address of their choosing: traffic is redirected without touching DNS, past \
              DNS-based egress policies and out of DNS logs. Legitimate uses exist (a legacy \
              host without DNS), which is why this is low; the finding lists the names so a \
              reviewer can judge.",
        fix: "Remove `hostAliases` and publish the names in DNS (a Service, an ExternalName \
              Service, or the cluster DNS configuration) where they are visible and reviewed.",
        references: &[
            ("mitre", "T1557"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/network/customize-hosts-file-for-pods/",
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
    let Some(aliases) = pod.spec.get("hostAliases") else {
        return;
    };
    let entries: Vec<String> = aliases
        .items()
        .iter()
        .map(|a| {
            let names: Vec<&str> = a
                .get("hostnames")
                .map(|h| h.items().iter().filter_map(|n| n.as_str()).collect())
                .unwrap_or_default();
            format!("{} -> {}", names.join(", "), a.str_at("ip").unwrap_or("?"))
        })
        .collect();
    if entries.is_empty() {
        return;
    }
    out.report(
        ctx.object,
        pod.ptr(&["hostAliases"]),
        format!(
            "the pod adds {} /etc/hosts entr{} ({}): these names resolve to those addresses in every container, before DNS{}",
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" },
            entries.join("; "),
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

    #[test]
    fn fires_on_every_kind() {
        let spec = json!({"hostAliases": [{"ip": "10.0.0.9", "hostnames": ["registry.example.com", "api.example.com"]}],
                          "containers": [{"name": "a", "image": "x"}]});
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            let hits = run(&RULE, &y);
            assert_eq!(pointers(&hits), vec![format!("{p}/hostAliases")], "{kind}");
            assert!(
                hits[0]
                    .message
                    .contains("registry.example.com, api.example.com -> 10.0.0.9"),
                "{}",
                hits[0].message
            );
        }
    }

    #[test]
    fn quiet_without_aliases() {
        let spec = json!({"containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
        let spec = json!({"hostAliases": [], "containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
    }
}
