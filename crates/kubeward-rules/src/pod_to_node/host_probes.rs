//! KW-PSS-012 (`hostProbesAndHostLifecycle`): probes and lifecycle hooks aimed at other hosts.

use super::pss::{Invalid, PssCheck, Sink, Version, q, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-012",
        name: "probe-host",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Probe or lifecycle hook sends the kubelet to another host",
        why: "HTTP and TCP probes and lifecycle hooks are executed by the kubelet, from the node, \
              not by the container. A `host` field points the kubelet at any address the node \
              can reach, the node's own localhost-only services and cloud metadata endpoints \
              included: a request forgery that anyone allowed to create pods can trigger. Pod \
              Security Standards: baseline, from v1.34 (the `host` of `httpGet` and `tcpSocket` \
              in liveness, readiness and startup probes and in postStart/preStop hooks must be \
              empty).",
        fix: "Remove `host` so probes and hooks go to the pod's own IP. To check another \
              service, do it from inside the container (an exec probe).",
        references: &[
            ("pss", "hostProbesAndHostLifecycle"),
            ("mitre", "T1090"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "hostProbesAndHostLifecycle",
    level: PssLevel::Baseline,
    versions: &[Version {
        since: 34,
        check: v1_34,
        overrides: &[],
    }],
    rule: &RULE,
};

fn v1_34(pod: &PodSpec<'_>, s: &mut Sink) {
    for c in pod.containers() {
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            let _ = handler(&c, s, &[probe], probe);
        }
        for hook in ["postStart", "preStop"] {
            let _ = handler(&c, s, &["lifecycle", hook], hook);
        }
    }
}

/// One probe or hook: `httpGet.host` and `tcpSocket.host` must be empty.
fn handler(c: &Container<'_>, s: &mut Sink, path: &[&str], what: &str) -> Result<(), Invalid> {
    let mut node = Some(c.node);
    let mut walked: Vec<&str> = Vec::with_capacity(3);
    for key in path {
        walked.push(key);
        node = s.map(node, key, || c.ptr(&walked))?;
    }
    if node.is_none() {
        return Ok(());
    }
    for action in ["httpGet", "tcpSocket"] {
        let mut tokens = walked.clone();
        tokens.push(action);
        let Ok(a) = s.map(node, action, || c.ptr(&tokens)) else {
            continue;
        };
        tokens.push("host");
        let p = || c.ptr(&tokens);
        if let Ok(Some(host)) = s.str(a, "host", p) {
            if !host.is_empty() {
                s.fail(
                    p(),
                    format!(
                        "the {what} {action} of {} targets host {} (the kubelet connects to it from the node)",
                        c.describe(),
                        q(host)
                    ),
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
    use kubeward_core::testing::pointers;

    #[test]
    fn fires_per_probe_and_hook_from_v1_34() {
        let y = pod(
            "  initContainers: [{name: i, image: x, startupProbe: {httpGet: {host: 169.254.169.254, port: 80}}}]\n  containers:\n  - name: a\n    image: x\n    livenessProbe: {httpGet: {host: '', port: 8080}}\n    readinessProbe: {tcpSocket: {host: '::1', port: 8080}}\n    lifecycle: {postStart: {httpGet: {host: example.com, port: 80}}, preStop: {tcpSocket: {host: localhost, port: 1}}}\n  ephemeralContainers: [{name: e, image: x, livenessProbe: {exec: {command: [true]}}}]\n",
        );
        let hits = at(&RULE, "baseline:v1.34", &y);
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/initContainers/0/startupProbe/httpGet/host",
                "/spec/containers/0/readinessProbe/tcpSocket/host",
                "/spec/containers/0/lifecycle/postStart/httpGet/host",
                "/spec/containers/0/lifecycle/preStop/tcpSocket/host",
            ]
        );
        assert!(hits[0].message.contains("\"169.254.169.254\""));
        assert!(at(&RULE, "baseline:v1.33", &y).is_empty());
        assert_eq!(at(&RULE, "restricted", &y).len(), 4);
    }

    #[test]
    fn quiet_without_host() {
        let y = pod(
            "  containers: [{name: a, image: x, livenessProbe: {httpGet: {path: /healthz, port: 80}}, lifecycle: {preStop: {sleep: {seconds: 5}}}}]\n",
        );
        assert!(at(&RULE, "baseline", &y).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{containers: [{name: a, image: x, readinessProbe: {httpGet: {host: 10.0.0.1, port: 80}}}]}",
        ) {
            assert_eq!(at(&RULE, "baseline", &y).len(), 1, "{kind}");
        }
    }
}
