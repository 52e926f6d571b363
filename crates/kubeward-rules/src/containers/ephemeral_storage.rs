//! KW-RES-002: containers without an ephemeral-storage limit or request.

use crate::support::namespace_guards::{
    EPHEMERAL, NamespaceGuards, Source, effective_limit, effective_request, resources_pointer,
};
use kubeward_core::{
    Check, ContainerKind, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RES-002",
        name: "ephemeral-storage-unbounded",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Container has no ephemeral-storage limit or request",
        why: "A container's writable layer, its logs and its emptyDir volumes live on the \
              node's disk. Without an `ephemeral-storage` limit nothing stops a container from \
              filling that disk (a log loop, a download, an attacker writing junk): the node \
              reports DiskPressure, the kubelet evicts pods and stops accepting new ones, and \
              image pulls fail (denial of service). With a limit the kubelet evicts only the \
              pod that went over it. A missing request alone (low) lets the scheduler place pods \
              on nodes without the disk they need. A value set on the container, on the pod, \
              or by a LimitRange `default`/`defaultRequest` for ephemeral-storage in the \
              namespace counts, and findings name the LimitRange. Off by default: most \
              manifests set no ephemeral-storage at all, so on ordinary repositories the rule \
              reports nearly every container; enable it where node disks are shared by \
              tenants.",
        fix: "Set `resources.limits.ephemeral-storage` (and a request) on every container and \
              init container, or give the namespace a LimitRange with `default` and \
              `defaultRequest` for ephemeral-storage; bound emptyDir volumes with `sizeLimit`.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, resource policies",
            ),
            ("mitre", "T1499"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#local-ephemeral-storage",
            ),
        ],
        default_enabled: false,
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
        let limit = effective_limit(&guards, ns, pod, c.node, EPHEMERAL);
        let request = effective_request(&guards, ns, pod, c.node, EPHEMERAL);
        let describe = |s: &Source<'_>| s.describe(ns.unwrap_or(""));
        let (pointer, message, severity) = match (&limit, &request) {
            (Some(_), Some(_)) => continue,
            (None, None) => (
                resources_pointer(&c, "limits"),
                format!(
                    "{} has no ephemeral-storage limit or request (none on the container or the pod, no LimitRange default in the scanned input): it can fill the node's disk and get every pod on the node evicted",
                    c.describe()
                ),
                Severity::Medium,
            ),
            (None, Some(r)) => (
                resources_pointer(&c, "limits"),
                format!(
                    "{} has no ephemeral-storage limit (its request is {}): it can fill the node's disk and get every pod on the node evicted",
                    c.describe(),
                    describe(r)
                ),
                Severity::Medium,
            ),
            (Some(l), None) => (
                resources_pointer(&c, "requests"),
                format!(
                    "{} has no ephemeral-storage request (its limit is {}): the scheduler does not reserve the disk it needs",
                    c.describe(),
                    describe(l)
                ),
                Severity::Low,
            ),
        };
        let related = [&limit, &request].into_iter().find_map(|s| match s {
            Some(Source::LimitRange(d)) => Some((
                d.limit_range.id,
                d.pointer.clone(),
                d.limit_range.name.clone(),
            )),
            _ => None,
        });
        let f = out.report(obj, pointer, message);
        f.severity(severity);
        if let Some((id, pointer, name)) = related {
            f.related(id, pointer, format!("LimitRange {name}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::{at, pod_yaml, sorted};
    use kubeward_core::Severity;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn fires_per_container() {
        let y = pod_yaml(json!({
            "initContainers": [{"name": "i", "image": "x"}],
            "containers": [
                {"name": "a", "image": "x", "resources": {"limits": {"ephemeral-storage": "1Gi"}}},
                {"name": "b", "image": "x", "resources": {"requests": {"ephemeral-storage": "1Gi"}}},
                {"name": "c", "image": "x", "resources": {"limits": {"memory": "1Gi"}}},
                {"name": "d", "image": "x", "resources": {"requests": {"ephemeral-storage": "1Gi"},
                                                          "limits": {"ephemeral-storage": "2Gi"}}}
            ]
        }));
        let hits = run(&RULE, &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/initContainers/0",
                "/spec/containers/1/resources",
                "/spec/containers/2/resources/limits",
            ])
        );
        let b = at(&hits, "/spec/containers/1/resources");
        assert!(
            b.message
                .contains("no ephemeral-storage limit (its request is 1Gi on the container)"),
            "{}",
            b.message
        );
        assert_eq!(b.severity, Severity::Medium);
        // A limit alone implies the request (the API copies it).
        assert!(
            !hits
                .iter()
                .any(|h| h.pointer.starts_with("/spec/containers/0"))
        );
    }

    #[test]
    fn limit_range_defaults_count_and_are_named() {
        let base = pod_yaml(json!({"containers": [{"name": "a", "image": "x"}]}));
        let lr = |item: serde_json::Value, ns: &str| {
            json!({"apiVersion": "v1", "kind": "LimitRange",
                   "metadata": {"name": "disk", "namespace": ns},
                   "spec": {"limits": [item]}})
        };
        let full = lr(
            json!({"type": "Container", "default": {"ephemeral-storage": "2Gi"},
                             "defaultRequest": {"ephemeral-storage": "1Gi"}}),
            "team",
        );
        assert!(run(&RULE, &format!("{base}\n---\n{full}")).is_empty());
        let elsewhere = lr(
            json!({"type": "Container", "default": {"ephemeral-storage": "2Gi"}}),
            "other",
        );
        assert_eq!(run(&RULE, &format!("{base}\n---\n{elsewhere}")).len(), 1);
        let req_only = lr(
            json!({"type": "Container", "defaultRequest": {"ephemeral-storage": "1Gi"}}),
            "team",
        );
        let hits = run(&RULE, &format!("{base}\n---\n{req_only}"));
        assert!(
            hits[0]
                .message
                .contains("its request is 1Gi from LimitRange team/disk (defaultRequest)"),
            "{}",
            hits[0].message
        );
    }

    #[test]
    fn off_by_default() {
        assert!(!RULE.meta.default_enabled);
    }
}
