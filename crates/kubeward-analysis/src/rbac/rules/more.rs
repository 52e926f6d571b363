//! Catalogue entries KW-RBAC-037 and up (issue 11): capabilities that cover tracks, tunnel
//! into pods, mint the default identity, poison cluster DNS or destroy in bulk, and service
//! accounts nothing uses. Declared like every rule (a plain `static Rule`), with the shared explanatory text and
//! the check of the parent module.

use super::super::analysis::{Analysis, Cap};
use super::{GOOD_PRACTICES, emit_capability};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

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

pub static DEFAULT_SA_TOKEN: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-039",
        name: "default-service-account-token",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can mint tokens for the default service account",
        why: concat!(
            "create on serviceaccounts/token for `default` (not limited by resourceNames, or limited to \
     names that include default) issues tokens of the identity that every pod naming no service \
     account runs as: a credential the subject keeps after its own access is gone, carrying \
     whatever is bound to default or to the service-account groups.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Grant serviceaccounts/token only with resourceNames naming the accounts that need it, never \
     `default`; keep `default` without permissions.",
        references: &[("cis", "5.1.13"), ("mitre", "T1528"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::DefaultSaToken)),
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

pub static UNUSED_SERVICE_ACCOUNT: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-043",
        name: "unused-service-account",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Service account that no binding and no workload uses",
        why: "A ServiceAccount that no binding names and no workload of the input runs as is a stale \
     identity: nobody reviews it, yet tokens can still be issued for it, and a binding or a pod \
     added later quietly gives it power. `default` is left out (every namespace has one).",
        fix: "Delete the service account if nothing uses it, or add the workload or binding that does to \
     the scanned input.",
        references: &[
            ("mitre", "T1078"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#periodic-review",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_unused_service_account),
};

fn check_unused_service_account(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    use super::super::model::Principal;
    use std::collections::HashSet;
    let a = Analysis::of(ctx.inventory);
    let used: HashSet<(&str, &str)> = a
        .workloads
        .iter()
        .map(|w| (w.namespace.as_str(), w.service_account.as_str()))
        .chain(a.workloads.iter().flat_map(|w| {
            w.tokens
                .iter()
                .map(|t| (t.namespace.as_str(), t.service_account.as_str()))
        }))
        .collect();
    for sa in ctx.inventory.of_kind("ServiceAccount") {
        if !sa.group().is_empty() || sa.name == "default" {
            continue;
        }
        let ns = sa.namespace().unwrap_or("default");
        if used.contains(&(ns, sa.name.as_str())) {
            continue;
        }
        let p = Principal::ServiceAccount(ns.into(), sa.name.clone());
        if a.model.by_principal.contains_key(&p) {
            continue;
        }
        out.report(
            sa,
            "/metadata/name",
            format!(
                "ServiceAccount {ns}/{} is named by no binding and used by no workload in the scanned input",
                sa.name
            ),
        );
    }
}
