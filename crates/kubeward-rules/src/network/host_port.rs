//! KW-NET-003: containers bound to a port of the node (hostPort), where the active Pod Security
//! profile does not already forbid it.

use crate::support::containers::PssCover;
use kubeward_core::{Check, Emitter, Layer, Node, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NET-003",
        name: "host-port",
        layer: Layer::Network,
        severity: Severity::Medium,
        title: "Container listens on a port of the node (hostPort)",
        why: "A hostPort publishes the container on every address of its node, outside Services \
              and Ingress: it is reachable by anything that can reach the node, and some CNI \
              plugins do not apply NetworkPolicy to host-port traffic. It also pins the pod to \
              nodes where the port is free. The Pod Security baseline profile forbids host \
              ports; this rule reports them only when the active profile \
              (`--pod-security privileged`) does not.",
        fix: "Remove `hostPort` and expose the container through a Service (ClusterIP behind an \
              Ingress, or a LoadBalancer with source ranges).",
        references: &[
            ("cis", "5.2.13"),
            ("pss", "hostPorts"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Network separation and hardening",
            ),
            ("checkov", "CKV_K8S_26"),
            ("polaris", "hostPortSet"),
            ("mitre", "T1133"),
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
    if PssCover::of(ctx.settings).host_ports() {
        return;
    }
    for c in pod.containers() {
        for (i, p) in c.items("ports") {
            let Some(hp) = p.get("hostPort").and_then(Node::as_i64).filter(|n| *n != 0) else {
                continue;
            };
            let proto = p.str_at("protocol").unwrap_or("TCP");
            let ip = p
                .str_at("hostIP")
                .map(|ip| format!(" on {ip}"))
                .unwrap_or_else(|| " on every node address".into());
            out.report(
                ctx.object,
                c.ptr(&["ports", &i.to_string(), "hostPort"]),
                format!("{} publishes {hp}/{proto}{ip}", c.describe()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::{all_kinds, sorted};
    use kubeward_core::config::Settings;
    use kubeward_core::testing::{pointers, run, run_with};
    use serde_json::json;

    fn privileged() -> Settings {
        Settings {
            pod_security: "privileged".into(),
            ..Settings::default()
        }
    }

    #[test]
    fn only_where_the_profile_does_not_forbid_host_ports() {
        let spec = json!({
            "initContainers": [{"name": "i", "image": "x", "ports": [{"containerPort": 53, "hostPort": 53, "protocol": "UDP"}]}],
            "containers": [{"name": "a", "image": "x", "ports": [
                {"containerPort": 80},
                {"containerPort": 443, "hostPort": 0},
                {"containerPort": 8080, "hostPort": 8080, "hostIP": "127.0.0.1"}
            ]}],
            "ephemeralContainers": [{"name": "e", "image": "x", "ports": [{"containerPort": 9, "hostPort": 9}]}]
        });
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            let hits = run_with(&[&RULE], privileged(), &y);
            assert_eq!(
                sorted(pointers(&hits)),
                sorted(vec![
                    format!("{p}/initContainers/0/ports/0/hostPort"),
                    format!("{p}/containers/0/ports/2/hostPort"),
                    format!("{p}/ephemeralContainers/0/ports/0/hostPort"),
                ]),
                "{kind}"
            );
            // baseline and restricted report host ports through the PSS hostPorts control.
            assert!(run(&RULE, &y).is_empty(), "{kind}");
            let baseline = Settings {
                pod_security: "baseline:v1.0".into(),
                ..Settings::default()
            };
            assert!(run_with(&[&RULE], baseline, &y).is_empty(), "{kind}");
        }
    }
}
