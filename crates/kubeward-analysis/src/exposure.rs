//! Which workloads are reachable from outside the cluster: selected by a Service of type
//! LoadBalancer or NodePort (or with externalIPs), or behind an Ingress or a Gateway API
//! HTTPRoute/GRPCRoute through a Service.

use kubeward_core::tree::Node;
use kubeward_core::{Inventory, Object, ObjectId, PodSpec};
use std::collections::HashMap;

/// How a workload is exposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exposure {
    /// The Service, Ingress or route that exposes it.
    pub by: ObjectId,
    /// `Service shop/web (LoadBalancer)`, `Ingress shop/shop → Service web`.
    pub how: String,
}

/// Whether a Service's `selector` (a plain label map) selects `labels`. A Service without a
/// selector selects no pods.
pub fn service_selects(service: &Object, labels: Option<&Node>) -> bool {
    let Some(sel) = service.root.path(&["spec", "selector"]) else {
        return false;
    };
    let mut any = false;
    for (k, v) in sel.entries() {
        any = true;
        if labels.and_then(|l| l.str_at(k)) != v.as_str() {
            return false;
        }
    }
    any
}

fn external_type(svc: &Object) -> Option<String> {
    let spec = svc.root.get("spec")?;
    match spec.str_at("type") {
        Some(t @ ("LoadBalancer" | "NodePort")) => Some(t.to_string()),
        _ if spec
            .get("externalIPs")
            .is_some_and(|e| !e.items().is_empty()) =>
        {
            Some("externalIPs".into())
        }
        _ => None,
    }
}

/// Services named by an Ingress's backends (the walk the NetworkPolicy model's
/// `{ingress-controller}` source uses too).
fn ingress_services(ing: &Object) -> Vec<String> {
    crate::netpol::ingress::ingress_backends(ing)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// Services (namespace, name) named by an HTTPRoute's or GRPCRoute's backendRefs.
fn route_services(route: &Object) -> Vec<(String, String)> {
    let ns = route.namespace().unwrap_or("default");
    let mut v = Vec::new();
    for r in route
        .root
        .path(&["spec", "rules"])
        .map(Node::items)
        .unwrap_or(&[])
    {
        for b in r.get("backendRefs").map(Node::items).unwrap_or(&[]) {
            let kind = b.str_at("kind").unwrap_or("Service");
            let group = b.str_at("group").unwrap_or("");
            if kind != "Service" || !group.is_empty() {
                continue;
            }
            if let Some(n) = b.str_at("name") {
                v.push((
                    b.str_at("namespace").unwrap_or(ns).to_string(),
                    n.to_string(),
                ));
            }
        }
    }
    v
}

/// Every workload (object with a pod spec) reachable from outside, with how.
pub fn exposed_workloads(inv: &Inventory) -> HashMap<ObjectId, Vec<Exposure>> {
    // (namespace, service) → reasons it is exposed.
    let mut services: HashMap<(String, String), Vec<(ObjectId, String)>> = HashMap::new();
    for svc in inv.of_kind("Service").filter(|o| o.group().is_empty()) {
        if let Some(t) = external_type(svc) {
            services
                .entry((svc.namespace().unwrap_or("").into(), svc.name.to_string()))
                .or_default()
                .push((svc.id, format!("{} ({t})", svc.display())));
        }
    }
    for ing in inv.of_kind("Ingress") {
        let ns = ing.namespace().unwrap_or("").to_string();
        for s in ingress_services(ing) {
            services
                .entry((ns.clone(), s.clone()))
                .or_default()
                .push((ing.id, format!("{} → Service {s}", ing.display())));
        }
    }
    for kind in ["HTTPRoute", "GRPCRoute"] {
        for route in inv.of_kind(kind) {
            for (ns, s) in route_services(route) {
                services
                    .entry((ns, s.clone()))
                    .or_default()
                    .push((route.id, format!("{} → Service {s}", route.display())));
            }
        }
    }
    let mut out: HashMap<ObjectId, Vec<Exposure>> = HashMap::new();
    if services.is_empty() {
        return out;
    }
    for ((ns, name), reasons) in &services {
        let Some(svc) = inv.get("Service", Some(ns), name) else {
            continue;
        };
        // Candidates through the pod-label index (a Service selector is a plain label map,
        // so every selected pod has its first pair); the full selector is checked after.
        let Some((k, v)) = svc
            .root
            .path(&["spec", "selector"])
            .and_then(|s| s.entries().next())
            .and_then(|(k, v)| v.as_str().map(|v| (k, v)))
        else {
            continue;
        };
        for o in inv.with_pod_label(k, v) {
            if o.namespace() != Some(ns.as_str()) || o.kind == "PodTemplate" {
                continue;
            }
            let Some(pod) = PodSpec::of(o) else { continue };
            if !service_selects(svc, pod.labels()) {
                continue;
            }
            out.entry(o.id)
                .or_default()
                .extend(reasons.iter().map(|(by, how)| Exposure {
                    by: *by,
                    how: how.clone(),
                }));
        }
    }
    // One entry per exposing object, in input order (the map above iterates in no fixed
    // order, and messages list these).
    for e in out.values_mut() {
        e.sort_by_key(|x| x.by);
        e.dedup_by_key(|x| x.by);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_core::testing::load;

    #[test]
    fn load_balancer_node_port_and_ingress() {
        let l = load(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n\
             spec: {template: {metadata: {labels: {app: web, tier: front}}, spec: {containers: [{name: a, image: x}]}}}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n\
             spec: {template: {metadata: {labels: {app: api}}, spec: {containers: [{name: a, image: x}]}}}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db, namespace: shop}\n\
             spec: {template: {metadata: {labels: {app: db}}, spec: {containers: [{name: a, image: x}]}}}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {type: LoadBalancer, selector: {app: web}}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec: {selector: {app: api}}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\nspec: {selector: {app: db}}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {name: nosel, namespace: shop}\nspec: {type: NodePort}\n---\n\
             apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: shop, namespace: shop}\n\
             spec: {rules: [{http: {paths: [{path: /, backend: {service: {name: api, port: {number: 80}}}}]}}]}\n",
        );
        let inv = &l.inventory;
        let e = exposed_workloads(inv);
        let name = |id: &ObjectId| inv.object(*id).name.to_string();
        let mut names: Vec<String> = e.keys().map(name).collect();
        names.sort();
        assert_eq!(names, vec!["api", "web"]);
        let web = inv.get("Deployment", Some("shop"), "web").unwrap();
        assert_eq!(e[&web.id][0].how, "Service shop/web (LoadBalancer)");
        let api = inv.get("Deployment", Some("shop"), "api").unwrap();
        assert_eq!(e[&api.id][0].how, "Ingress shop/shop → Service api");
    }
}
