//! KW-CTR-012: workloads in the `default` namespace.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-012",
        name: "workload-in-default-namespace",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "Workload runs in the `default` namespace",
        why: "Namespaces are the boundary for RBAC, NetworkPolicy, quotas and Pod Security \
              admission. `default` is where everything without a namespace lands, so workloads \
              there share service accounts, secrets and policies with whatever else was applied \
              carelessly, and few clusters protect it as carefully as a dedicated namespace. An \
              object without `metadata.namespace` lands in the namespace of the kubectl context; \
              kubeward assumes `default` unless you scan with `--namespace`.",
        fix: "Create a namespace per application or team, with its own Pod Security labels, \
              NetworkPolicies and RBAC, and set `metadata.namespace` (or deploy with \
              `-n <namespace>`).",
        references: &[
            ("cis", "5.6.4"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Network separation and hardening, namespaces",
            ),
            ("checkov", "CKV_K8S_21"),
            ("kubescape", "C-0061"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    // A PodTemplate runs nothing by itself.
    if o.kind == "PodTemplate" || o.namespace() != Some("default") {
        return;
    }
    // Always the same pointer (the span falls back to `metadata` when the field is absent),
    // so the finding keeps one identity whether read from a file or from a cluster.
    if o.namespace_defaulted {
        out.report(
            o,
            "/metadata/namespace",
            format!(
                "{} {} has no metadata.namespace, so it lands in `default` unless applied with -n",
                o.kind, o.name
            ),
        );
    } else {
        out.report(
            o,
            "/metadata/namespace",
            format!("{} {} runs in the `default` namespace", o.kind, o.name),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::all_kinds;
    use crate::support::containers::fixtures::sorted;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn written_or_defaulted_default_namespace() {
        let spec = json!({"containers": [{"name": "a", "image": "x"}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            // The fixtures use namespace `team`.
            assert!(run(&RULE, &y).is_empty(), "{kind}");
            let written = y.replace("\"namespace\":\"team\"", "\"namespace\":\"default\"");
            let defaulted = y.replace(",\"namespace\":\"team\"", "");
            let (w, d) = (run(&RULE, &written), run(&RULE, &defaulted));
            if kind == "PodTemplate" {
                assert!(w.is_empty() && d.is_empty());
                continue;
            }
            assert_eq!(
                sorted(pointers(&w)),
                sorted(vec!["/metadata/namespace"]),
                "{kind}"
            );
            assert_eq!(
                sorted(pointers(&d)),
                sorted(vec!["/metadata/namespace"]),
                "{kind}: {defaulted}"
            );
            assert!(d[0].message.contains("no metadata.namespace"));
        }
    }

    #[test]
    fn other_kinds_are_not_workloads() {
        assert!(
            run(
                &RULE,
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
            )
            .is_empty()
        );
    }
}
