//! Shared logic of KW-CTR-009 (memory limit) and KW-CTR-010 (CPU limit): a container's limit
//! for a resource is set by the container, by a pod-level limit (`spec.resources`), or by the
//! defaults of a LimitRange in the namespace; otherwise it is missing.

use kubeward_core::podspec::WORKLOAD_KINDS;
use kubeward_core::{ContainerKind, Emitter, InventoryCtx, Node, PodSpec};
use std::collections::HashSet;

/// Namespaces whose LimitRanges give containers a default limit for `resource`: a `Container`
/// item with `default.<resource>`, or with `max.<resource>` (the API defaults `default` to
/// `max`).
fn defaulted_namespaces<'a>(ctx: &InventoryCtx<'a>, resource: &str) -> HashSet<&'a str> {
    let mut out = HashSet::new();
    for lr in ctx.inventory.of_kind("LimitRange") {
        if lr.group() != "" {
            continue;
        }
        let Some(ns) = lr.namespace() else { continue };
        let gives = lr
            .root
            .path(&["spec", "limits"])
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .any(|item| {
                item.str_at("type") == Some("Container")
                    && (item.path(&["default", resource]).is_some()
                        || item.path(&["max", resource]).is_some())
            });
        if gives {
            out.insert(ns);
        }
    }
    out
}

pub(crate) fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>, resource: &str, why: &str) {
    let defaulted = defaulted_namespaces(ctx, resource);
    for kind in WORKLOAD_KINDS {
        for obj in ctx.inventory.of_kind(kind) {
            let Some(pod) = PodSpec::of(obj) else {
                continue;
            };
            if pod.spec.path(&["resources", "limits", resource]).is_some() {
                continue;
            }
            if obj.namespace().is_some_and(|ns| defaulted.contains(ns)) {
                continue;
            }
            for c in pod.containers() {
                // Ephemeral containers cannot have resources; they share the pod's.
                if c.kind == ContainerKind::Ephemeral {
                    continue;
                }
                let res = c.node.get("resources");
                if res.and_then(|r| r.path(&["limits", resource])).is_some() {
                    continue;
                }
                let pointer = match res {
                    Some(r) if r.get("limits").is_some() => c.ptr(&["resources", "limits"]),
                    Some(_) => c.ptr(&["resources"]),
                    None => c.ptr(&[]),
                };
                out.report(
                    obj,
                    pointer,
                    format!(
                        "{} has no {resource} limit (none on the pod, no LimitRange default in the scanned input): {why}",
                        c.describe()
                    ),
                );
            }
        }
    }
}
