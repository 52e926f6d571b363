//! Capabilities over cluster-wide configuration: KW-RBAC-016, 018, 023, 026, 037 and 040.

use super::GOOD_PRACTICES;
use super::common::emit_capability;
use crate::rbac::analysis::Cap;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Severity};

pub static ADMISSION: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-016",
        name: "admission-control",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can change admission webhooks or policies",
        why: concat!(
            "A validating or mutating webhook sees every object it matches (secrets included), and a \
             mutating one can change pods as they are created; deleting a webhook or admission policy \
             switches off the checks a policy engine enforces.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep admissionregistration.k8s.io write access with cluster administrators and the policy \
              engine's own controller.",
        references: &[
            ("cis", "5.1.12"),
            ("checkov", "CKV_K8S_155"),
            ("mitre", "T1562"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Admission)),
};

pub static MODIFY_NAMESPACES: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-018",
        name: "modify-namespaces",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can relabel namespaces",
        why: concat!(
            "patch or update on namespaces changes their labels: `pod-security.kubernetes.io/enforce: \
             privileged` switches off Pod Security Admission there, and new labels make NetworkPolicy \
             namespaceSelectors match the namespace and let its traffic in. A RoleBinding is enough for \
             the binding's own namespace, because a request for a Namespace carries its own name as its \
             namespace.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Do not grant patch/update on namespaces (not even through a RoleBinding); manage namespace \
              labels from a reviewed pipeline, and pin Pod Security labels with a policy engine.",
        references: &[("mitre", "T1562"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::ModifyNamespaces)),
};

pub static KUBE_SYSTEM_CONFIGMAPS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-023",
        name: "kube-system-configmaps",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can write ConfigMaps in kube-system",
        why: concat!(
            "kube-system ConfigMaps configure the cluster: on EKS `aws-auth` maps IAM identities to \
             Kubernetes users and groups (system:masters included), so writing it is a path to \
             cluster-admin and the finding is critical when the input shows EKS (the API server's \
             version, EKS nodes, or the aws-auth ConfigMap itself) and the grant reaches aws-auth; \
             elsewhere they hold kube-proxy, CoreDNS and kubeadm configuration.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Remove write access to kube-system ConfigMaps, or limit it with resourceNames to a \
              ConfigMap that configures nothing sensitive.",
        references: &[("mitre", "T1098"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::KubeSystemConfigmaps)),
};

pub static EXTENSIONS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-026",
        name: "cluster-extensions-control",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can change CRDs, API services or policy engines",
        why: concat!(
            "CustomResourceDefinitions and APIServices change the API itself (an APIService sends a \
             whole API group to a service the subject chooses), and Kyverno or Gatekeeper policies \
             decide what admission lets through.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep these with cluster administrators and the owning operators.",
        references: &[("mitre", "T1562"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Extensions)),
};

pub static DELETE_EVENTS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-037",
        name: "delete-events",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can delete events",
        why: concat!(
            "delete or deletecollection on events (core or events.k8s.io) erases the record of what \
             happened in a namespace: pods created and killed, images pulled, probes failed, evictions. \
             Events are often the only trace kept outside an audit log, so an intruder deletes them to \
             cover its tracks.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Let events expire with the API server's TTL. Controllers need create and patch on events, \
              never delete; ship events to an external store if they matter.",
        references: &[("mitre", "T1070"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::DeleteEvents)),
};

pub static COREDNS_CONFIG: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-040",
        name: "coredns-config-write",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Subject can change or delete the CoreDNS ConfigMap (DNS poisoning)",
        why: concat!(
            "update, patch or delete on ConfigMap kube-system/coredns rewrites cluster DNS: a `rewrite` \
             or `hosts` entry in the Corefile sends any Service or external name to an address the \
             subject chooses (a man-in-the-middle for in-cluster traffic), and deleting it breaks name \
             resolution for every pod. A grant on configmaps in kube-system reaches it unless its \
             resourceNames leave coredns out.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep the CoreDNS ConfigMap with cluster administrators and the DNS add-on's manager; limit \
              other kube-system ConfigMap grants with resourceNames that do not include coredns.",
        references: &[("mitre", "T1557"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::CoreDns)),
};
