//! Capabilities over workloads and pods: KW-RBAC-005 to 008, 019, 032, 038 and 042.

use super::GOOD_PRACTICES;
use super::common::emit_capability;
use crate::rbac::analysis::Cap;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Severity};

pub static CREATE_WORKLOADS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-005",
        name: "create-workloads",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can create pods or pod controllers",
        why: concat!(
            "Creating a pod (directly or through a Deployment, DaemonSet, StatefulSet, ReplicaSet, \
             ReplicationController, Job or CronJob) lets the subject run it as any service account of the \
             namespace, mount any secret, ConfigMap or volume there, and, unless admission stops it, run \
             a privileged pod on a node.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Limit workload creation to deployment pipelines, enforce Pod Security Admission (restricted) \
              in the namespace, and keep powerful service accounts out of namespaces where others can \
              create pods.",
        references: &[
            ("cis", "5.1.4"),
            ("kubescape", "C-0188"),
            ("mitre", "T1610"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::CreateWorkloads)),
};

pub static MODIFY_PODS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-006",
        name: "modify-pods",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can update running pods",
        why: concat!(
            "update or patch on pods can swap the image of a running container, so the subject runs its \
             code with that pod's service account, volumes and network position.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Drop update/patch on pods; change workloads through their controllers in a reviewed \
              pipeline.",
        references: &[("mitre", "T1525"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::ModifyPods)),
};

pub static EXEC: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-007",
        name: "exec-into-pods",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can exec into or attach to pods",
        why: concat!(
            "create on pods/exec or pods/attach runs commands in existing containers, which hands the \
             subject every token, secret and file those pods hold. Before Kubernetes 1.31 (or with \
             AuthorizePodWebsocketUpgradeCreatePermission off), `get` on pods/exec was enough through a \
             websocket.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Remove exec and attach from standing roles; grant them temporarily to named people for \
              debugging, and audit their use.",
        references: &[("kubescape", "C-0002"), ("mitre", "T1609"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Exec)),
};

pub static EPHEMERAL: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-008",
        name: "ephemeral-containers",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can add ephemeral containers to running pods",
        why: concat!(
            "update or patch on pods/ephemeralcontainers adds a debug container to a running pod, with \
             the pod's service account and volumes, and it can ask for privileges the pod's other \
             containers do not have.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Grant pods/ephemeralcontainers only to on-call debugging roles, and enforce Pod Security \
              Admission so added containers cannot be privileged.",
        references: &[("mitre", "T1609"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Ephemeral)),
};

pub static STEAL_PODS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-019",
        name: "steal-pods",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can evict pods and change nodes",
        why: concat!(
            "Deleting or evicting pods while cordoning or tainting nodes moves workloads, including \
             powerful ones, onto a node the subject controls, where their tokens and secrets can be \
             taken.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep node updates with node-lifecycle controllers and administrators.",
        references: &[("mitre", "T1078"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::StealPods)),
};

pub static CREATE_WITHOUT_QUOTA: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-032",
        name: "object-creation-without-quota",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Subject can create objects in a namespace without a ResourceQuota",
        why: concat!(
            "Creating many or large objects (ConfigMaps, Secrets, pods) can exhaust etcd and the API \
             server. A ResourceQuota with object counts bounds what one subject can do in a namespace; \
             cluster-scoped objects have no quota at all.",
            severity_note!()
        ),
        fix: "Add a ResourceQuota with `count/...` limits to namespaces where others can create objects.",
        references: &[GOOD_PRACTICES],
        default_enabled: false,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::CreateObjects)),
};

pub static PORT_FORWARD: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-038",
        name: "port-forward",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can port-forward into pods",
        why: concat!(
            "create on pods/portforward opens a tunnel from the subject's machine to any port of any pod \
             in scope, past NetworkPolicies, Services and ingress authentication: databases, admin \
             consoles and debug endpoints that only listen inside the cluster. Before Kubernetes 1.31 \
             (or with AuthorizePodWebsocketUpgradeCreatePermission off), `get` was enough through a \
             websocket.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Remove pods/portforward from standing roles; grant it temporarily to named people for \
              debugging, and audit its use.",
        references: &[("mitre", "T1572"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::PortForward)),
};

pub static DELETECOLLECTION_WORKLOADS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-042",
        name: "deletecollection-workloads",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can delete every pod or workload of a kind at once",
        why: concat!(
            "deletecollection on pods, Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs or \
             CronJobs removes all of them in scope with one request: an outage (or a way to wipe what \
             an intruder ran) that resourceNames cannot limit, since the request names no object.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Drop deletecollection from roles that do not clean up in bulk; delete workloads one by one \
              through a reviewed pipeline.",
        references: &[("mitre", "T1485"), ("mitre", "T1489"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::DeleteCollection)),
};
