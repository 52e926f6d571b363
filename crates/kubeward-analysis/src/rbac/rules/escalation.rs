//! RBAC and identity escalation: KW-RBAC-010 (escalate), 011 (bind), 012 (impersonate),
//! 013 (approve CSRs).

use super::GOOD_PRACTICES;
use super::common::emit_capability;
use crate::rbac::analysis::Cap;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Severity};

pub static ESCALATE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-010",
        name: "escalate-verb",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject can write roles with permissions it does not hold (escalate)",
        why: concat!(
            "The `escalate` verb on roles or clusterroles switches off the check that stops a subject \
             from granting permissions it does not have itself; with write access to a role it is bound \
             to, it can give itself anything.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Remove `escalate` (and `*` verbs) on roles and clusterroles from every subject but cluster \
              administrators.",
        references: &[
            ("cis", "5.1.8"),
            ("checkov", "CKV_K8S_158"),
            ("mitre", "T1098"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Escalate)),
};

pub static BIND: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-011",
        name: "bind-verb",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject can bind roles it does not hold (bind and write bindings)",
        why: concat!(
            "With `bind` on a role (checked against the role named in the binding, in the binding's \
             namespace) and create/update on (cluster)rolebindings, a subject can bind itself to a more \
             powerful role, up to cluster-admin.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Remove `bind` from standing roles, or limit it with resourceNames to the roles the subject \
              may hand out; keep write access to bindings with cluster administrators.",
        references: &[
            ("cis", "5.1.8"),
            ("checkov", "CKV_K8S_157"),
            ("mitre", "T1098"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Bind)),
};

pub static IMPERSONATE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-012",
        name: "impersonate",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject can impersonate other identities",
        why: concat!(
            "`impersonate` on users, groups, service accounts or uids lets the subject act as them; \
             impersonating the group system:masters is all power in the cluster, and impersonating a \
             service account gives its permissions.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Remove impersonate from every subject that is not an authenticating proxy, and limit \
              proxies with resourceNames.",
        references: &[
            ("cis", "5.1.8"),
            ("kubescape", "C-0065"),
            ("mitre", "T1078"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::Impersonate)),
};

pub static APPROVE_CSR: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-013",
        name: "approve-client-certificates",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject can create and approve API client certificates",
        why: concat!(
            "Creating a CertificateSigningRequest, updating its approval and approving the \
             kubernetes.io/kube-apiserver-client signer lets the subject mint a client certificate for \
             any user and group, system:masters included, valid until it expires and impossible to \
             revoke.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Keep CSR approval for the kube-apiserver-client signer with cluster administrators; \
              automated approvers should approve only their own signer names.",
        references: &[
            ("cis", "5.1.11"),
            ("checkov", "CKV_K8S_156"),
            ("mitre", "T1649"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::ApproveCsr)),
};
