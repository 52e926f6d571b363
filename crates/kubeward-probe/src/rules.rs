//! The findings of `kubeward probe`, as rules so that they render through every report format
//! and are listed by `kubeward rules` / `explain`. They are produced by [`findings`] from the
//! answers, not by the scan engine (`Check::Engine`).

use crate::table::{Role, allowed_remotely, infer_role};
use crate::{Answer, Service};
use kubeward_core::{Check, Finding, Layer, Rule, RuleMeta, Severity};

const PORTS: (&str, &str) = (
    "docs",
    "https://kubernetes.io/docs/reference/networking/ports-and-protocols/",
);

pub static KUBELET_OPEN: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-301",
        name: "probe-kubelet-anonymous-access",
        layer: Layer::Nodes,
        severity: Severity::Critical,
        title: "Kubelet API answers anonymous requests (GET /pods returns 200)",
        why: "An anonymous 200 from the kubelet's `/pods` means anonymous authentication is on and \
              authorization is AlwaysAllow: anyone who reaches port 10250 lists every pod on the node \
              and can run commands in them through `/exec` and `/run`.",
        fix: "Set `authentication.anonymous.enabled: false` and `authorization.mode: Webhook` in the \
              kubelet configuration, and allow 10250 only from the control plane.",
        references: &[
            ("cis", "4.2.1"),
            ("cis", "4.2.2"),
            ("mitre", "T1609"),
            ("kube-hunter", "KHV036"),
            PORTS,
        ],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static KUBELET_ANON_AUTHN: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-302",
        name: "probe-kubelet-anonymous-authn",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "Kubelet API accepts anonymous authentication (GET /pods returns 403)",
        why: "A 403 (not 401) means the kubelet authenticated the anonymous user and only \
              authorization stopped it: one authorization mistake (a binding for system:anonymous or \
              system:unauthenticated) from full node access.",
        fix: "Set `authentication.anonymous.enabled: false` in the kubelet configuration (then /pods \
              answers 401).",
        references: &[("cis", "4.2.1"), ("kube-hunter", "KHV036"), PORTS],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static KUBELET_READ_ONLY: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-303",
        name: "probe-kubelet-read-only-port",
        layer: Layer::Nodes,
        severity: Severity::High,
        title: "Read-only kubelet port 10255 answers",
        why: "The read-only port serves `/pods` (every pod spec, environment variables included) and \
              metrics over plain HTTP with no authentication at all.",
        fix: "Set `readOnlyPort: 0` in the kubelet configuration (or `--read-only-port=0`).",
        references: &[("cis", "4.2.4"), ("kube-hunter", "KHV052"), PORTS],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static ETCD_NO_CLIENT_CERT: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-304",
        name: "probe-etcd-without-client-cert",
        layer: Layer::Nodes,
        severity: Severity::Critical,
        title: "etcd answers without a client certificate",
        why: "etcd holds every Secret of the cluster. A client or peer port that answers a client \
              without a certificate (plain HTTP, or TLS without `--client-cert-auth`) lets anyone who \
              reaches it read or write the whole cluster state.",
        fix: "Run etcd with `--client-cert-auth=true` and `--peer-client-cert-auth=true`, TLS on both \
              ports, and allow 2379-2380 only from control-plane nodes.",
        references: &[
            ("cis", "2.2"),
            ("cis", "2.5"),
            ("kube-hunter", "KHV032"),
            ("mitre", "T1552"),
            PORTS,
        ],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static API_ANONYMOUS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-305",
        name: "probe-apiserver-anonymous",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "API server answers anonymous requests to /api",
        why: "Anonymous requests that the API server answers with 200 on `/api` mean anonymous \
              authentication is on and system:unauthenticated is bound to discovery (or more): the \
              first step of an unauthenticated attack. `/version` is public by default \
              (system:public-info-viewer) and only reported with /api.",
        fix: "Start the API server with `--anonymous-auth=false` (or an AuthenticationConfiguration \
              that limits anonymous access to health endpoints), and remove bindings to \
              system:anonymous and system:unauthenticated.",
        references: &[("cis", "1.2.1"), ("kube-hunter", "KHV005"), PORTS],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static INSECURE_PORT: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-306",
        name: "probe-apiserver-insecure-port",
        layer: Layer::Nodes,
        severity: Severity::Critical,
        title: "API server insecure port 8080 answers",
        why: "The insecure port serves the whole API over plain HTTP with no authentication or \
              authorization: whoever reaches it is cluster-admin.",
        fix: "Remove `--insecure-port`/`--insecure-bind-address` (gone since Kubernetes 1.24; an \
              older API server or a `kubectl proxy` is answering) and close 8080.",
        references: &[("cis", "1.2.19"), ("kube-hunter", "KHV006"), PORTS],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static LOOPBACK_ONLY: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-307",
        name: "probe-component-port-exposed",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "Scheduler, controller-manager or kube-proxy metrics port answers from another host",
        why: "kube-scheduler (10259), kube-controller-manager (10257) and kube-proxy metrics (10249) \
              are meant for the node itself; reachable from elsewhere they expose profiling, metrics \
              and a larger attack surface of privileged components.",
        fix: "Bind them to 127.0.0.1 (`--bind-address=127.0.0.1`, kube-proxy \
              `metricsBindAddress: 127.0.0.1:10249`) or filter the ports (`--emit nftables`).",
        references: &[("cis", "1.3.7"), ("cis", "1.4.2"), PORTS],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static UNEXPECTED_PORT: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-308",
        name: "probe-unexpected-open-port",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "A Kubernetes port answers on a node whose role does not expose it",
        why: "The Ports and Protocols table lists which ports each node role exposes (control plane: \
              6443, 2379-2380, 10250; workers: 10250, 10256, NodePorts). An API server, etcd or \
              NodePort answering where the role has none is either a misplaced component or a \
              missing firewall.",
        fix: "Remove the component from the node or filter the port (`kubeward probe --emit \
              nftables` / `--emit security-group`).",
        references: &[PORTS],
        default_enabled: true,
    },
    check: Check::Engine,
};

/// The rules of this crate.
pub fn rules() -> Vec<&'static Rule> {
    vec![
        &KUBELET_OPEN,
        &KUBELET_ANON_AUTHN,
        &KUBELET_READ_ONLY,
        &ETCD_NO_CLIENT_CERT,
        &API_ANONYMOUS,
        &INSECURE_PORT,
        &LOOPBACK_ONLY,
        &UNEXPECTED_PORT,
    ]
}

fn push(out: &mut Vec<Finding>, rule: &'static Rule, a: &Answer, message: String) {
    let mut f = Finding::new(&rule.meta, None, String::new(), message);
    f.key = Some(format!("{}:{}", a.target, a.port));
    out.push(f);
}

/// Findings for the answers. `role`: the role of every target, or `None` to infer it per
/// target from what answers.
pub fn findings(answers: &[Answer], role: Option<Role>, nodeport: (u16, u16)) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut targets: Vec<&str> = answers.iter().map(|a| a.target.as_str()).collect();
    targets.dedup();
    for t in targets {
        let mine: Vec<&Answer> = answers.iter().filter(|a| a.target == t).collect();
        let role = role.unwrap_or_else(|| infer_role(&mine));
        let mut nodeports = Vec::new();
        for a in &mine {
            if !a.is_open() {
                continue;
            }
            let at = format!("{}:{}", a.target, a.port);
            match a.service {
                Service::Kubelet => match a.status("/pods") {
                    Some(200) => push(
                        &mut out,
                        &KUBELET_OPEN,
                        a,
                        format!("{at}: GET /pods without credentials returned 200"),
                    ),
                    Some(403) => push(
                        &mut out,
                        &KUBELET_ANON_AUTHN,
                        a,
                        format!(
                            "{at}: GET /pods without credentials returned 403 (anonymous authenticated, then denied)"
                        ),
                    ),
                    _ => {}
                },
                Service::KubeletReadOnly => push(
                    &mut out,
                    &KUBELET_READ_ONLY,
                    a,
                    match a.status("/pods") {
                        Some(s) => format!("{at}: GET /pods over plain HTTP returned {s}"),
                        None => format!("{at}: the port accepts connections"),
                    },
                ),
                Service::Etcd | Service::EtcdPeer => {
                    if a.state == "http" || a.state == "https" {
                        let how = if a.state == "http" {
                            "over plain HTTP"
                        } else {
                            "over TLS without a client certificate"
                        };
                        push(
                            &mut out,
                            &ETCD_NO_CLIENT_CERT,
                            a,
                            format!(
                                "{at} ({}): GET /version {how} returned {}",
                                a.service.name(),
                                a.status("/version").unwrap_or(0)
                            ),
                        );
                    }
                }
                Service::ApiServer => {
                    if a.status("/api") == Some(200) {
                        push(
                            &mut out,
                            &API_ANONYMOUS,
                            a,
                            format!(
                                "{at}: GET /api without credentials returned 200 (/version: {})",
                                a.status("/version")
                                    .map_or("-".to_string(), |s| s.to_string())
                            ),
                        );
                    }
                }
                Service::InsecureApiServer => {
                    if a.state == "http" {
                        push(
                            &mut out,
                            &INSECURE_PORT,
                            a,
                            format!(
                                "{at}: GET /api over plain HTTP returned {}",
                                a.status("/api").unwrap_or(0)
                            ),
                        );
                    }
                }
                Service::Scheduler | Service::ControllerManager | Service::KubeProxyMetrics => {
                    push(
                        &mut out,
                        &LOOPBACK_ONLY,
                        a,
                        format!(
                            "{at}: {} answers ({}); it should listen on 127.0.0.1 only",
                            a.service.name(),
                            a.state
                        ),
                    );
                }
                Service::NodePort => nodeports.push(a.port),
                Service::KubeProxyHealth => {}
            }
            // The table is about the service, wherever a port map put it.
            if let Some(p) = a.service.default_port().filter(|_| {
                !matches!(
                    a.service,
                    Service::Scheduler
                        | Service::ControllerManager
                        | Service::KubeProxyMetrics
                        | Service::KubeletReadOnly
                        | Service::InsecureApiServer
                )
            }) && !allowed_remotely(role, p, nodeport)
            {
                push(
                    &mut out,
                    &UNEXPECTED_PORT,
                    a,
                    format!(
                        "{at}: {} answers, but the {} role exposes no such port",
                        a.service.name(),
                        role.name()
                    ),
                );
            }
        }
        if !nodeports.is_empty() && role == Role::ControlPlane {
            let first = mine
                .iter()
                .find(|a| a.service == Service::NodePort && a.is_open())
                .expect("one open");
            let shown: Vec<String> = nodeports.iter().take(10).map(|p| p.to_string()).collect();
            push(
                &mut out,
                &UNEXPECTED_PORT,
                first,
                format!(
                    "{t}: {} NodePort(s) answer on a control-plane node ({}{})",
                    nodeports.len(),
                    shown.join(", "),
                    if nodeports.len() > 10 { ", ..." } else { "" }
                ),
            );
        }
    }
    out
}
