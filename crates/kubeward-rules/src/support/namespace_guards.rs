//! The namespace guards of the input, indexed once per inventory: LimitRanges (the defaults
//! they give containers) and ResourceQuotas, by namespace. Shared by KW-CTR-009 and the
//! KW-RES rules, so no rule scans the inventory per container.
//!
//! LimitRange semantics (the LimitRanger admission plugin): for a `type: Container` item,
//! `default` is the limit a container gets when it sets none, `defaultRequest` the request;
//! the API server defaults `default` to `max` and `defaultRequest` to `default`. A container
//! that sets a limit but no request gets the request equal to its limit (API defaulting, before
//! any LimitRange). With several LimitRanges in a namespace the plugin applies them in turn; the
//! first one in the input that provides a value is named here.

use kubeward_core::{Inventory, Node, ObjectId, PodSpec};
use std::collections::HashMap;

/// The resources the guards track.
pub(crate) const CPU: &str = "cpu";
pub(crate) const MEMORY: &str = "memory";
pub(crate) const EPHEMERAL: &str = "ephemeral-storage";

/// One LimitRange with a `type: Container` item.
pub(crate) struct LimitRangeInfo {
    pub id: ObjectId,
    pub name: String,
    /// The `type: Container` items, with their index in `spec.limits`.
    items: Vec<(usize, Node)>,
}

/// Where a defaulted value comes from.
pub(crate) struct Defaulted<'a> {
    pub limit_range: &'a LimitRangeInfo,
    /// `default`, `defaultRequest` or `max`.
    pub field: &'static str,
    pub value: String,
    /// Pointer in the LimitRange.
    pub pointer: String,
}

impl LimitRangeInfo {
    fn lookup(&self, fields: &[&'static str], resource: &str) -> Option<Defaulted<'_>> {
        for field in fields {
            for (i, item) in &self.items {
                if let Some(v) = item.path(&[field, resource]) {
                    return Some(Defaulted {
                        limit_range: self,
                        field,
                        value: quantity_text(v),
                        pointer: format!("/spec/limits/{i}/{field}/{resource}"),
                    });
                }
            }
        }
        None
    }

    /// The limit this LimitRange gives a container that sets none.
    pub fn default_limit(&self, resource: &str) -> Option<Defaulted<'_>> {
        self.lookup(&["default", "max"], resource)
    }

    /// The request this LimitRange gives a container that sets neither request nor limit.
    pub fn default_request(&self, resource: &str) -> Option<Defaulted<'_>> {
        self.lookup(&["defaultRequest", "default", "max"], resource)
    }
}

/// LimitRanges and ResourceQuotas by namespace.
#[derive(Default)]
pub(crate) struct NamespaceGuards {
    limit_ranges: HashMap<String, Vec<LimitRangeInfo>>,
    quotas: HashMap<String, Vec<ObjectId>>,
}

impl NamespaceGuards {
    /// The index of `inventory`, built on first use.
    pub fn of(inventory: &Inventory) -> std::sync::Arc<NamespaceGuards> {
        inventory.memo(|| NamespaceGuards::build(inventory))
    }

    fn build(inventory: &Inventory) -> NamespaceGuards {
        let mut g = NamespaceGuards::default();
        for lr in inventory.of_kind("LimitRange") {
            if lr.group() != "" {
                continue;
            }
            let Some(ns) = lr.namespace() else { continue };
            let items = lr
                .root
                .path(&["spec", "limits"])
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .filter(|(_, item)| item.str_at("type") == Some("Container"))
                .map(|(i, item)| (i, item.clone()))
                .collect();
            g.limit_ranges
                .entry(ns.to_string())
                .or_default()
                .push(LimitRangeInfo {
                    id: lr.id,
                    name: lr.name.to_string(),
                    items,
                });
        }
        for q in inventory.of_kind("ResourceQuota") {
            if q.group() != "" {
                continue;
            }
            let Some(ns) = q.namespace() else { continue };
            g.quotas.entry(ns.to_string()).or_default().push(q.id);
        }
        g
    }

    /// The LimitRanges of a namespace (with or without container defaults).
    pub fn limit_ranges(&self, ns: &str) -> &[LimitRangeInfo] {
        self.limit_ranges.get(ns).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The ResourceQuotas of a namespace.
    pub fn quotas(&self, ns: &str) -> &[ObjectId] {
        self.quotas.get(ns).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The default limit for `resource` in `ns`, from the first LimitRange that has one.
    pub fn default_limit(&self, ns: Option<&str>, resource: &str) -> Option<Defaulted<'_>> {
        self.limit_ranges(ns?)
            .iter()
            .find_map(|lr| lr.default_limit(resource))
    }

    /// The default request for `resource` in `ns`, from the first LimitRange that has one.
    pub fn default_request(&self, ns: Option<&str>, resource: &str) -> Option<Defaulted<'_>> {
        self.limit_ranges(ns?)
            .iter()
            .find_map(|lr| lr.default_request(resource))
    }
}

/// A quantity as written (`500m`, `1Gi`, `2`).
pub(crate) fn quantity_text(v: &Node) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None => v
            .as_i64()
            .map(|i| i.to_string())
            .or_else(|| v.as_f64().map(|f| f.to_string()))
            .unwrap_or_else(|| "?".to_string()),
    }
}

/// Where a container's request or limit for a resource comes from.
pub(crate) enum Source<'a> {
    /// Written on the container (`resources.requests` or, for a request, `resources.limits`).
    Container(String),
    /// Written on the pod (`spec.resources`).
    Pod(String),
    /// A LimitRange default.
    LimitRange(Defaulted<'a>),
}

impl Source<'_> {
    /// `"500m from LimitRange team/limits (defaultRequest)"`, for messages.
    pub fn describe(&self, ns: &str) -> String {
        match self {
            Source::Container(v) => format!("{v} on the container"),
            Source::Pod(v) => format!("{v} on the pod"),
            Source::LimitRange(d) => format!(
                "{} from LimitRange {ns}/{} ({})",
                d.value, d.limit_range.name, d.field
            ),
        }
    }
}

/// The effective request of `resource` for a container: its own request, its own limit (the
/// API defaults the request to the limit), the pod-level resources, or a LimitRange default.
pub(crate) fn effective_request<'g>(
    guards: &'g NamespaceGuards,
    ns: Option<&str>,
    pod: &PodSpec<'_>,
    container: &Node,
    resource: &str,
) -> Option<Source<'g>> {
    for section in ["requests", "limits"] {
        if let Some(v) = container.path(&["resources", section, resource]) {
            return Some(Source::Container(quantity_text(v)));
        }
    }
    for section in ["requests", "limits"] {
        if let Some(v) = pod.spec.path(&["resources", section, resource]) {
            return Some(Source::Pod(quantity_text(v)));
        }
    }
    guards.default_request(ns, resource).map(Source::LimitRange)
}

/// The effective limit of `resource` for a container.
pub(crate) fn effective_limit<'g>(
    guards: &'g NamespaceGuards,
    ns: Option<&str>,
    pod: &PodSpec<'_>,
    container: &Node,
    resource: &str,
) -> Option<Source<'g>> {
    if let Some(v) = container.path(&["resources", "limits", resource]) {
        return Some(Source::Container(quantity_text(v)));
    }
    if let Some(v) = pod.spec.path(&["resources", "limits", resource]) {
        return Some(Source::Pod(quantity_text(v)));
    }
    guards.default_limit(ns, resource).map(Source::LimitRange)
}

/// The pointer nearest to a missing `resources.<section>` entry of a container.
pub(crate) fn resources_pointer(c: &kubeward_core::Container<'_>, section: &str) -> String {
    match c.node.get("resources") {
        Some(r) if r.get(section).is_some() => c.ptr(&["resources", section]),
        Some(_) => c.ptr(&["resources"]),
        None => c.ptr(&[]),
    }
}

/// Namespaces where control-plane add-ons run: the namespace rules leave them out (add-ons set
/// their own resources, and a quota there can keep critical add-ons from starting).
pub(crate) const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// The namespaces that run workloads, in input order, with their workloads; system namespaces
/// left out.
pub(crate) fn workload_namespaces(
    inventory: &Inventory,
) -> Vec<(&str, Vec<&kubeward_core::Object>)> {
    let mut order: Vec<(&str, Vec<&kubeward_core::Object>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for w in inventory.workloads() {
        let Some(ns) = w.namespace() else { continue };
        if SYSTEM_NAMESPACES.contains(&ns) || PodSpec::of(w).is_none() {
            continue;
        }
        let i = *index.entry(ns).or_insert_with(|| {
            order.push((ns, Vec::new()));
            order.len() - 1
        });
        order[i].1.push(w);
    }
    order
}

/// Reports a namespace-level finding: on the Namespace object when the input has it, else on
/// the first workload of the namespace.
pub(crate) fn report_namespace(
    inventory: &Inventory,
    out: &mut kubeward_core::Emitter<'_>,
    ns: &str,
    workloads: &[&kubeward_core::Object],
    message: String,
) {
    if let Some(n) = inventory
        .get("Namespace", None, ns)
        .filter(|n| n.group() == "")
    {
        let f = out.report(n, "/metadata/name", message);
        if let Some(w) = workloads.first() {
            f.related(w.id, "/metadata/name", format!("{} {}", w.kind, w.name));
        }
        return;
    }
    let Some(w) = workloads.first() else { return };
    // Always the same pointer (the span falls back to `metadata` when the field is absent),
    // so the finding keeps one identity whether read from a file or from a cluster.
    let pointer = "/metadata/namespace";
    out.report(w, pointer, message);
}

/// `Deployment web, Job migrate and 3 more`, for messages.
pub(crate) fn list_workloads(workloads: &[&kubeward_core::Object]) -> String {
    let names: Vec<String> = workloads
        .iter()
        .take(3)
        .map(|w| format!("{} {}", w.kind, w.name))
        .collect();
    let more = workloads.len().saturating_sub(3);
    if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}
