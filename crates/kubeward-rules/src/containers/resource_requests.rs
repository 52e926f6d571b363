//! KW-RES-001: containers without a CPU or memory request.
//!
//! A container's request is its own, its own limit (the API copies a limit into a missing
//! request), the pod-level resources, or a LimitRange default in its namespace (see
//! [`super::namespace_guards`]).

use crate::support::namespace_guards::{
    CPU, MEMORY, NamespaceGuards, Source, effective_request, resources_pointer,
};
use kubeward_core::{
    Check, ContainerKind, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RES-001",
        name: "resource-requests-missing",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "Container has no CPU or memory request",
        why: "The scheduler places pods by their requests. A container without a memory or CPU \
              request is scheduled as if it used nothing, so a node fills with pods that \
              together need more than it has; under pressure the kubelet evicts pods of the \
              BestEffort and Burstable classes first, and a pod that asks for nothing is the \
              cheapest way to starve its neighbours (denial of service). A request set by the \
              container, implied by its limit (the API copies a limit into a missing request), \
              set on the pod (`spec.resources`) or defaulted by a LimitRange in the namespace \
              (`defaultRequest`, else `default`, else `max`) counts; findings say which \
              LimitRange supplied the other values. Ephemeral containers cannot have requests.",
        fix: "Set `resources.requests.memory` and `resources.requests.cpu` on every container \
              and init container (measured, not guessed), or give the namespace a LimitRange \
              with `defaultRequest` for both.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, resource policies",
            ),
            ("checkov", "CKV_K8S_10"),
            ("checkov", "CKV_K8S_12"),
            ("polaris", "cpuRequestsMissing"),
            ("polaris", "memoryRequestsMissing"),
            ("kube-score", "container-resources"),
            ("kubescape", "C-0004"),
            ("kubescape", "C-0050"),
            ("mitre", "T1499"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/policy/limit-range/",
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
    let obj = ctx.object;
    let ns = obj.namespace();
    let guards = NamespaceGuards::of(ctx.inventory);
    for c in pod.containers() {
        if c.kind == ContainerKind::Ephemeral {
            continue;
        }
        let found = [MEMORY, CPU].map(|r| (r, effective_request(&guards, ns, pod, c.node, r)));
        let missing: Vec<&str> = found
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(r, _)| *r)
            .collect();
        if missing.is_empty() {
            continue;
        }
        let mut message = format!(
            "{} has no {} request (none on the container or the pod, no LimitRange default in the scanned input)",
            c.describe(),
            missing.join(" or ")
        );
        let mut related = None;
        for (r, s) in &found {
            if let Some(s) = s {
                message.push_str(&format!(
                    "; its {r} request is {}",
                    s.describe(ns.unwrap_or(""))
                ));
                if let Source::LimitRange(d) = s {
                    related = Some((
                        d.limit_range.id,
                        d.pointer.clone(),
                        d.limit_range.name.clone(),
                    ));
                }
            }
        }
        message.push_str(if missing.contains(&MEMORY) {
            ": the scheduler counts it as using no memory, overcommits the node, and it is evicted first or starves its neighbours"
        } else {
            ": the scheduler counts it as using no CPU, and it competes with its neighbours for every core"
        });
        let f = out.report(obj, resources_pointer(&c, "requests"), message);
        if let Some((id, pointer, name)) = related {
            f.related(id, pointer, format!("LimitRange {name}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::{all_kinds, at, pod_yaml, sorted};
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn fires_per_container_and_limits_imply_requests() {
        let y = pod_yaml(json!({
            "initContainers": [{"name": "i", "image": "x"}],
            "containers": [
                {"name": "a", "image": "x", "resources": {"requests": {"memory": "256Mi", "cpu": "100m"}}},
                {"name": "b", "image": "x", "resources": {"requests": {"cpu": "1"}}},
                {"name": "c", "image": "x", "resources": {"limits": {"memory": "1Gi", "cpu": "1"}}},
                {"name": "d", "image": "x", "resources": {"limits": {"memory": "1Gi"}}}
            ],
            "ephemeralContainers": [{"name": "e", "image": "x"}]
        }));
        let hits = run(&RULE, &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/initContainers/0",
                "/spec/containers/1/resources/requests",
                "/spec/containers/3/resources",
            ])
        );
        let b = at(&hits, "/spec/containers/1/resources/requests");
        assert!(b.message.contains("no memory request"), "{}", b.message);
        assert!(
            b.message.contains("cpu request is 1 on the container"),
            "{}",
            b.message
        );
        let d = at(&hits, "/spec/containers/3/resources");
        assert!(d.message.contains("no cpu request"), "{}", d.message);
    }

    #[test]
    fn pod_level_and_limit_range_defaults_count_and_are_named() {
        let y = pod_yaml(
            json!({"resources": {"requests": {"memory": "1Gi", "cpu": "1"}},
                                "containers": [{"name": "a", "image": "x"}]}),
        );
        assert!(run(&RULE, &y).is_empty());
        let base = pod_yaml(json!({"containers": [{"name": "a", "image": "x"}]}));
        for (item, want) in [
            (
                json!({"type": "Container", "defaultRequest": {"memory": "128Mi", "cpu": "100m"}}),
                None,
            ),
            (
                json!({"type": "Container", "default": {"memory": "512Mi", "cpu": "1"}}),
                None,
            ),
            (
                json!({"type": "Container", "max": {"memory": "1Gi", "cpu": "2"}}),
                None,
            ),
            (
                json!({"type": "Container", "defaultRequest": {"memory": "128Mi"}}),
                Some("no cpu request"),
            ),
            (
                json!({"type": "Pod", "max": {"memory": "1Gi", "cpu": "1"}}),
                Some("no memory or cpu request"),
            ),
        ] {
            for (ns, applies) in [("team", true), ("other", false)] {
                let lr = json!({"apiVersion": "v1", "kind": "LimitRange",
                                "metadata": {"name": "defaults", "namespace": ns},
                                "spec": {"limits": [item]}});
                let hits = run(&RULE, &format!("{base}\n---\n{lr}"));
                let want = if applies {
                    want
                } else {
                    Some("no memory or cpu request")
                };
                match want {
                    None => assert!(hits.is_empty(), "{item}"),
                    Some(w) => assert!(
                        hits[0].message.contains(w),
                        "{item} {ns}: {}",
                        hits[0].message
                    ),
                }
            }
        }
        let lr = json!({"apiVersion": "v1", "kind": "LimitRange",
                        "metadata": {"name": "defaults", "namespace": "team"},
                        "spec": {"limits": [{"type": "Container", "defaultRequest": {"memory": "128Mi"}}]}});
        let hits = run(&RULE, &format!("{base}\n---\n{lr}"));
        assert!(
            hits[0]
                .message
                .contains("memory request is 128Mi from LimitRange team/defaults (defaultRequest)"),
            "{}",
            hits[0].message
        );
    }

    #[test]
    fn every_kind() {
        let spec = json!({"containers": [{"name": "a", "image": "x"}]});
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            assert_eq!(
                pointers(&run(&RULE, &y)),
                vec![format!("{p}/containers/0")],
                "{kind}"
            );
        }
        let spec = json!({"containers": [{"name": "a", "image": "x",
                          "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
    }
}
