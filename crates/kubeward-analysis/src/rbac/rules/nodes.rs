//! Capabilities over nodes and their storage: KW-RBAC-009, 017, 020 and 041.

use super::GOOD_PRACTICES;
use super::common::emit_capability;
use crate::rbac::analysis::Cap;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Severity};

pub static NODES_PROXY: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-009",
        name: "nodes-proxy",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject can reach the kubelet API through nodes/proxy",
        why: concat!(
            "nodes/proxy forwards requests to the kubelet, whose API runs commands in every pod on the \
             node, outside API-server audit and admission. `get` alone is enough: the kubelet authorizes \
             its websocket exec endpoint as a get. Monitoring agents are often given this for metrics.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Grant nodes/metrics or nodes/stats for metrics, never nodes/proxy. If a tool needs the \
              kubelet API, give it a dedicated identity and review it.",
        references: &[("cis", "5.1.10"), ("mitre", "T1609"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::NodesProxy)),
};

pub static CREATE_PV: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-017",
        name: "create-persistent-volumes",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can create persistent volumes",
        why: concat!(
            "A PersistentVolume can be a hostPath; a pod that claims it reads and writes the node's \
             filesystem, even where Pod Security forbids hostPath volumes in pods.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Leave PersistentVolume creation to storage provisioners; users create PersistentVolumeClaims \
              against StorageClasses.",
        references: &[("cis", "5.1.9"), ("mitre", "T1611"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::CreatePv)),
};

pub static NODE_STATUS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-020",
        name: "modify-node-status",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Subject can change node status",
        why: concat!(
            "update or patch on nodes/status can change what the scheduler believes about a node and \
             attract pods to it through node affinity.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep nodes/status writes with kubelets (which the Node authorizer already covers).",
        references: &[GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::NodeStatus)),
};

pub static DELETE_NODES: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-041",
        name: "delete-nodes",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can delete nodes",
        why: concat!(
            "delete on nodes removes Node objects: their pods are evicted and rescheduled elsewhere \
             (possibly onto a node the subject controls) and the cluster loses that capacity at once; \
             deleting every node stops every workload.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep node deletion with cluster administrators and the cluster autoscaler or node \
              lifecycle controller.",
        references: &[("mitre", "T1489"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::DeleteNodes)),
};
