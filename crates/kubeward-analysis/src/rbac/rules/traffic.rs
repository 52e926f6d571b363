//! Capabilities that redirect traffic: KW-RBAC-021, 022 and 025.

use super::GOOD_PRACTICES;
use super::common::emit_capability;
use crate::rbac::analysis::Cap;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Severity};

pub static POD_STATUS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-021",
        name: "modify-pod-status",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Subject can change pod status",
        why: concat!(
            "update or patch on pods/status can change a pod's reported IP and conditions, so Services \
             and endpoint controllers send another workload's traffic to it.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep pods/status writes with kubelets and controllers.",
        references: &[GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::PodStatus)),
};

pub static SERVICE_STATUS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-022",
        name: "modify-service-status",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can change service status (CVE-2020-8554)",
        why: concat!(
            "Setting `status.loadBalancer.ingress[].ip` of a LoadBalancer Service makes kube-proxy send \
             cluster traffic for that IP to the subject's pods: a man-in-the-middle for any address \
             (CVE-2020-8554).",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep services/status writes with the cloud controller; block external IPs with an \
              admission policy.",
        references: &[
            (
                "docs",
                "https://github.com/kubernetes/kubernetes/issues/97076",
            ),
            ("mitre", "T1557"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::ServiceStatus)),
};

pub static NETWORK: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-025",
        name: "network-exposure-control",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can change network exposure or NetworkPolicies",
        why: concat!(
            "Write access to NetworkPolicies, Services, Endpoints/EndpointSlices, Ingresses or Gateway \
             API routes can open traffic that policy blocks, expose workloads outside the cluster, or \
             redirect a Service to another backend.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep network objects with the teams and pipelines that own them; review NetworkPolicy \
              changes.",
        references: &[("mitre", "T1599"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Network)),
};
