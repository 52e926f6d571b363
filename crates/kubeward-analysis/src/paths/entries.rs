//! Entry points: the Internet (LoadBalancer / NodePort / externalIPs Services, Ingress and
//! Gateway routes, hostNetwork ports), any pod of the cluster (under the NetworkPolicy model),
//! and a compromised node.

use super::Ctx;
use super::graph::{Reason, Vertex};
use crate::netpol::exposure::ingress_openers;
use kubeward_core::PodSpec;

pub(super) fn add(cx: &mut Ctx<'_>) {
    let inv = cx.inv;
    let rbac = cx.rbac.clone();
    for w in &rbac.workloads {
        let obj = inv.object(w.object);
        let name = obj.display();
        let Some(pod) = PodSpec::of(obj) else {
            continue;
        };
        let class = cx.class_of.get(&w.object).copied();
        // None: nothing isolates it; Some(list): these rules admit the outside / everyone.
        let openers = class.and_then(|c| ingress_openers(&cx.netpol, c));
        let labels_ptr = pod.meta_ptr(&["labels"]);
        let open_step = |cx: &mut Ctx<'_>, outside: bool| -> Option<u32> {
            match &openers {
                None => Some(cx.g.step(
                    format!("no-netpol:{}", w.object.0),
                    || format!("no NetworkPolicy isolates {name} for ingress"),
                    || {
                        format!(
                            "select {name} with a NetworkPolicy that admits only its real clients"
                        )
                    },
                    vec![Reason {
                        rule: "KW-NET-104",
                        object: w.object,
                        pointer: labels_ptr.clone(),
                    }],
                )),
                Some(list) => {
                    let reasons: Vec<Reason> = list
                        .iter()
                        .filter(|o| if outside { o.outside } else { o.entire_cluster })
                        .map(|o| Reason {
                            rule: if outside { "KW-NET-112" } else { "KW-NET-111" },
                            object: o.policy,
                            pointer: o.pointer.clone(),
                        })
                        .collect();
                    if reasons.is_empty() {
                        return None;
                    }
                    let key = format!(
                        "netpol-{}:{}",
                        if outside { "outside" } else { "cluster" },
                        w.object.0
                    );
                    Some(cx.g.step(
                        key,
                        || {
                            format!(
                                "a NetworkPolicy rule admits {} to {name}",
                                if outside {
                                    "addresses outside the cluster"
                                } else {
                                    "every pod of every namespace"
                                }
                            )
                        },
                        || "narrow the rule's `from` to the real clients".to_string(),
                        reasons,
                    ))
                }
            }
        };
        // Internet.
        if let Some(exp) = rbac.exposed.get(&w.object) {
            let reasons: Vec<Reason> = exp
                .iter()
                .map(|e| {
                    let by = inv.object(e.by);
                    let pointer = if by.kind == "Service" {
                        if by.root.path(&["spec", "type"]).is_some() {
                            "/spec/type".to_string()
                        } else {
                            "/spec/externalIPs".to_string()
                        }
                    } else {
                        "/spec".to_string()
                    };
                    Reason {
                        rule: "KW-NET-002",
                        object: e.by,
                        pointer,
                    }
                })
                .collect();
            let hows: Vec<&str> = exp.iter().map(|e| e.how.as_str()).collect();
            let text = format!(
                "{name} is exposed outside the cluster by {}",
                crate::some_of(&hows, 3)
            );
            let exposed = cx.g.step(
                format!("exposed:{}", w.object.0),
                || text,
                || "serve it through a ClusterIP Service only, or put it behind an authenticating proxy".into(),
                reasons,
            );
            if let Some(open) = open_step(cx, true) {
                cx.g.edge(
                    Vertex::Internet,
                    Vertex::Foothold(w.object),
                    vec![exposed, open],
                );
            }
        }
        // hostNetwork pods listen on the node's addresses; NetworkPolicy does not apply.
        let host_network = pod.spec.bool_at("hostNetwork") == Some(true);
        let ports = pod.containers().any(|c| c.items("ports").next().is_some());
        if host_network && ports {
            let s = cx.g.step(
                format!("host-network:{}", w.object.0),
                || format!("{name} listens on the node's own network (hostNetwork), where NetworkPolicy does not apply"),
                || "remove hostNetwork: true and expose the port through a Service".into(),
                vec![Reason {
                    rule: "KW-PSS-002",
                    object: w.object,
                    pointer: pod.ptr(&["hostNetwork"]),
                }],
            );
            cx.g.edge(Vertex::Internet, Vertex::Foothold(w.object), vec![s]);
        }
        // Any pod.
        if !host_network {
            if let Some(open) = open_step(cx, false) {
                cx.g.edge(Vertex::AnyPod, Vertex::Foothold(w.object), vec![open]);
            }
        }
    }
}

/// A compromised node: root on every node vertex the graph has.
pub(super) fn add_nodes(cx: &mut Ctx<'_>) {
    let nodes: Vec<Vertex> =
        cx.g.vertices
            .iter()
            .filter(|v| matches!(v, Vertex::NodeRoot(_)))
            .cloned()
            .collect();
    for n in nodes {
        let s = cx.g.step(
            "assumed:compromised-node".into(),
            || "the attacker holds root on a node (assumed)".into(),
            String::new,
            Vec::new(),
        );
        cx.g.edge(Vertex::CompromisedNode, n, vec![s]);
    }
}
