//! Table tests: every rule fires on a case it must catch and stays quiet on a near miss.

use super::*;
use kubeward_core::config::Settings;
use kubeward_core::testing::{Hit, pointers, run, run_with};
use kubeward_core::{Rule, Severity};

fn cr(name: &str, rules: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: {name}}}\nrules: {rules}\n---\n"
    )
}
fn role(ns: &str, name: &str, rules: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: {name}, namespace: {ns}}}\nrules: {rules}\n---\n"
    )
}
fn crb(name: &str, role: &str, subject: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: {name}}}\n\
         roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\nsubjects: [{subject}]\n---\n"
    )
}
fn rb(ns: &str, name: &str, kind: &str, role: &str, subject: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: {name}, namespace: {ns}}}\n\
         roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: {role}}}\nsubjects: [{subject}]\n---\n"
    )
}
const ALICE: &str = "{kind: User, name: alice}";
const API_SA: &str = "{kind: ServiceAccount, name: api, namespace: shop}";

/// A ClusterRole `r` with `rules`, bound cluster-wide to alice.
fn granted(rules: &str) -> String {
    cr("r", rules) + &crb("b", "r", ALICE)
}
/// A ClusterRole `r` with `rules`, bound in namespace shop to alice.
fn granted_in(ns: &str, rules: &str) -> String {
    cr("r", rules) + &rb(ns, "b", "ClusterRole", "r", ALICE)
}

fn hits(rule: &'static Rule, yaml: &str) -> Vec<Hit> {
    run(rule, yaml)
}

#[test]
fn every_rule_fires_and_stays_quiet() {
    let g =
        |v: &str, res: &str| format!("[{{apiGroups: [\"\"], resources: [{res}], verbs: [{v}]}}]");
    let ga = |grp: &str, v: &str, res: &str| {
        format!("[{{apiGroups: [\"{grp}\"], resources: [{res}], verbs: [{v}]}}]")
    };
    let rbac_g = "rbac.authorization.k8s.io";
    // `n` RoleBindings in shop, each of `subject(i)` to ClusterRole `role(i)`.
    let bindings = |n: usize, role: &dyn Fn(usize) -> String, subject: &dyn Fn(usize) -> String| {
        (0..n)
            .map(|i| {
                rb(
                    "shop",
                    &format!("b{i}"),
                    "ClusterRole",
                    &role(i),
                    &subject(i),
                )
            })
            .collect::<String>()
    };
    let alice = |_: usize| ALICE.to_string();
    let user = |i: usize| format!("{{kind: User, name: u{i}}}");
    let role_i = |i: usize| format!("r{i}");
    let view = |_: usize| "view".to_string();
    let certs = "certificates.k8s.io";
    #[rustfmt::skip]
    let table: Vec<(&'static Rule, &str, String, usize)> = vec![
        (&CLUSTER_ADMIN_BINDING, "crb to cluster-admin", crb("b", "cluster-admin", ALICE), 1),
        (&CLUSTER_ADMIN_BINDING, "rb to cluster-admin", rb("shop", "b", "ClusterRole", "cluster-admin", ALICE), 1),
        (&CLUSTER_ADMIN_BINDING, "allow-listed group", crb("b", "cluster-admin", "{kind: Group, name: system:masters}"), 0),
        (&CLUSTER_ADMIN_BINDING, "crb to admin", crb("b", "admin", ALICE), 0),
        (&FULL_WILDCARD, "bound wildcard", granted("[{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]"), 1),
        (&FULL_WILDCARD, "unbound wildcard is reported on the role", cr("r", "[{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]"), 1),
        (&FULL_WILDCARD, "every write verb listed on *", granted("[{apiGroups: ['*'], resources: ['*'], verbs: [watch, deletecollection, create, delete, patch, update, get, list]}]"), 1),
        (&FULL_WILDCARD, "write verbs without deletecollection", granted("[{apiGroups: ['*'], resources: ['*'], verbs: [create, delete, patch, update]}]"), 0),
        (&FULL_WILDCARD, "every write verb on * in the core group only", granted("[{apiGroups: [''], resources: ['*'], verbs: [create, update, patch, delete, deletecollection]}]"), 0),
        (&FULL_WILDCARD, "wildcard limited to names", granted("[{apiGroups: ['*'], resources: ['*'], verbs: ['*'], resourceNames: [x]}]"), 0),
        (&WILDCARD_RULE, "verbs *", cr("r", &g("'*'", "pods")), 1),
        (&WILDCARD_RULE, "resources *", cr("r", &g("get", "'*'")), 1),
        (&WILDCARD_RULE, "explicit", cr("r", &g("get", "pods")), 0),
        (&WILDCARD_RULE, "bound full wildcard is 002's", granted("[{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]"), 0),
        (&READ_SECRETS, "get secrets", granted(&g("get", "secrets")), 1),
        (&READ_SECRETS, "list via */ wildcard verbs", granted(&g("'*'", "secrets")), 1),
        (&READ_SECRETS, "configmaps", granted(&g("get", "configmaps")), 0),
        (&READ_SECRETS, "create secrets only", granted(&g("create", "secrets")), 0),
        (&CREATE_WORKLOADS, "create pods", granted_in("shop", &g("create", "pods")), 1),
        (&CREATE_WORKLOADS, "patch deployments", granted_in("shop", &ga("apps", "patch", "deployments")), 1),
        (&CREATE_WORKLOADS, "create pods with resourceNames grants nothing", granted_in("shop", "[{apiGroups: [''], resources: [pods], verbs: [create], resourceNames: [x]}]"), 0),
        (&CREATE_WORKLOADS, "deployments in the wrong group", granted_in("shop", &ga("batch", "create", "deployments")), 0),
        (&MODIFY_PODS, "patch pods", granted_in("shop", &g("patch", "pods")), 1),
        (&MODIFY_PODS, "get pods", granted_in("shop", &g("get", "pods")), 0),
        (&EXEC, "create pods/exec", granted_in("shop", &g("create", "pods/exec")), 1),
        (&EXEC, "create */attach", granted_in("shop", &g("create", "'*/attach'")), 1),
        (&EXEC, "get pods/exec (websocket, older clusters)", granted_in("shop", &g("get", "pods/exec")), 1),
        (&EXEC, "pods/* is not a wildcard", granted_in("shop", &g("create", "'pods/*'")), 0),
        (&EXEC, "pods does not cover pods/exec", granted_in("shop", &g("create", "pods")), 0),
        (&EPHEMERAL, "patch ephemeralcontainers", granted_in("shop", &g("patch", "pods/ephemeralcontainers")), 1),
        (&EPHEMERAL, "get ephemeralcontainers", granted_in("shop", &g("get", "pods/ephemeralcontainers")), 0),
        (&NODES_PROXY, "get nodes/proxy", granted(&g("get", "nodes/proxy")), 1),
        (&NODES_PROXY, "RoleBinding cannot grant a cluster-scoped resource", granted_in("shop", &g("get", "nodes/proxy")), 0),
        (&NODES_PROXY, "nodes/metrics", granted(&g("get", "nodes/metrics")), 0),
        (&ESCALATE, "escalate + update clusterroles", granted(&ga(rbac_g, "escalate, update", "clusterroles")), 1),
        (&ESCALATE, "escalate alone", granted(&ga(rbac_g, "escalate", "clusterroles")), 0),
        (&BIND, "bind + create bindings", granted(&format!("[{{apiGroups: [{rbac_g}], resources: [clusterroles], verbs: [bind]}}, {{apiGroups: [{rbac_g}], resources: [clusterrolebindings], verbs: [create]}}]")), 1),
        (&BIND, "bind and create split over two bindings", cr("r1", &ga(rbac_g, "bind", "roles")) + &cr("r2", &ga(rbac_g, "create", "rolebindings")) + &rb("shop", "b1", "ClusterRole", "r1", ALICE) + &rb("shop", "b2", "ClusterRole", "r2", ALICE), 1),
        (&BIND, "bind alone", granted(&ga(rbac_g, "bind", "clusterroles")), 0),
        (&IMPERSONATE, "impersonate groups", granted(&g("impersonate", "groups")), 1),
        (&IMPERSONATE, "impersonate service accounts in a namespace", granted_in("shop", &g("impersonate", "serviceaccounts")), 1),
        (&IMPERSONATE, "impersonate users through a RoleBinding does nothing", granted_in("shop", &g("impersonate", "users")), 0),
        (&APPROVE_CSR, "create + approve + signer", granted(&format!("[{{apiGroups: [{certs}], resources: [certificatesigningrequests], verbs: [create]}}, {{apiGroups: [{certs}], resources: [certificatesigningrequests/approval], verbs: [update]}}, {{apiGroups: [{certs}], resources: [signers], resourceNames: [kubernetes.io/kube-apiserver-client], verbs: [approve]}}]")), 1),
        (&APPROVE_CSR, "only the kubelet-serving signer", granted(&format!("[{{apiGroups: [{certs}], resources: [certificatesigningrequests], verbs: [create]}}, {{apiGroups: [{certs}], resources: [certificatesigningrequests/approval], verbs: [update]}}, {{apiGroups: [{certs}], resources: [signers], resourceNames: [kubernetes.io/kubelet-serving], verbs: [approve]}}]")), 0),
        (&TOKEN_REQUEST, "create serviceaccounts/token", granted_in("shop", &g("create", "serviceaccounts/token")), 1),
        (&TOKEN_REQUEST, "get serviceaccounts", granted_in("shop", &g("get", "serviceaccounts")), 0),
        (&WRITE_SECRETS, "create secrets", granted_in("shop", &g("create", "secrets")), 1),
        (&WRITE_SECRETS, "get secrets", granted_in("shop", &g("get", "secrets")), 0),
        (&ADMISSION, "patch webhooks", granted(&ga("admissionregistration.k8s.io", "patch", "validatingwebhookconfigurations")), 1),
        (&ADMISSION, "get webhooks", granted(&ga("admissionregistration.k8s.io", "get", "validatingwebhookconfigurations")), 0),
        (&CREATE_PV, "create persistentvolumes", granted(&g("create", "persistentvolumes")), 1),
        (&CREATE_PV, "create claims", granted(&g("create", "persistentvolumeclaims")), 0),
        (&MODIFY_NAMESPACES, "patch namespaces cluster-wide", granted(&g("patch", "namespaces")), 1),
        (&MODIFY_NAMESPACES, "patch its own namespace through a RoleBinding", granted_in("shop", &g("patch", "namespaces")), 1),
        (&MODIFY_NAMESPACES, "get namespaces", granted(&g("get", "namespaces")), 0),
        (&STEAL_PODS, "delete pods + patch nodes", granted("[{apiGroups: [''], resources: [pods], verbs: [delete]}, {apiGroups: [''], resources: [nodes], verbs: [patch]}]"), 1),
        (&STEAL_PODS, "delete pods only", granted(&g("delete", "pods")), 0),
        (&NODE_STATUS, "patch nodes/status", granted(&g("patch", "nodes/status")), 1),
        (&NODE_STATUS, "get nodes/status", granted(&g("get", "nodes/status")), 0),
        (&POD_STATUS, "patch pods/status", granted_in("shop", &g("patch", "pods/status")), 1),
        (&POD_STATUS, "patch pods", granted_in("shop", &g("patch", "pods")), 0),
        (&SERVICE_STATUS, "update services/status", granted_in("shop", &g("update", "services/status")), 1),
        (&SERVICE_STATUS, "update services", granted_in("shop", &g("update", "services")), 0),
        (&KUBE_SYSTEM_CONFIGMAPS, "update configmaps in kube-system", granted_in("kube-system", "[{apiGroups: [''], resources: [configmaps], resourceNames: [aws-auth], verbs: [update]}]"), 1),
        (&KUBE_SYSTEM_CONFIGMAPS, "update configmaps in shop", granted_in("shop", &g("update", "configmaps")), 0),
        (&CLOUD_IAM, "IRSA annotation", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s, namespace: shop, annotations: {eks.amazonaws.com/role-arn: 'arn:aws:iam::1:role/x'}}\n".into(), 1),
        (&CLOUD_IAM, "plain service account", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s, namespace: shop}\n".into(), 0),
        (&NETWORK, "create networkpolicies", granted_in("shop", &ga("networking.k8s.io", "create", "networkpolicies")), 1),
        (&NETWORK, "get networkpolicies", granted_in("shop", &ga("networking.k8s.io", "get", "networkpolicies")), 0),
        (&EXTENSIONS, "create CRDs", granted(&ga("apiextensions.k8s.io", "create", "customresourcedefinitions")), 1),
        (&EXTENSIONS, "get CRDs", granted(&ga("apiextensions.k8s.io", "get", "customresourcedefinitions")), 0),
        (&ANONYMOUS_BINDING, "system:anonymous", crb("b", "view", "{kind: User, name: system:anonymous}"), 1),
        (&ANONYMOUS_BINDING, "system:unauthenticated", crb("b", "view", "{kind: Group, name: system:unauthenticated}"), 1),
        (&ANONYMOUS_BINDING, "the stock kubeadm cluster-info binding", role("kube-public", "kubeadm:bootstrap-signer-clusterinfo", "[{apiGroups: [''], resources: [configmaps], resourceNames: [cluster-info], verbs: [get]}]") + &rb("kube-public", "kubeadm:bootstrap-signer-clusterinfo", "Role", "kubeadm:bootstrap-signer-clusterinfo", "{apiGroup: rbac.authorization.k8s.io, kind: User, name: system:anonymous}"), 0),
        (&ANONYMOUS_BINDING, "a user", crb("b", "view", ALICE), 0),
        (&ALL_AUTHENTICATED_BINDING, "system:authenticated", crb("b", "view", "{kind: Group, name: system:authenticated}"), 1),
        (&ALL_AUTHENTICATED_BINDING, "system:serviceaccounts:shop", rb("shop", "b", "ClusterRole", "view", "{kind: Group, name: 'system:serviceaccounts:shop'}"), 1),
        (&ALL_AUTHENTICATED_BINDING, "a named group", crb("b", "view", "{kind: Group, name: dev}"), 0),
        (&MISSING_ROLE, "role nowhere", crb("b", "nope", ALICE), 1),
        (&MISSING_ROLE, "Role missing in the binding's namespace", role("other", "r", &g("get", "pods")) + &rb("shop", "b", "Role", "r", ALICE), 1),
        (&MISSING_ROLE, "kubeadm default role", crb("b", "view", ALICE), 0),
        (&MISSING_ROLE, "role in the input", granted(&g("get", "pods")), 0),
        (&DEFAULT_SA, "default service account", rb("shop", "b", "ClusterRole", "view", "{kind: ServiceAccount, name: default, namespace: shop}"), 1),
        (&DEFAULT_SA, "default through a defaulted namespace", rb("shop", "b", "ClusterRole", "view", "{kind: ServiceAccount, name: default}"), 1),
        (&DEFAULT_SA, "own service account", rb("shop", "b", "ClusterRole", "view", API_SA), 0),
        (&INEFFECTIVE_RULE, "pods/*", cr("r", &g("get", "'pods/*'")), 1),
        (&INEFFECTIVE_RULE, "create with resourceNames", cr("r", "[{apiGroups: [''], resources: [configmaps], resourceNames: [x], verbs: [create]}]"), 1),
        (&INEFFECTIVE_RULE, "create pods/exec with resourceNames is fine", cr("r", "[{apiGroups: [''], resources: [pods/exec], resourceNames: [x], verbs: [create]}]"), 0),
        (&INEFFECTIVE_RULE, "*/log is fine", cr("r", &g("get", "'*/log'")), 0),
        (&REJECTED_OBJECT, "rule without verbs", cr("r", "[{apiGroups: [''], resources: [pods]}]"), 1),
        (&REJECTED_OBJECT, "resources without apiGroups", cr("r", "[{resources: [pods], verbs: [get]}]"), 1),
        (&REJECTED_OBJECT, "nonResourceURLs in a Role", role("shop", "r", "[{nonResourceURLs: [/healthz], verbs: [get]}]"), 1),
        (&REJECTED_OBJECT, "CRB service account without namespace", crb("b", "view", "{kind: ServiceAccount, name: api}"), 1),
        (&REJECTED_OBJECT, "CRB referring to a Role", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects: [{kind: User, name: a}]\n".into(), 1),
        (&MANY_ROLES, "11 roles", bindings(11, &role_i, &alice), 1),
        (&MANY_ROLES, "10 roles", bindings(10, &role_i, &alice), 0),
        (&MANY_ROLES, "11 bindings of one role", bindings(11, &view, &alice), 0),
        (&MANY_ROLES, "the user name of a service account is the service account", bindings(6, &role_i, &|_| API_SA.to_string()) + &(6..11).map(|i| crb(&format!("c{i}"), &format!("r{i}"), "{kind: User, name: 'system:serviceaccount:shop:api'}")).collect::<String>(), 1),
        (&MANY_SUBJECTS, "26 users", bindings(26, &view, &user), 1),
        (&MANY_SUBJECTS, "one binding, 26 subjects", rb("shop", "b", "ClusterRole", "view", &(0..26).map(user).collect::<Vec<_>>().join(", ")), 1),
        (&MANY_SUBJECTS, "25 users", bindings(25, &view, &user), 0),
        (&MANY_SUBJECTS, "26 bindings of one user", bindings(26, &role_i, &alice), 0),
        (&MANY_SUBJECTS, "cluster-wide bindings are not a namespace's", (0..26).map(|i| crb(&format!("c{i}"), "view", &user(i))).collect::<String>(), 0),
        (&DELETE_EVENTS, "delete events", granted_in("shop", &g("delete", "events")), 1),
        (&DELETE_EVENTS, "deletecollection events.k8s.io events", granted_in("shop", &ga("events.k8s.io", "deletecollection", "events")), 1),
        (&DELETE_EVENTS, "create and patch events", granted_in("shop", &g("create, patch", "events")), 0),
        (&PORT_FORWARD, "create pods/portforward", granted_in("shop", &g("create", "pods/portforward")), 1),
        (&PORT_FORWARD, "get pods/portforward (websocket, older clusters)", granted_in("shop", &g("get", "pods/portforward")), 1),
        (&PORT_FORWARD, "create pods/exec", granted_in("shop", &g("create", "pods/exec")), 0),
        (&DEFAULT_SA_TOKEN, "token for any service account", granted_in("shop", &g("create", "serviceaccounts/token")), 1),
        (&DEFAULT_SA_TOKEN, "token named default", granted_in("shop", "[{apiGroups: [''], resources: [serviceaccounts/token], resourceNames: [api, default], verbs: [create]}]"), 1),
        (&DEFAULT_SA_TOKEN, "token named api only", granted_in("shop", "[{apiGroups: [''], resources: [serviceaccounts/token], resourceNames: [api], verbs: [create]}]"), 0),
        (&COREDNS_CONFIG, "patch configmaps in kube-system", granted_in("kube-system", &g("patch", "configmaps")), 1),
        (&COREDNS_CONFIG, "delete configmaps cluster-wide", granted(&g("delete", "configmaps")), 1),
        (&COREDNS_CONFIG, "update configmap coredns by name", granted_in("kube-system", "[{apiGroups: [''], resources: [configmaps], resourceNames: [coredns], verbs: [update]}]"), 1),
        (&COREDNS_CONFIG, "update configmap kube-proxy by name", granted_in("kube-system", "[{apiGroups: [''], resources: [configmaps], resourceNames: [kube-proxy], verbs: [update]}]"), 0),
        (&COREDNS_CONFIG, "patch configmaps in shop", granted_in("shop", &g("patch", "configmaps")), 0),
        (&COREDNS_CONFIG, "create configmaps in kube-system", granted_in("kube-system", &g("create", "configmaps")), 0),
        (&DELETE_NODES, "delete nodes", granted(&g("delete", "nodes")), 1),
        (&DELETE_NODES, "RoleBinding cannot grant nodes", granted_in("shop", &g("delete", "nodes")), 0),
        (&DELETE_NODES, "patch nodes", granted(&g("patch", "nodes")), 0),
        (&DELETECOLLECTION_WORKLOADS, "deletecollection pods", granted_in("shop", &g("deletecollection", "pods")), 1),
        (&DELETECOLLECTION_WORKLOADS, "deletecollection jobs", granted_in("shop", &ga("batch", "deletecollection", "jobs")), 1),
        (&DELETECOLLECTION_WORKLOADS, "delete pods one by one", granted_in("shop", &g("delete", "pods")), 0),
        (&DELETECOLLECTION_WORKLOADS, "deletecollection limited by resourceNames grants nothing", granted_in("shop", "[{apiGroups: [''], resources: [pods], resourceNames: [x], verbs: [deletecollection]}]"), 0),
        (&DELETECOLLECTION_WORKLOADS, "deletecollection configmaps", granted_in("shop", &g("deletecollection", "configmaps")), 0),
        (&UNUSED_SERVICE_ACCOUNT, "service account nothing uses", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: old, namespace: shop}\n".into(), 1),
        (&UNUSED_SERVICE_ACCOUNT, "service account a workload runs as", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {serviceAccountName: api, containers: [{name: c, image: x}]}}}\n".into(), 0),
        (&UNUSED_SERVICE_ACCOUNT, "service account a binding names", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop}\n---\n".to_string() + &rb("shop", "b", "ClusterRole", "view", API_SA), 0),
        (&UNUSED_SERVICE_ACCOUNT, "default is left out", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\n".into(), 0),
        (&REJECTED_OBJECT, "valid objects", granted(&g("get", "pods")) + &rb("shop", "b2", "ClusterRole", "r", "{kind: ServiceAccount, name: api}"), 0),
    ];
    let mut failures = Vec::new();
    for (rule, name, yaml, want) in &table {
        let h = hits(rule, yaml);
        if h.len() != *want {
            failures.push(format!(
                "{} / {name}: {} hits, want {want}: {h:#?}",
                rule.meta.id,
                h.len()
            ));
        }
    }
    // Every rule of the crate is in the table, firing at least once.
    for &r in RULES {
        if r.meta.id == "KW-RBAC-031" || r.meta.id == "KW-RBAC-032" {
            continue; // tested below (workloads, off by default)
        }
        let fired = table
            .iter()
            .any(|(x, _, _, n)| x.meta.id == r.meta.id && *n > 0);
        let quiet = table
            .iter()
            .any(|(x, _, _, n)| x.meta.id == r.meta.id && *n == 0);
        if !fired || !quiet {
            failures.push(format!(
                "{}: table lacks a firing or a quiet case",
                r.meta.id
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn findings_point_at_the_rule_and_name_the_chain() {
    let y = cr(
        "r",
        "[{apiGroups: [''], resources: [pods], verbs: [get]}, {apiGroups: [''], resources: [secrets], verbs: [list]}]",
    ) + &crb("b", "r", ALICE);
    let h = hits(&READ_SECRETS, &y);
    assert_eq!(pointers(&h), vec!["/rules/1"]);
    assert_eq!(h[0].object, "ClusterRole r");
    assert_eq!(h[0].severity, Severity::Critical, "cluster-wide secrets");
    assert!(
        h[0].message
            .contains("User alice → ClusterRoleBinding b → ClusterRole r → rules[1]"),
        "{}",
        h[0].message
    );
    // Through a RoleBinding: one namespace, high.
    let y = cr(
        "r",
        "[{apiGroups: [''], resources: [secrets], verbs: [get]}]",
    ) + &rb("shop", "b", "ClusterRole", "r", ALICE);
    let h = hits(&READ_SECRETS, &y);
    assert_eq!(h[0].severity, Severity::High);
    assert!(h[0].message.contains("in namespace shop"));
    // Named secrets only: lower, and the names are said.
    let y = cr(
        "r",
        "[{apiGroups: [''], resources: [secrets], resourceNames: [db], verbs: [get]}]",
    ) + &rb("shop", "b", "ClusterRole", "r", ALICE);
    let h = hits(&READ_SECRETS, &y);
    assert_eq!(h[0].severity, Severity::Medium);
    assert!(
        h[0].message.contains("only objects named db"),
        "{}",
        h[0].message
    );
}

#[test]
fn bootstrap_roles_are_named_as_such_and_located_at_the_binding() {
    let y = rb(
        "shop",
        "devs",
        "ClusterRole",
        "edit",
        "{kind: Group, name: dev}",
    );
    let h = hits(&READ_SECRETS, &y);
    assert_eq!(pointers(&h), vec!["/roleRef"]);
    assert!(
        h[0].message.contains("ClusterRole edit (kubeadm default, not in the scanned input), which aggregates ClusterRole system:aggregate-to-edit (kubeadm default, not in the scanned input)"),
        "{}",
        h[0].message
    );
    // The kubeadm defaults themselves are not findings.
    assert!(
        hits(
            &READ_SECRETS,
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
        )
        .is_empty()
    );
}

#[test]
fn aggregation_is_computed_from_selectors() {
    // A ClusterRole labelled into `view` widens every binding to view; the finding points at
    // the source rule. The aggregated role's own (stale) rules are ignored.
    let y = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: leak\n  labels: {rbac.authorization.k8s.io/aggregate-to-view: 'true'}\n\
             rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]\n---\n"
        .to_string()
        + &rb("shop", "viewers", "ClusterRole", "view", ALICE);
    let h = hits(&READ_SECRETS, &y);
    assert_eq!(pointers(&h), vec!["/rules/0"]);
    assert_eq!(h[0].object, "ClusterRole leak");
    assert!(
        h[0].message.contains("which aggregates ClusterRole leak"),
        "{}",
        h[0].message
    );
    let y = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\n\
             aggregationRule: {clusterRoleSelectors: [{matchLabels: {x: 'y'}}]}\n\
             rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]\n---\n"
        .to_string()
        + &crb("b", "agg", ALICE);
    assert!(
        hits(&READ_SECRETS, &y).is_empty(),
        "stale rules of an aggregated role"
    );
}

#[test]
fn cluster_admin_allow_list_from_settings() {
    let y = crb(
        "b",
        "cluster-admin",
        "{kind: ServiceAccount, name: argocd, namespace: argocd}",
    );
    assert_eq!(hits(&CLUSTER_ADMIN_BINDING, &y).len(), 1);
    let s = Settings {
        cluster_admin_allowed: vec!["sa:argocd/argocd".into()],
        ..Settings::default()
    };
    assert!(run_with(&[&CLUSTER_ADMIN_BINDING], s, &y).is_empty());
}

const WORKLOAD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n\
spec:\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: api\n      containers: [{name: a, image: x}]\n---\n";

#[test]
fn workload_tokens() {
    let grant = cr(
        "r",
        "[{apiGroups: [''], resources: [secrets], verbs: [get]}]",
    ) + &rb("shop", "b", "ClusterRole", "r", API_SA);
    // Mounted by default; not exposed: high.
    let h = hits(&WORKLOAD_TOKEN, &(WORKLOAD.to_string() + &grant));
    assert_eq!(h.len(), 1, "{h:#?}");
    assert_eq!(h[0].severity, Severity::High);
    assert!(
        h[0].message
            .contains("Deployment shop/api mounts the token of ServiceAccount shop/api")
    );
    // Exposed by a LoadBalancer: critical.
    let lb = "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec: {type: LoadBalancer, selector: {app: api}}\n---\n";
    let h = hits(&WORKLOAD_TOKEN, &(WORKLOAD.to_string() + &grant + lb));
    assert_eq!(h[0].severity, Severity::Critical);
    assert!(
        h[0].message
            .contains("exposed outside the cluster by Service shop/api (LoadBalancer)")
    );
    // Automount off on the ServiceAccount: no token, no finding.
    let sa_off = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop}\nautomountServiceAccountToken: false\n---\n";
    assert!(hits(&WORKLOAD_TOKEN, &(WORKLOAD.to_string() + &grant + sa_off)).is_empty());
    // ...unless the pod turns it back on, or projects a token.
    let on = WORKLOAD.replace(
        "serviceAccountName: api",
        "serviceAccountName: api\n      automountServiceAccountToken: true",
    );
    assert_eq!(hits(&WORKLOAD_TOKEN, &(on + &grant + sa_off)).len(), 1);
    let projected = WORKLOAD.replace(
        "containers: [{name: a, image: x}]",
        "containers: [{name: a, image: x, volumeMounts: [{name: t, mountPath: /t}]}]\n      volumes: [{name: t, projected: {sources: [{serviceAccountToken: {path: token}}]}}]",
    );
    let h = hits(&WORKLOAD_TOKEN, &(projected.clone() + &grant + sa_off));
    assert_eq!(h.len(), 1);
    assert!(h[0].message.contains("projected serviceAccountToken"));
    // A projected token for another audience is not an API credential.
    let vault = projected.replace("{path: token}", "{path: token, audience: vault}");
    assert!(hits(&WORKLOAD_TOKEN, &(vault + &grant + sa_off)).is_empty());
    // Permissions through an implicit group count too.
    let group = cr(
        "r",
        "[{apiGroups: [''], resources: [pods/exec], verbs: [create]}]",
    ) + &crb(
        "b",
        "r",
        "{kind: Group, name: 'system:serviceaccounts:shop'}",
    );
    let h = hits(&WORKLOAD_TOKEN, &(WORKLOAD.to_string() + &group));
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].severity, Severity::Critical, "cluster-wide exec");
    // A workload without dangerous permissions: quiet.
    let harmless = cr(
        "r",
        "[{apiGroups: [''], resources: [configmaps], verbs: [get]}]",
    ) + &rb("shop", "b", "ClusterRole", "r", API_SA);
    assert!(hits(&WORKLOAD_TOKEN, &(WORKLOAD.to_string() + &harmless)).is_empty());
}

#[test]
fn argo_workflow_template_pods_carry_their_service_account_token() {
    let grant = cr(
        "r",
        "[{apiGroups: [''], resources: [secrets], verbs: [get]}]",
    ) + &rb("shop", "b", "ClusterRole", "r", API_SA);
    // The workflow's account applies to template `a`; template `b` names its own, harmless one;
    // template `c` uses the workflow's account too (one entry with `a`).
    let wf = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: etl, namespace: shop}\n\
spec:\n  serviceAccountName: api\n  templates:\n  - name: a\n    container: {image: x}\n  \
- name: b\n    serviceAccountName: reader\n    container: {image: x}\n  - name: c\n    script: {image: x, source: run}\n---\n";
    let h = hits(&WORKLOAD_TOKEN, &(wf.to_string() + &grant));
    assert_eq!(h.len(), 1, "{h:#?}");
    assert!(
        h[0].message
            .contains("Workflow shop/etl mounts the token of ServiceAccount shop/api"),
        "{}",
        h[0].message
    );
    // Automount off in the template: that template has no token; the others still do.
    let off = wf.replace(
        "  - name: a\n",
        "  - name: a\n    automountServiceAccountToken: false\n",
    );
    assert_eq!(hits(&WORKLOAD_TOKEN, &(off.clone() + &grant)).len(), 1);
    let all_off = off.replace(
        "  serviceAccountName: api\n",
        "  serviceAccountName: api\n  automountServiceAccountToken: false\n",
    );
    assert!(hits(&WORKLOAD_TOKEN, &(all_off + &grant)).is_empty());
}

#[test]
fn object_creation_without_quota_is_opt_in() {
    let y = granted_in(
        "shop",
        "[{apiGroups: [''], resources: [configmaps], verbs: [create]}]",
    );
    assert!(!CREATE_WITHOUT_QUOTA.meta.default_enabled);
    let count = |yaml: &str, enable: &[&'static str]| {
        let l = kubeward_core::testing::load(yaml);
        let mut reg = kubeward_core::Registry::new();
        reg.extend([&CREATE_WITHOUT_QUOTA]);
        let config = kubeward_core::config::Config {
            enable: enable.iter().copied().collect(),
            ..Default::default()
        };
        kubeward_core::engine::Engine {
            registry: &reg,
            config: &config,
        }
        .run(&l.inventory, &[], None)
        .findings
        .len()
    };
    assert_eq!(count(&y, &[]), 0, "off unless enabled");
    let enabled = |yaml: &str| count(yaml, &["KW-RBAC-032"]);
    assert_eq!(enabled(&y), 1);
    let quota = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: shop}\nspec: {hard: {count/configmaps: '10'}}\n";
    assert_eq!(enabled(&(y + quota)), 0);
}

#[test]
fn full_wildcard_is_reported_once_not_per_capability() {
    let y = granted("[{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]");
    for &r in RULES {
        let n = hits(r, &y).len();
        let want = usize::from(r.meta.id == "KW-RBAC-002");
        assert_eq!(n, want, "{}", r.meta.id);
    }
}

#[test]
fn hygiene_thresholds_come_from_the_settings_and_findings_are_located() {
    let y = rb("shop", "b0", "ClusterRole", "view", ALICE)
        + &rb("shop", "b1", "ClusterRole", "edit", ALICE)
        + &crb("c", "admin", ALICE);
    assert!(hits(&MANY_ROLES, &y).is_empty(), "default threshold is 10");
    let low = Settings {
        rbac_max_roles_per_subject: 2,
        rbac_max_subjects_per_namespace: 0,
        ..Settings::default()
    };
    let h = run_with(&[&MANY_ROLES], low.clone(), &y);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].object, "RoleBinding shop/b0");
    assert_eq!(pointers(&h), vec!["/subjects/0"]);
    assert!(
        h[0].message
            .contains("User alice holds 3 different roles through 3 bindings")
            && h[0]
                .message
                .contains("ClusterRole admin, ClusterRole edit, ClusterRole view"),
        "{}",
        h[0].message
    );
    // On the Namespace object when the input has it.
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n".to_string() + &y;
    let h = run_with(&[&MANY_SUBJECTS], low, &ns);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].object, "Namespace shop");
    assert_eq!(pointers(&h), vec!["/metadata/name"]);
    assert!(
        h[0].message.contains("1 different subjects"),
        "{}",
        h[0].message
    );
}

#[test]
fn writing_aws_auth_on_eks_is_critical() {
    let grant = |rule: &str| granted_in("kube-system", rule);
    let any = "[{apiGroups: [''], resources: [configmaps], verbs: [patch]}]";
    let named = |n: &str| {
        format!(
            "[{{apiGroups: [''], resources: [configmaps], resourceNames: [{n}], verbs: [update]}}]"
        )
    };
    let aws_auth = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata: {mapRoles: ''}\n---\n";
    let eks_node = "apiVersion: v1\nkind: Node\nmetadata: {name: ip-10-0-1-1, labels: {eks.amazonaws.com/nodegroup: ng}}\nspec: {providerID: 'aws:///eu-west-1a/i-1'}\n---\n";
    let sev = |yaml: &str| -> (Severity, String) {
        let h = hits(&KUBE_SYSTEM_CONFIGMAPS, yaml);
        assert_eq!(h.len(), 1, "{h:#?}");
        (h[0].severity, h[0].message.clone())
    };
    // No sign of EKS: the rule's own severity, no EKS claim.
    let (s, m) = sev(&grant(any));
    assert_eq!(s, Severity::High);
    assert!(!m.contains("Amazon EKS"), "{m}");
    // The aws-auth ConfigMap in the input, or an EKS node: critical, and says why.
    let (s, m) = sev(&(aws_auth.to_string() + &grant(any)));
    assert_eq!(s, Severity::Critical);
    assert!(
        m.contains("the input has ConfigMap kube-system/aws-auth"),
        "{m}"
    );
    let (s, m) = sev(&(eks_node.to_string() + &grant(&named("aws-auth"))));
    assert_eq!(
        s,
        Severity::Critical,
        "narrowed to aws-auth is still aws-auth"
    );
    assert!(m.contains("Node ip-10-0-1-1 has providerID aws://"), "{m}");
    // On EKS, but limited to another ConfigMap: not a path to aws-auth.
    let (s, m) = sev(&(aws_auth.to_string() + &grant(&named("coredns"))));
    assert!(s < Severity::Critical, "{s:?}");
    assert!(!m.contains("Amazon EKS"), "{m}");
}

#[test]
fn a_workload_token_is_graded_like_the_same_grant_held_by_a_subject() {
    // One named Secret in the workload's own namespace: KW-RBAC-004 rates it medium.
    let named = cr(
        "r",
        "[{apiGroups: [''], resources: [secrets], resourceNames: [db], verbs: [get]}]",
    ) + &rb("shop", "b", "ClusterRole", "r", API_SA);
    let input = WORKLOAD.to_string() + &named;
    let subject = hits(&READ_SECRETS, &input);
    let token = hits(&WORKLOAD_TOKEN, &input);
    assert_eq!(subject.len(), 1, "{subject:#?}");
    assert_eq!(token.len(), 1, "{token:#?}");
    assert_eq!(subject[0].severity, Severity::Medium);
    assert_eq!(token[0].severity, subject[0].severity);
    // Exposure raises the token finding one step, not straight to critical.
    let lb = "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec: {type: LoadBalancer, selector: {app: api}}\n---\n";
    let exposed = hits(&WORKLOAD_TOKEN, &(input + lb));
    assert_eq!(exposed[0].severity, Severity::High);
}
