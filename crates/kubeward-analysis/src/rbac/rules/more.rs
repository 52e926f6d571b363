//! Catalogue entries KW-RBAC-037 and up (issue 11): capabilities that cover tracks, tunnel
//! into pods, mint the default identity, poison cluster DNS or destroy in bulk, and service
//! accounts nothing uses. Declared with the macros of the parent module.

use super::super::analysis::{Analysis, Cap};
use super::{GOOD_PRACTICES, emit_capability};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

cap_rule!(
    DELETE_EVENTS,
    "KW-RBAC-037",
    "delete-events",
    Medium,
    Cap::DeleteEvents,
    "Subject can delete events",
    "delete or deletecollection on events (core or events.k8s.io) erases the record of what \
     happened in a namespace: pods created and killed, images pulled, probes failed, evictions. \
     Events are often the only trace kept outside an audit log, so an intruder deletes them to \
     cover its tracks.",
    "Let events expire with the API server's TTL. Controllers need create and patch on events, \
     never delete; ship events to an external store if they matter.",
    [("mitre", "T1070"), GOOD_PRACTICES]
);

cap_rule!(
    PORT_FORWARD,
    "KW-RBAC-038",
    "port-forward",
    Medium,
    Cap::PortForward,
    "Subject can port-forward into pods",
    "create on pods/portforward opens a tunnel from the subject's machine to any port of any pod \
     in scope, past NetworkPolicies, Services and ingress authentication: databases, admin \
     consoles and debug endpoints that only listen inside the cluster. Before Kubernetes 1.31 \
     (or with AuthorizePodWebsocketUpgradeCreatePermission off), `get` was enough through a \
     websocket.",
    "Remove pods/portforward from standing roles; grant it temporarily to named people for \
     debugging, and audit its use.",
    [("mitre", "T1572"), GOOD_PRACTICES]
);

cap_rule!(
    DEFAULT_SA_TOKEN,
    "KW-RBAC-039",
    "default-service-account-token",
    Medium,
    Cap::DefaultSaToken,
    "Subject can mint tokens for the default service account",
    "create on serviceaccounts/token for `default` (not limited by resourceNames, or limited to \
     names that include default) issues tokens of the identity that every pod naming no service \
     account runs as: a credential the subject keeps after its own access is gone, carrying \
     whatever is bound to default or to the service-account groups.",
    "Grant serviceaccounts/token only with resourceNames naming the accounts that need it, never \
     `default`; keep `default` without permissions.",
    [("cis", "5.1.13"), ("mitre", "T1528"), GOOD_PRACTICES]
);

cap_rule!(
    COREDNS_CONFIG,
    "KW-RBAC-040",
    "coredns-config-write",
    High,
    Cap::CoreDns,
    "Subject can change or delete the CoreDNS ConfigMap (DNS poisoning)",
    "update, patch or delete on ConfigMap kube-system/coredns rewrites cluster DNS: a `rewrite` \
     or `hosts` entry in the Corefile sends any Service or external name to an address the \
     subject chooses (a man-in-the-middle for in-cluster traffic), and deleting it breaks name \
     resolution for every pod. A grant on configmaps in kube-system reaches it unless its \
     resourceNames leave coredns out.",
    "Keep the CoreDNS ConfigMap with cluster administrators and the DNS add-on's manager; limit \
     other kube-system ConfigMap grants with resourceNames that do not include coredns.",
    [("mitre", "T1557"), GOOD_PRACTICES]
);

cap_rule!(
    DELETE_NODES,
    "KW-RBAC-041",
    "delete-nodes",
    Medium,
    Cap::DeleteNodes,
    "Subject can delete nodes",
    "delete on nodes removes Node objects: their pods are evicted and rescheduled elsewhere \
     (possibly onto a node the subject controls) and the cluster loses that capacity at once; \
     deleting every node stops every workload.",
    "Keep node deletion with cluster administrators and the cluster autoscaler or node \
     lifecycle controller.",
    [("mitre", "T1489"), GOOD_PRACTICES]
);

cap_rule!(
    DELETECOLLECTION_WORKLOADS,
    "KW-RBAC-042",
    "deletecollection-workloads",
    Medium,
    Cap::DeleteCollection,
    "Subject can delete every pod or workload of a kind at once",
    "deletecollection on pods, Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs or \
     CronJobs removes all of them in scope with one request: an outage (or a way to wipe what \
     an intruder ran) that resourceNames cannot limit, since the request names no object.",
    "Drop deletecollection from roles that do not clean up in bulk; delete workloads one by one \
     through a reviewed pipeline.",
    [("mitre", "T1485"), ("mitre", "T1489"), GOOD_PRACTICES]
);

rule!(
    UNUSED_SERVICE_ACCOUNT,
    "KW-RBAC-043",
    "unused-service-account",
    Low,
    "Service account that no binding and no workload uses",
    "A ServiceAccount that no binding names and no workload of the input runs as is a stale \
     identity: nobody reviews it, yet tokens can still be issued for it, and a binding or a pod \
     added later quietly gives it power. `default` is left out (every namespace has one).",
    "Delete the service account if nothing uses it, or add the workload or binding that does to \
     the scanned input.",
    [
        ("mitre", "T1078"),
        (
            "docs",
            "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#periodic-review"
        )
    ],
    check_unused_service_account
);

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
