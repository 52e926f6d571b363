//! The cluster's ingress controller as a traffic source, `{ingress-controller}`.
//!
//! `Ingress` objects (networking.k8s.io/v1, and the older extensions/v1beta1 fields) and
//! OpenShift `Route`s (route.openshift.io/v1) route traffic from the ingress controller to the
//! pods behind a Service, on the Service port they name (resolved through its `targetPort`,
//! which may name a container port). The controller is one source: it reaches those pods on
//! those ports as far as the pods' ingress policies admit it.
//!
//! Where the controller runs is usually not in the input. Unless the settings say
//! (`ingress_controller: {namespace, labels}`), a policy admits it only with a peer that admits
//! every namespace or every source (`namespaceSelector: {}`, an empty `from`, an `ipBlock` of
//! a whole address family), never with a pod selector of the destination's own namespace.
//! When the settings name it, it is matched exactly as a pod with those labels in that
//! namespace.

use super::eval::Side;
use super::labels::{Labels, Sym};
use super::model::{Class, Model};
use super::policy::{Dir, PeerKind, Rule};
use super::ports::{ConnSet, Proto};
use kubeward_core::inventory::{Inventory, Object, ObjectId};
use kubeward_core::tree::Node;
use std::collections::BTreeMap;

/// How the ingress controller appears in connection lists.
pub const NAME: &str = "{ingress-controller}";

/// Where the ingress controller runs, when known (`settings.ingress_controller`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
}

/// Pods of one class that an Ingress or Route sends traffic to, and on which ports.
#[derive(Clone, Debug)]
pub struct Routed {
    pub class: u32,
    /// The ports the routes name (before policies).
    pub conns: ConnSet,
    /// The Ingresses and Routes, sorted.
    pub by: Vec<ObjectId>,
}

/// A Service port as a backend names it.
#[derive(Clone, Debug)]
pub(crate) enum PortRef {
    Number(i64),
    Name(String),
}

fn port_ref(n: Option<&Node>) -> Option<PortRef> {
    let n = n?;
    if let Some(i) = n.as_i64() {
        return Some(PortRef::Number(i));
    }
    n.as_str().map(|s| match s.parse::<i64>() {
        Ok(i) => PortRef::Number(i),
        Err(_) => PortRef::Name(s.to_string()),
    })
}

/// (Service name, Service port) pairs an Ingress sends to.
pub(crate) fn ingress_backends(ing: &Object) -> Vec<(String, Option<PortRef>)> {
    let mut v = Vec::new();
    let spec = ing.root.get("spec");
    let mut backend = |b: Option<&Node>| {
        let Some(b) = b else { return };
        if let Some(svc) = b.get("service") {
            if let Some(name) = svc.str_at("name") {
                let port = svc.get("port").and_then(|p| {
                    p.get("number")
                        .and_then(Node::as_i64)
                        .map(PortRef::Number)
                        .or_else(|| p.str_at("name").map(|s| PortRef::Name(s.to_string())))
                });
                v.push((name.to_string(), port));
            }
        } else if let Some(name) = b.str_at("serviceName") {
            v.push((name.to_string(), port_ref(b.get("servicePort"))));
        }
    };
    backend(spec.and_then(|s| s.get("defaultBackend")));
    backend(spec.and_then(|s| s.get("backend")));
    for r in spec
        .and_then(|s| s.get("rules"))
        .map(Node::items)
        .unwrap_or(&[])
    {
        for p in r.path(&["http", "paths"]).map(Node::items).unwrap_or(&[]) {
            backend(p.get("backend"));
        }
    }
    v
}

/// Services a Route sends to (`to` and `alternateBackends`), and its `port.targetPort`.
fn route_backends(route: &Object) -> Vec<(String, Option<PortRef>)> {
    let spec = route.root.get("spec");
    let port = port_ref(spec.and_then(|s| s.path(&["port", "targetPort"])));
    let mut v = Vec::new();
    let to = spec.and_then(|s| s.get("to"));
    let alt = spec
        .and_then(|s| s.get("alternateBackends"))
        .map(Node::items)
        .unwrap_or(&[]);
    for b in to.into_iter().chain(alt) {
        if b.str_at("kind").unwrap_or("Service") != "Service" {
            continue;
        }
        if let Some(n) = b.str_at("name") {
            v.push((n.to_string(), port.clone()));
        }
    }
    v
}

/// The Service's `spec.selector` as interned labels; `None` when it selects no pods (no
/// selector, or a label no pod carries).
fn service_selector(m: &Model, svc: &Object) -> Option<Vec<(Sym, Sym)>> {
    let sel = svc.root.path(&["spec", "selector"])?;
    let mut v = Vec::new();
    for (k, val) in sel.entries() {
        v.push((m.syms.get(k)?, m.syms.get(val.as_str()?)?));
    }
    (!v.is_empty()).then_some(v)
}

fn selects(sel: &[(Sym, Sym)], labels: &Labels) -> bool {
    sel.iter().all(|(k, v)| labels.get(*k) == Some(*v))
}

/// Adds to `out` the connections `port` of `svc` leads to at `class` (every Service port
/// when `port` is `None`). Route ports (`by_target`) may name the pod's port number directly.
fn service_conns(
    m: &Model,
    svc: &Object,
    port: Option<&PortRef>,
    route: bool,
    class: &Class,
    out: &mut ConnSet,
) {
    for p in svc
        .root
        .path(&["spec", "ports"])
        .map(Node::items)
        .unwrap_or(&[])
    {
        let Some(proto) = p.str_at("protocol").map_or(Some(Proto::Tcp), Proto::parse) else {
            continue;
        };
        let number = p.get("port").and_then(Node::as_i64);
        let target = port_ref(p.get("targetPort")).or(number.map(PortRef::Number));
        let resolved = match target {
            Some(PortRef::Number(n)) => u16::try_from(n).ok().filter(|n| *n > 0),
            Some(PortRef::Name(name)) => m.syms.get(&name).and_then(|s| class.named_port(s, proto)),
            None => None,
        };
        let Some(resolved) = resolved else { continue };
        let chosen = match port {
            None => true,
            Some(PortRef::Name(n)) => p.str_at("name") == Some(n.as_str()),
            // An Ingress names the Service port; a Route's number is the pod's port.
            Some(PortRef::Number(n)) if route => i64::from(resolved) == *n,
            Some(PortRef::Number(n)) => number == Some(*n),
        };
        if chosen {
            out.union_with(&ConnSet::ports(proto, resolved, resolved));
        }
    }
}

/// Every class the ingress controller is routed to, with the ports. Work is linear in the
/// backends times the classes of their namespace.
pub fn routed(inv: &Inventory, m: &Model) -> Vec<Routed> {
    let mut by_class: BTreeMap<u32, (ConnSet, Vec<ObjectId>)> = BTreeMap::new();
    let sources = inv
        .of_kind("Ingress")
        .filter(|o| matches!(o.group(), "networking.k8s.io" | "extensions"))
        .map(|o| (o, ingress_backends(o), false))
        .chain(
            inv.of_kind("Route")
                .filter(|o| o.group() == "route.openshift.io")
                .map(|o| (o, route_backends(o), true)),
        );
    for (obj, backends, route) in sources {
        let ns = obj.namespace().unwrap_or("default");
        let Some(&nsi) = m.ns_index.get(ns) else {
            continue;
        };
        for (svc_name, port) in backends {
            let Some(svc) = inv.get("Service", Some(ns), &svc_name) else {
                continue;
            };
            if !svc.group().is_empty() {
                continue;
            }
            let Some(sel) = service_selector(m, svc) else {
                continue;
            };
            for &c in &m.ns_classes[nsi as usize] {
                let class = &m.classes[c as usize];
                if class.synthetic || !selects(&sel, &class.labels) {
                    continue;
                }
                let mut conns = ConnSet::none();
                service_conns(m, svc, port.as_ref(), route, class, &mut conns);
                if conns.is_empty() {
                    continue;
                }
                let slot = by_class
                    .entry(c)
                    .or_insert_with(|| (ConnSet::none(), Vec::new()));
                slot.0.union_with(&conns);
                if !slot.1.contains(&obj.id) {
                    slot.1.push(obj.id);
                }
            }
        }
    }
    by_class
        .into_iter()
        .map(|(class, (conns, mut by))| {
            by.sort_unstable();
            Routed { class, conns, by }
        })
        .collect()
}

/// The stand-in class for a configured controller location (not one of `m.classes`).
pub fn located_class(m: &mut Model, loc: &Location) -> Class {
    let ns = m.ns(&loc.namespace);
    let pairs = loc
        .labels
        .iter()
        .map(|(k, v)| (m.syms.intern(k), m.syms.intern(v)))
        .collect();
    Class {
        ns,
        labels: Labels::from_pairs(pairs),
        ports: Vec::new(),
        ips: Vec::new(),
        host_network: false,
        members: Vec::new(),
        synthetic: true,
    }
}

/// Whether a policy rule's peers admit the ingress controller.
pub fn rule_admits(m: &Model, rule: &Rule) -> bool {
    if let Some(c) = &m.ingress_controller {
        return rule.peer_matches_class(m, c);
    }
    match &rule.peers {
        None => true,
        Some(peers) => peers.iter().any(|p| match &p.kind {
            PeerKind::Pods(s) => s.all_namespaces() && s.all_pods(),
            PeerKind::Block { set, .. } => set.is_whole_family(),
            PeerKind::Nodes(_) | PeerKind::Unknown(_) => false,
        }),
    }
}

/// Connections from the ingress controller that the policies allow, per routed class:
/// (class, allowed connections, routing objects).
pub fn allowed(m: &Model) -> Vec<(u32, ConnSet, &[ObjectId])> {
    m.ingress_routed
        .iter()
        .filter_map(|r| {
            let allowed = m
                .direction(Dir::Ingress, r.class, Side::IngressController, None)
                .intersect(&r.conns);
            (!allowed.is_empty()).then_some((r.class, allowed, r.by.as_slice()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::netpol::connections::connections;
    use crate::netpol::tests::{build, deploy};

    fn lines(yaml: &str) -> Vec<String> {
        let m = build(yaml);
        connections(&m)
            .into_iter()
            .filter(|c| c.src == super::NAME)
            .map(|c| format!("{} : {}", c.dst, c.conn))
            .collect()
    }

    fn svc(ports: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: s, namespace: a}}\nspec:\n  selector: {{app: x}}\n  ports: {ports}\n"
        )
    }

    #[test]
    fn backends_and_port_resolution() {
        let w = deploy("a", "x", "app=x", "http:8080,dns:53/UDP,9000");
        let other = deploy("a", "y", "app=y", "http:8080");
        let ports = "[{name: web, port: 80, targetPort: http}, {name: udp, port: 53, protocol: UDP, targetPort: dns}, {name: raw, port: 9000}]";
        let ing = |backend: &str| {
            format!(
                "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: i, namespace: a}}\nspec:\n  rules:\n  - http:\n      paths:\n      - {{path: /, pathType: Prefix, backend: {backend}}}\n"
            )
        };
        let base = w.clone() + &other + &svc(ports);
        // (backend, expected lines)
        let table: &[(&str, &[&str])] = &[
            (
                "{service: {name: s, port: {number: 80}}}",
                &["a/x[Deployment] : TCP 8080"],
            ),
            (
                "{service: {name: s, port: {name: raw}}}",
                &["a/x[Deployment] : TCP 9000"],
            ),
            (
                "{service: {name: s, port: {name: udp}}}",
                &["a/x[Deployment] : UDP 53"],
            ),
            ("{service: {name: s, port: {number: 81}}}", &[]),
            ("{service: {name: missing, port: {number: 80}}}", &[]),
        ];
        for (backend, want) in table {
            assert_eq!(lines(&(base.clone() + &ing(backend))), *want, "{backend}");
        }
        // Legacy fields and the default backend.
        let legacy = "---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old, namespace: a}\nspec:\n  backend: {serviceName: s, servicePort: web}\n";
        assert_eq!(
            lines(&(base.clone() + legacy)),
            ["a/x[Deployment] : TCP 8080"]
        );
        // A Service without a selector leads nowhere.
        let nosel = w.clone()
            + "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\nspec: {ports: [{port: 80}]}\n"
            + &ing("{service: {name: s, port: {number: 80}}}");
        assert!(lines(&nosel).is_empty());
    }

    #[test]
    fn routes_name_service_ports_or_pod_ports() {
        let w = deploy("a", "x", "app=x", "http:8080,9000");
        let base = w + &svc("[{name: web, port: 80, targetPort: http}, {name: raw, port: 9000}]");
        let route = |port: &str| {
            format!(
                "---\napiVersion: route.openshift.io/v1\nkind: Route\nmetadata: {{name: r, namespace: a}}\nspec:\n  to: {{kind: Service, name: s}}\n{port}"
            )
        };
        assert_eq!(
            lines(&(base.clone() + &route("  port: {targetPort: web}\n"))),
            ["a/x[Deployment] : TCP 8080"]
        );
        assert_eq!(
            lines(&(base.clone() + &route("  port: {targetPort: 8080}\n"))),
            ["a/x[Deployment] : TCP 8080"]
        );
        assert_eq!(
            lines(&(base.clone() + &route(""))),
            ["a/x[Deployment] : TCP 8080,9000"]
        );
    }

    #[test]
    fn unknown_location_needs_a_peer_admitting_every_namespace_or_source() {
        let w = deploy("a", "x", "app=x", "http:8080");
        let base = w
            + &svc("[{port: 80, targetPort: http}]")
            + "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: a}\nspec:\n  defaultBackend: {service: {name: s, port: {number: 80}}}\n";
        let pol = |ingress: &str| {
            format!(
                "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: a}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n{ingress}"
            )
        };
        // (ingress rules, admitted)
        let table: &[(&str, bool)] = &[
            ("", false),
            ("  ingress: [{}]\n", true),
            ("  ingress: [{from: []}]\n", true),
            ("  ingress: [{from: [{namespaceSelector: {}}]}]\n", true),
            (
                "  ingress: [{from: [{namespaceSelector: {}, podSelector: {}}]}]\n",
                true,
            ),
            (
                "  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]\n",
                true,
            ),
            ("  ingress: [{from: [{podSelector: {}}]}]\n", false),
            (
                "  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: lb}}}]}]\n",
                false,
            ),
            (
                "  ingress: [{from: [{namespaceSelector: {matchLabels: {team: edge}}}]}]\n",
                false,
            ),
            (
                "  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]\n",
                false,
            ),
            (
                "  ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 9999}]}]\n",
                false,
            ),
        ];
        for (rules, admitted) in table {
            let got = lines(&(base.clone() + &pol(rules)));
            assert_eq!(!got.is_empty(), *admitted, "{rules}: {got:?}");
        }
    }
}
