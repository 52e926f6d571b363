//! KW-PSS-006 (`hostPorts`): containers binding ports of the node.

use super::pss::{Invalid, PssCheck, Sink, Version, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-006",
        name: "host-port",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Container binds a port on the node (hostPort)",
        why: "A hostPort opens the port on the node's own addresses: the workload becomes \
              reachable from wherever the node is, around Services and often around \
              NetworkPolicy, and the pod can shadow node services on that port. It also pins \
              scheduling to nodes where the port is free. Pod Security Standards: baseline, every \
              version (hostPort must be unset or 0).",
        fix: "Remove `hostPort` from the container's ports and expose the workload through a \
              Service (ClusterIP, or a LoadBalancer/Ingress for outside traffic).",
        references: &[
            ("pss", "hostPorts"),
            ("cis", "5.2.13"),
            ("checkov", "CKV_K8S_26"),
            ("kubescape", "C-0044"),
            ("mitre", "T1133"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "hostPorts",
    level: PssLevel::Baseline,
    versions: &[Version {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
    rule: &RULE,
};

/// Containers' `ports[*].hostPort` must be unset or 0.
fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    for c in pod.containers() {
        let _ = container(&c, s);
    }
}

fn container(c: &Container<'_>, s: &mut Sink) -> Result<(), Invalid> {
    let ports = s.seq(Some(c.node), "ports", || c.ptr(&["ports"]))?;
    for (i, port) in ports.iter().enumerate() {
        let idx = i.to_string();
        let p = || c.ptr(&["ports", &idx, "hostPort"]);
        if let Ok(Some(hp)) = s.int(Some(port), "hostPort", p) {
            if hp != 0 {
                s.fail(
                    p(),
                    format!("{} binds port {hp} on the node (`hostPort`)", c.describe()),
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn fires_per_host_port() {
        let hits = run(
            &RULE,
            &pod(
                "  initContainers: [{name: i, image: x, ports: [{containerPort: 1, hostPort: 0}]}]\n  containers: [{name: a, image: x, ports: [{containerPort: 80}, {containerPort: 443, hostPort: 8443}]}]\n  ephemeralContainers: [{name: e, image: x, ports: [{containerPort: 9, hostPort: 9}]}]\n",
            ),
        );
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/containers/0/ports/1/hostPort",
                "/spec/ephemeralContainers/0/ports/0/hostPort"
            ]
        );
        assert!(hits[0].message.contains("port 8443"));
    }

    #[test]
    fn quiet_without_host_ports() {
        assert!(run(&RULE, &pod("  containers: [{name: a, image: x, ports: [{containerPort: 80, hostPort: 0}]}]\n")).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{containers: [{name: a, image: x, ports: [{containerPort: 80, hostPort: 80}]}]}",
        ) {
            assert_eq!(at(&RULE, "baseline:v1.0", &y).len(), 1, "{kind}");
        }
    }

    #[test]
    fn not_at_privileged_level() {
        let y = pod(
            "  containers: [{name: a, image: x, ports: [{containerPort: 80, hostPort: 80}]}]\n",
        );
        assert!(at(&RULE, "privileged", &y).is_empty());
    }
}
