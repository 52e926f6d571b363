//! What the NetworkPolicy rules share: the model of the inventory (built once per scan), and
//! how a finding names and locates workloads.

use crate::netpol::model::{Model, Options};
use kubeward_core::InventoryCtx;
use kubeward_core::inventory::ObjectId;
use std::collections::BTreeMap;

pub(crate) fn relevant(ctx: &InventoryCtx<'_>) -> bool {
    let inv = ctx.inventory;
    [
        "NetworkPolicy",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "Pod",
    ]
    .iter()
    .chain(crate::netpol::model::TEMPLATE_KINDS)
    .any(|k| inv.of_kind(k).next().is_some())
}

/// Models of one inventory, per value of `ipblock_matches_pods`.
#[derive(Default)]
pub(crate) struct Models {
    plain: std::sync::OnceLock<std::sync::Arc<Model>>,
    ipblock_pods: std::sync::OnceLock<std::sync::Arc<Model>>,
}

/// The model of the inventory, built once per scan and shared by every rule here (the
/// build uses no rayon, as [`kubeward_core::Inventory::memo`] requires).
pub(crate) fn model(ctx: &InventoryCtx<'_>) -> Option<std::sync::Arc<Model>> {
    if !relevant(ctx) {
        return None;
    }
    let opts = Options {
        ipblock_matches_pods: ctx.settings.ipblock_matches_pods,
        ingress_controller: ctx.settings.ingress_controller.as_ref().map(|c| {
            crate::netpol::ingress::Location {
                namespace: c.namespace.clone(),
                labels: c.labels.clone(),
            }
        }),
    };
    let models = ctx.inventory.memo(Models::default);
    let cell = if opts.ipblock_matches_pods {
        &models.ipblock_pods
    } else {
        &models.plain
    };
    Some(
        cell.get_or_init(|| std::sync::Arc::new(Model::build(ctx.inventory, opts)))
            .clone(),
    )
}

/// Where a finding about a workload points: its pod labels.
pub(crate) fn workload_at(m: &Model, e: u32) -> Option<(ObjectId, String)> {
    let ep = &m.endpoints[e as usize];
    let obj = *ep.objects.first()?;
    let p = if ep.labels_ptr.is_empty() {
        "/metadata".to_string()
    } else {
        ep.labels_ptr.clone()
    };
    Some((obj, p))
}

pub(crate) fn names(m: &Model, members: &[u32]) -> String {
    let mut v: Vec<&str> = members
        .iter()
        .map(|e| m.endpoints[*e as usize].display.as_str())
        .collect();
    v.sort_unstable();
    crate::some_of(&v, 5)
}

pub(crate) fn real_members(m: &Model, classes: &[u32]) -> Vec<u32> {
    let mut v: Vec<u32> = classes
        .iter()
        .flat_map(|c| m.classes[*c as usize].members.iter().copied())
        .filter(|e| !m.endpoints[*e as usize].synthetic)
        .collect();
    v.sort_unstable();
    v
}

/// The Ingresses and Routes that send the ingress controller's traffic to `class`
/// (`Ingress shop/web, Route shop/api`), if any.
pub(crate) fn routed_by(m: &Model, inv: &kubeward_core::Inventory, class: u32) -> Option<String> {
    let i = m
        .ingress_routed
        .binary_search_by_key(&class, |r| r.class)
        .ok()?;
    let by: Vec<String> = m.ingress_routed[i]
        .by
        .iter()
        .map(|id| {
            let o = inv.object(*id);
            format!("{} {}", o.kind, crate::netpol::model::qualified(o))
        })
        .collect();
    Some(by.join(", "))
}

/// Namespaces with real workloads → their endpoints.
pub(crate) fn workload_namespaces(m: &Model) -> BTreeMap<u32, Vec<u32>> {
    let mut map: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (i, e) in m.workloads() {
        map.entry(e.ns).or_default().push(i);
    }
    map
}
