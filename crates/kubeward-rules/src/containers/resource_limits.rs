//! KW-CTR-009: containers without a memory or CPU limit.
//!
//! A container's limit for a resource is set by the container, by a pod-level limit
//! (`spec.resources.limits`), or by the defaults of a LimitRange in its namespace; otherwise it
//! is missing.

use crate::support::namespace_guards::NamespaceGuards;
use kubeward_core::{
    Check, ContainerKind, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-009",
        name: "resource-limits-missing",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Container has no memory or CPU limit",
        why: "Without a memory limit a container can take all of its node's memory, through a \
              leak or deliberately: the kernel then kills processes and the kubelet evicts other \
              pods, so one compromised or buggy workload takes down its neighbours (denial of \
              service); that is medium. Without a CPU limit it can take every idle core (a crypto \
              miner, a busy loop); that alone is low, because CPU requests already guarantee \
              each pod its share and some teams avoid CPU limits on purpose to prevent \
              throttling. A limit set on the pod (`spec.resources.limits`) or defaulted by a \
              LimitRange in the namespace counts (a LimitRange `max` becomes the default); \
              ephemeral containers cannot have limits.",
        fix: "Set `resources.limits.memory` (close to the request) and `resources.limits.cpu` on \
              every container and init container, or give the namespace a LimitRange with \
              default limits.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, resource policies",
            ),
            ("checkov", "CKV_K8S_11"),
            ("checkov", "CKV_K8S_13"),
            ("kube-score", "container-resources"),
            ("polaris", "memoryLimitsMissing"),
            ("polaris", "cpuLimitsMissing"),
            ("kubescape", "C-0270"),
            ("kubescape", "C-0271"),
            ("mitre", "T1499"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

const RESOURCES: [&str; 2] = ["memory", "cpu"];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    let obj = ctx.object;
    let guards = NamespaceGuards::of(ctx.inventory);
    // Resources whose limit the pod or the namespace already provides.
    let covered: [bool; 2] = std::array::from_fn(|i| {
        pod.spec
            .path(&["resources", "limits", RESOURCES[i]])
            .is_some()
            || guards
                .default_limit(obj.namespace(), RESOURCES[i])
                .is_some()
    });
    if covered == [true, true] {
        return;
    }
    for c in pod.containers() {
        // Ephemeral containers cannot have resources; they share the pod's.
        if c.kind == ContainerKind::Ephemeral {
            continue;
        }
        let res = c.node.get("resources");
        let missing: Vec<&str> = (0..2)
            .filter(|&i| {
                !covered[i]
                    && res
                        .and_then(|r| r.path(&["limits", RESOURCES[i]]))
                        .is_none()
            })
            .map(|i| RESOURCES[i])
            .collect();
        if missing.is_empty() {
            continue;
        }
        let pointer = match res {
            Some(r) if r.get("limits").is_some() => c.ptr(&["resources", "limits"]),
            Some(_) => c.ptr(&["resources"]),
            None => c.ptr(&[]),
        };
        let memory = missing.contains(&"memory");
        let f = out.report(
            obj,
            pointer,
            format!(
                "{} has no {} limit (none on the pod, no LimitRange default in the scanned input): {}",
                c.describe(),
                missing.join(" or "),
                if memory {
                    "it can exhaust the node's memory and get other pods evicted"
                } else {
                    "it can take every idle core of its node from the pods next to it"
                }
            ),
        );
        if !memory {
            f.severity(Severity::Low);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::{all_kinds, at, pod_yaml, sorted};
    use kubeward_core::Severity;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn per_container_with_the_nearest_pointer_and_severity() {
        let y = pod_yaml(json!({
            "initContainers": [{"name": "i", "image": "x"}],
            "containers": [
                {"name": "a", "image": "x", "resources": {"limits": {"memory": "256Mi", "cpu": "1"}}},
                {"name": "b", "image": "x", "resources": {"limits": {"cpu": "1"}}},
                {"name": "c", "image": "x", "resources": {"requests": {"memory": "1Gi"}}},
                {"name": "d", "image": "x", "resources": {"limits": {"memory": "1Gi"}}}
            ],
            "ephemeralContainers": [{"name": "e", "image": "x"}]
        }));
        let hits = run(&RULE, &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/initContainers/0",
                "/spec/containers/1/resources/limits",
                "/spec/containers/2/resources",
                "/spec/containers/3/resources/limits",
            ])
        );
        let i = at(&hits, "/spec/initContainers/0");
        assert!(
            i.message.contains("no memory or cpu limit"),
            "{}",
            i.message
        );
        assert_eq!(i.severity, Severity::Medium);
        let b = at(&hits, "/spec/containers/1/resources/limits");
        assert!(b.message.contains("no memory limit"));
        let d = at(&hits, "/spec/containers/3/resources/limits");
        assert!(d.message.contains("no cpu limit"));
        assert_eq!(d.severity, Severity::Low);
    }

    #[test]
    fn pod_level_limits_and_limit_range_defaults_count() {
        let y = pod_yaml(
            json!({"resources": {"limits": {"memory": "1Gi", "cpu": "2"}},
                                "containers": [{"name": "a", "image": "x"}]}),
        );
        assert!(run(&RULE, &y).is_empty());
        let y = pod_yaml(json!({"resources": {"limits": {"memory": "1Gi"}},
                                "containers": [{"name": "a", "image": "x"}]}));
        assert!(run(&RULE, &y)[0].message.contains("no cpu limit"));
        let base = pod_yaml(json!({"containers": [{"name": "a", "image": "x"}]}));
        for (item, want) in [
            (
                json!({"type": "Container", "default": {"memory": "512Mi", "cpu": "1"}}),
                None,
            ),
            (
                json!({"type": "Container", "max": {"memory": "1Gi", "cpu": "2"}}),
                None,
            ),
            (
                json!({"type": "Container", "default": {"cpu": "1"}}),
                Some("no memory limit"),
            ),
            (
                json!({"type": "Container", "max": {"memory": "1Gi"}}),
                Some("no cpu limit"),
            ),
            (
                json!({"type": "Pod", "max": {"memory": "1Gi", "cpu": "1"}}),
                Some("no memory or cpu limit"),
            ),
        ] {
            for (ns, applies) in [("team", true), ("other", false)] {
                let lr = json!({"apiVersion": "v1", "kind": "LimitRange",
                                "metadata": {"name": "l", "namespace": ns},
                                "spec": {"limits": [item]}});
                let hits = run(&RULE, &format!("{base}\n---\n{lr}"));
                let want = if applies {
                    want
                } else {
                    Some("no memory or cpu limit")
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
                          "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]});
        for (kind, y, _) in all_kinds(&spec, &json!({})) {
            assert!(run(&RULE, &y).is_empty(), "{kind}");
        }
    }
}
