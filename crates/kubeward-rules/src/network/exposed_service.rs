//! KW-NET-002: Services that expose workloads outside the cluster (LoadBalancer, NodePort,
//! externalIPs), with the workloads they select.

use kubeward_core::inventory::selector_matches;
use kubeward_core::{
    Check, Emitter, Layer, Node, ObjectCtx, PodSpec, Rule, RuleMeta, Severity, Targets,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-002",
        name: "service-exposed-outside-cluster",
        layer: Layer::Network,
        severity: Severity::Info,
        title: "Service exposes workloads outside the cluster",
        why: "A LoadBalancer Service, a NodePort Service (which opens the port on every node) or \
              a Service with externalIPs makes the selected pods reachable from outside the \
              cluster, past any Ingress controller, its TLS and its authentication. That is \
              often intended; this informational finding records the exposure and the workloads \
              behind it (as related locations) so reviews and attack-path analysis can see the \
              entry points. An internal load balancer or `loadBalancerSourceRanges` narrows the \
              exposure and is named in the message. The finding is raised to high when a \
              load balancer open to any address (no source ranges, or 0.0.0.0/0) serves a \
              remote-administration or data-store port (SSH, RDP, VNC, the Docker or kubelet \
              API, etcd, databases, caches), and to medium when a node port or external IP does.",
        fix: "Keep Services ClusterIP and publish HTTP through an Ingress with TLS. Where a \
              LoadBalancer is needed, restrict `loadBalancerSourceRanges` or use an internal \
              load balancer; avoid NodePort outside development clusters.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Network separation and hardening",
            ),
            ("mitre", "T1133"),
            ("kubescape", "C-0256"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Service"]),
        run: check,
    },
};

/// Annotations that make a cloud load balancer internal.
const INTERNAL_LB: &[(&str, &str)] = &[
    ("service.beta.kubernetes.io/aws-load-balancer-internal", ""),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        "internal",
    ),
    ("networking.gke.io/load-balancer-type", "Internal"),
    ("cloud.google.com/load-balancer-type", "Internal"),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        "true",
    ),
];

/// Ports that should never face the Internet: remote administration and data stores.
const SENSITIVE_PORTS: &[(i64, &str)] = &[
    (22, "SSH"),
    (23, "Telnet"),
    (2375, "the Docker API"),
    (2376, "the Docker API"),
    (2379, "etcd"),
    (2380, "etcd peers"),
    (3306, "MySQL"),
    (3389, "RDP"),
    (5432, "PostgreSQL"),
    (5900, "VNC"),
    (6379, "Redis"),
    (9200, "Elasticsearch"),
    (10250, "the kubelet API"),
    (10255, "the kubelet read-only API"),
    (11211, "memcached"),
    (27017, "MongoDB"),
];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if o.group() != "" {
        return;
    }
    let Some(spec) = o.root.get("spec") else {
        return;
    };
    let ty = spec.str_at("type").unwrap_or("ClusterIP");
    let external_ips: Vec<&str> = spec
        .get("externalIPs")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .collect();
    // How open the exposure is: a public load balancer raises sensitive ports to high, a node
    // port or external IP (reachable where the nodes' firewall allows) to medium.
    let mut open_to_all = false;
    let (pointer, how) = match ty {
        "LoadBalancer" => {
            let internal = o.annotations().is_some_and(|a| {
                INTERNAL_LB.iter().any(|(k, v)| {
                    a.str_at(k).is_some_and(|x| {
                        if v.is_empty() {
                            x == "true" || x == "0.0.0.0/0"
                        } else {
                            x.eq_ignore_ascii_case(v)
                        }
                    })
                })
            });
            let ranges: Vec<&str> = spec
                .get("loadBalancerSourceRanges")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::as_str)
                .collect();
            let mut how = if internal {
                "an internal load balancer".to_string()
            } else {
                "a load balancer".to_string()
            };
            if !ranges.is_empty() {
                how.push_str(&format!(" open to {}", ranges.join(", ")));
            }
            open_to_all = !internal
                && (ranges.is_empty()
                    || ranges
                        .iter()
                        .any(|r| matches!(r.trim(), "0.0.0.0/0" | "::/0")));
            how.push_str(" and a port on every node");
            ("/spec/type", how)
        }
        "NodePort" => ("/spec/type", "a port on every node".to_string()),
        _ if !external_ips.is_empty() => (
            "/spec/externalIPs",
            format!("external IPs {}", external_ips.join(", ")),
        ),
        _ => return,
    };
    let ports: Vec<String> = spec
        .get("ports")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|p| {
            let port = p.get("port")?.as_i64()?;
            let proto = p.str_at("protocol").unwrap_or("TCP");
            Some(match p.get("nodePort").and_then(Node::as_i64) {
                Some(np) if ty != "ClusterIP" => format!("{port}/{proto} (node port {np})"),
                _ => format!("{port}/{proto}"),
            })
        })
        .collect();
    let sensitive: Vec<String> = spec
        .get("ports")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|p| {
            let port = p.get("port")?.as_i64()?;
            let target = p.get("targetPort").and_then(Node::as_i64);
            SENSITIVE_PORTS
                .iter()
                .find(|(n, _)| *n == port || Some(*n) == target)
                .map(|(n, what)| format!("{n} ({what})"))
        })
        .collect();
    let raised = if sensitive.is_empty() {
        None
    } else if open_to_all {
        Some((Severity::High, "to any address on the Internet"))
    } else if ty == "LoadBalancer" {
        None
    } else {
        Some((Severity::Medium, "on the nodes' addresses"))
    };
    let ports = if ports.is_empty() {
        "no ports".to_string()
    } else {
        ports.join(", ")
    };
    let selector = spec
        .get("selector")
        .filter(|s| s.as_map().is_some_and(|m| !m.is_empty()));
    let warning = raised
        .map(|(_, where_)| format!("; {} open {where_}", sensitive.join(", ")))
        .unwrap_or_default();
    let Some(selector) = selector else {
        let f = out.report(
            o,
            pointer,
            format!(
                "Service {} ({ty}) exposes {ports} through {how}; it has no selector, so its endpoints are managed by hand{warning}",
                o.name
            ),
        );
        if let Some((sev, _)) = raised {
            f.severity(sev);
        }
        return;
    };
    let label_selector = Node::from_json(&serde_json::json!({"matchLabels": selector.to_json()}));
    let mut selected: Vec<(&kubeward_core::Object, String)> = Vec::new();
    // Candidates carry the selector's first label; the full selector decides.
    let Some((k, v)) = selector
        .entries()
        .find_map(|(k, v)| v.as_str().map(|v| (k, v)))
    else {
        return;
    };
    for w in ctx.inventory.with_pod_label(k, v) {
        if w.kind == "PodTemplate" || w.namespace() != o.namespace() {
            continue;
        }
        let Some(pod) = PodSpec::of(w) else { continue };
        if selector_matches(Some(&label_selector), pod.labels()) == Some(true) {
            selected.push((w, pod.meta_ptr(&["labels"])));
        }
    }
    let names: Vec<String> = selected
        .iter()
        .map(|(w, _)| format!("{} {}", w.kind, w.name))
        .collect();
    let f = out.report(
        o,
        pointer,
        format!(
            "Service {} ({ty}) exposes {ports} through {how}, to {}{warning}",
            o.name,
            if names.is_empty() {
                "no workload in the input (its selector matches none)".to_string()
            } else {
                names.join(", ")
            }
        ),
    );
    if let Some((sev, _)) = raised {
        f.severity(sev);
    }
    for (w, p) in selected {
        f.related(w.id, p, format!("selected workload {} {}", w.kind, w.name));
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::Severity;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn svc(spec: serde_json::Value, annotations: serde_json::Value) -> String {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "s", "namespace": "team", "annotations": annotations},
               "spec": spec})
        .to_string()
    }

    fn deploy(name: &str, ns: &str, labels: serde_json::Value) -> String {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": name, "namespace": ns},
               "spec": {"template": {"metadata": {"labels": labels},
                                     "spec": {"containers": [{"name": "a", "image": "x"}]}}}})
        .to_string()
    }

    #[test]
    fn administration_ports_open_to_the_internet_are_high() {
        let public = svc(
            json!({"type": "LoadBalancer", "selector": {"app": "bastion"},
                   "ports": [{"port": 22}, {"port": 443}]}),
            json!({}),
        );
        let hits = run(&RULE, &public);
        assert_eq!(hits[0].severity, Severity::High);
        assert!(
            hits[0]
                .message
                .ends_with("; 22 (SSH) open to any address on the Internet"),
            "{}",
            hits[0].message
        );
        // 0.0.0.0/0 as a source range is no restriction.
        let wide = svc(
            json!({"type": "LoadBalancer", "loadBalancerSourceRanges": ["0.0.0.0/0"],
                   "ports": [{"port": 5432, "targetPort": 5432}]}),
            json!({}),
        );
        assert_eq!(run(&RULE, &wide)[0].severity, Severity::High);
        // A node port to a database: medium. A target port counts too.
        let np = svc(
            json!({"type": "NodePort", "selector": {"app": "db"}, "ports": [{"port": 80, "targetPort": 3306}]}),
            json!({}),
        );
        let hits = run(&RULE, &np);
        assert_eq!(hits[0].severity, Severity::Medium);
        assert!(
            hits[0]
                .message
                .contains("3306 (MySQL) open on the nodes' addresses")
        );
        // Restricted or internal load balancers, and ordinary ports, stay informational.
        for quiet in [
            svc(
                json!({"type": "LoadBalancer", "loadBalancerSourceRanges": ["203.0.113.0/24"], "ports": [{"port": 22}]}),
                json!({}),
            ),
            svc(
                json!({"type": "LoadBalancer", "ports": [{"port": 22}]}),
                json!({"networking.gke.io/load-balancer-type": "Internal"}),
            ),
            svc(
                json!({"type": "LoadBalancer", "ports": [{"port": 443}]}),
                json!({}),
            ),
        ] {
            assert_eq!(run(&RULE, &quiet)[0].severity, Severity::Info, "{quiet}");
        }
    }

    #[test]
    fn load_balancer_with_selected_workloads() {
        let y = [
            svc(
                json!({"type": "LoadBalancer", "selector": {"app": "web"},
                       "loadBalancerSourceRanges": ["203.0.113.0/24"],
                       "ports": [{"port": 443, "nodePort": 31443}]}),
                json!({}),
            ),
            deploy("web", "team", json!({"app": "web", "tier": "front"})),
            deploy("api", "team", json!({"app": "api"})),
            deploy("web", "other", json!({"app": "web"})),
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                   "metadata": {"name": "cache", "namespace": "team"},
                   "spec": {"template": {"metadata": {"labels": {"app": "web"}},
                                         "spec": {"containers": [{"name": "a", "image": "x"}]}}}})
            .to_string(),
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "debug", "namespace": "team", "labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "a", "image": "x"}]}})
            .to_string(),
            json!({"apiVersion": "v1", "kind": "PodTemplate",
                   "metadata": {"name": "tmpl", "namespace": "team"},
                   "template": {"metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "a", "image": "x"}]}}})
            .to_string(),
        ]
        .join("\n---\n");
        let hits = run(&RULE, &y);
        assert_eq!(pointers(&hits), vec!["/spec/type"]);
        assert_eq!(hits[0].severity, Severity::Info);
        let m = &hits[0].message;
        assert!(m.contains("443/TCP (node port 31443)"), "{m}");
        assert!(m.contains("open to 203.0.113.0/24"), "{m}");
        assert!(
            m.ends_with("to Deployment web, StatefulSet cache, Pod debug"),
            "{m}"
        );
    }

    #[test]
    fn node_port_external_ips_internal_and_no_selector() {
        let hits = run(
            &RULE,
            &svc(
                json!({"type": "NodePort", "ports": [{"port": 80}]}),
                json!({}),
            ),
        );
        assert!(hits[0].message.contains("no selector"));
        let hits = run(
            &RULE,
            &svc(
                json!({"externalIPs": ["198.51.100.7"], "selector": {"app": "x"}}),
                json!({}),
            ),
        );
        assert_eq!(pointers(&hits), vec!["/spec/externalIPs"]);
        assert!(hits[0].message.contains("matches none"));
        let hits = run(
            &RULE,
            &svc(
                json!({"type": "LoadBalancer", "selector": {"app": "x"}}),
                json!({"networking.gke.io/load-balancer-type": "Internal"}),
            ),
        );
        assert!(hits[0].message.contains("an internal load balancer"));
    }

    #[test]
    fn quiet_for_cluster_internal_services() {
        for spec in [
            json!({"selector": {"app": "web"}, "ports": [{"port": 80}]}),
            json!({"type": "ClusterIP", "selector": {"app": "web"}}),
            json!({"type": "ExternalName", "externalName": "db.example.com"}),
            json!({"clusterIP": "None", "selector": {"app": "web"}}),
        ] {
            assert!(
                run(&RULE, &svc(spec.clone(), json!({}))).is_empty(),
                "{spec}"
            );
        }
    }
}
