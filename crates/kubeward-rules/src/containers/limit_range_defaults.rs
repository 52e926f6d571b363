//! KW-RES-004: LimitRanges that give containers no default request or limit for cpu or memory.

use crate::support::namespace_guards::{CPU, MEMORY, NamespaceGuards};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RES-004",
        name: "limit-range-without-defaults",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "LimitRange sets no default request or limit for cpu or memory",
        why: "A LimitRange only protects containers that forget their resources if it has a \
              `type: Container` item with defaults: `default` (the limit; the API defaults it \
              to `max`) and `defaultRequest` (the request; defaulted to `default`). A LimitRange \
              that only caps pods or PersistentVolumeClaims, or only sets `min`, leaves such \
              containers unbounded. What counts is the namespace as a whole: a default missing \
              here but given by another LimitRange of the same namespace in the input is not \
              reported.",
        fix: "Add a `type: Container` item with `default` and `defaultRequest` for cpu and \
              memory (or `max`, which becomes both).",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, resource policies",
            ),
            ("mitre", "T1499"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/policy/limit-range/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["LimitRange"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if o.group() != "" {
        return;
    }
    let guards = NamespaceGuards::of(ctx.inventory);
    let ns = o.namespace();
    let Some(me) = ns.and_then(|ns| guards.limit_ranges(ns).iter().find(|lr| lr.id == o.id)) else {
        return;
    };
    let mut missing = Vec::new();
    for r in [CPU, MEMORY] {
        let limit = me.default_limit(r).is_some();
        let request = me.default_request(r).is_some();
        if limit && request {
            continue;
        }
        // Another LimitRange of the namespace may give what this one does not.
        let ns_limit = guards.default_limit(ns, r).is_some();
        let ns_request = guards.default_request(ns, r).is_some();
        match (ns_limit, ns_request) {
            (true, true) => {}
            (false, false) => missing.push(format!("no default request or limit for {r}")),
            (false, true) => missing.push(format!("no default limit for {r}")),
            (true, false) => missing.push(format!("no default request for {r}")),
        }
    }
    if missing.is_empty() {
        return;
    }
    let has_container_item = o
        .root
        .path(&["spec", "limits"])
        .map(|l| {
            l.items()
                .iter()
                .any(|i| i.str_at("type") == Some("Container"))
        })
        .unwrap_or(false);
    let pointer = if o.root.path(&["spec", "limits"]).is_some() {
        "/spec/limits"
    } else if o.root.get("spec").is_some() {
        "/spec"
    } else {
        "/metadata/name"
    };
    let detail = if has_container_item {
        String::new()
    } else {
        " (it has no `type: Container` item)".to_string()
    };
    out.report(
        o,
        pointer,
        format!(
            "LimitRange {}{detail} gives containers {}, and no other LimitRange of namespace {} in the input does: containers without resources stay unbounded there",
            o.name,
            missing.join(", "),
            ns.unwrap_or("")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn lr(name: &str, limits: serde_json::Value) -> String {
        json!({"apiVersion": "v1", "kind": "LimitRange",
               "metadata": {"name": name, "namespace": "team"}, "spec": {"limits": limits}})
        .to_string()
    }

    #[test]
    fn fires_on_missing_defaults() {
        for (limits, want) in [
            (
                json!([{"type": "Pod", "max": {"cpu": "2", "memory": "2Gi"}}]),
                "(it has no `type: Container` item) gives containers no default request or limit for cpu, no default request or limit for memory",
            ),
            (
                json!([{"type": "Container", "default": {"cpu": "1"}, "min": {"memory": "1Mi"}}]),
                "no default request or limit for memory",
            ),
            (
                json!([{"type": "Container", "defaultRequest": {"cpu": "1", "memory": "1Gi"}}]),
                "no default limit for cpu, no default limit for memory",
            ),
        ] {
            let hits = run(&RULE, &lr("l", limits.clone()));
            assert_eq!(pointers(&hits), vec!["/spec/limits"], "{limits}");
            assert!(hits[0].message.contains(want), "{}", hits[0].message);
        }
    }

    #[test]
    fn quiet_when_the_namespace_has_every_default() {
        for limits in [
            json!([{"type": "Container", "default": {"cpu": "1", "memory": "1Gi"}}]),
            json!([{"type": "Container", "max": {"cpu": "1", "memory": "1Gi"}}]),
            json!([{"type": "Container", "default": {"cpu": "1", "memory": "1Gi"},
                    "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]),
        ] {
            assert!(run(&RULE, &lr("l", limits.clone())).is_empty(), "{limits}");
        }
        // Two LimitRanges that together give every default.
        let a = lr(
            "cpu",
            json!([{"type": "Container", "default": {"cpu": "1"}}]),
        );
        let b = lr(
            "mem",
            json!([{"type": "Container", "default": {"memory": "1Gi"}}]),
        );
        assert!(run(&RULE, &format!("{a}\n---\n{b}")).is_empty());
    }
}
