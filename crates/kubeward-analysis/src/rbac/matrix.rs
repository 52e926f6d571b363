//! who-can / can answers against what `kubectl auth can-i` answers on the same objects.
//!
//! Each case is the SubjectAccessReview that `kubectl auth can-i VERB RESOURCE[/NAME]
//! [--subresource SUB] (-n NS | -A) --as USER [--as-group GROUP]` sends; the expected answer is
//! worked out from the RBAC authorizer's documented rules (and, for the kubeadm defaults, from
//! the default roles and bindings every cluster has). Both directions are checked: `allowed`
//! (the can-i answer for one identity) and `who_can` (the identity's principal, or one of its
//! groups, is among the subjects listed, or the identity is in system:masters).

use super::authz::{Identity, Request, allowed, who_can};
use super::model::{Model, Principal};
use kubeward_core::testing::load;

const FIXTURE: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-exec}
rules:
  - {apiGroups: [""], resources: [pods/exec], verbs: [create]}
  - {apiGroups: [""], resources: [pods], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-proxy}
rules: [{apiGroups: [""], resources: [nodes/proxy], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: any-status}
rules: [{apiGroups: ["*"], resources: ["*/status"], verbs: [update]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: bad-sub}
rules: [{apiGroups: [""], resources: ["pods/*"], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: named-cm}
rules:
  - {apiGroups: [""], resources: [configmaps], resourceNames: [app-config], verbs: [get, update, list]}
  - {apiGroups: [""], resources: [configmaps], resourceNames: [new-one], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: health}
rules: [{nonResourceURLs: [/healthz, "/logs/*"], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: wild-apps}
rules: [{apiGroups: [apps], resources: ["*"], verbs: ["*"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {kubeward.test/aggregate-to-monitoring: "true"}}]
# Stale: the aggregation controller replaces these with the selected roles' rules.
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring-pods, labels: {kubeward.test/aggregate-to-monitoring: "true"}}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring-metrics, labels: {kubeward.test/aggregate-to-monitoring: "true"}}
rules: [{nonResourceURLs: [/metrics], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ns-patcher}
rules: [{apiGroups: [""], resources: [namespaces], verbs: [patch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: empty-names}
rules: [{apiGroups: [""], resources: [secrets], resourceNames: [""], verbs: [list, get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: payments}
rules: [{apiGroups: [apps], resources: [deployments], verbs: [create, update]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: token-maker, namespace: payments}
rules: [{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects: [{kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-secrets, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects: [{kind: User, name: bob}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deployer, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: ServiceAccount, name: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: broken-sa}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-exec}
subjects: [{kind: ServiceAccount, name: ghost}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: devs-exec}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-exec}
subjects: [{kind: Group, name: dev}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: everyone-views, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: Group, name: system:authenticated}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: anon-health}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: health}
subjects: [{kind: User, name: system:anonymous}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring-node-proxy}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-proxy}
subjects: [{kind: Group, name: "system:serviceaccounts:monitoring"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: carol-monitoring}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects: [{kind: User, name: carol}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: erin-ns, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ns-patcher}
subjects: [{kind: User, name: erin}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: frank-named}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: named-cm}
subjects: [{kind: User, name: frank}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: gina-wild}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: wild-apps}
subjects: [{kind: User, name: gina}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: henry-status}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: any-status}
subjects: [{kind: User, name: henry}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ivan-badsub}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: bad-sub}
subjects: [{kind: User, name: ivan}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: jack-edit, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: User, name: jack}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kim-empty-names}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: empty-names}
subjects: [{kind: User, name: kim}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder-token, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: token-maker}
subjects: [{kind: User, name: "system:serviceaccount:payments:builder"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: mallory-missing, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: does-not-exist}
subjects: [{kind: User, name: mallory}]
"#;

fn user(n: &str) -> Identity {
    Identity::user(n, &[])
}
fn user_in(n: &str, groups: &[&str]) -> Identity {
    Identity::user(n, groups)
}
fn sa(ns: &str, n: &str) -> Identity {
    Identity::service_account(ns, n)
}
fn anon() -> Identity {
    Identity::user("system:anonymous", &[])
}
/// `kubectl auth can-i VERB RES -n NS` (namespace "" = `-A`); RES may be `group:resource/sub`.
fn req(verb: &str, res: &str, ns: &str) -> Request {
    let (group, res) = res.split_once(':').unwrap_or(("", res));
    Request::resource(verb, ns, group, res)
}

struct Case {
    who: Identity,
    req: Request,
    want: bool,
    why: &'static str,
}

fn case(who: Identity, req: Request, want: bool, why: &'static str) -> Case {
    Case {
        who,
        req,
        want,
        why,
    }
}

fn cases() -> Vec<Case> {
    vec![
        case(
            user("alice"),
            req("get", "secrets", "payments"),
            true,
            "ClusterRoleBinding applies in every namespace",
        ),
        case(
            user("alice"),
            req("list", "secrets", ""),
            true,
            "-A: ClusterRoleBinding answers cluster-wide requests",
        ),
        case(
            user("alice"),
            req("delete", "secrets", "payments"),
            false,
            "verb not granted",
        ),
        case(
            user("bob"),
            req("get", "secrets", "payments"),
            true,
            "RoleBinding to a ClusterRole: granted in the binding's namespace",
        ),
        case(
            user("bob"),
            req("get", "secrets", "dev"),
            false,
            "RoleBinding grants nothing outside its namespace",
        ),
        // Tricky: a RoleBinding never answers a request without a namespace, so `-A` is no
        // even though bob can read the secrets of one namespace.
        case(
            user("bob"),
            req("list", "secrets", ""),
            false,
            "-A: no RoleBinding applies",
        ),
        // Tricky: the subject has no namespace; a RoleBinding defaults it to its own.
        case(
            sa("payments", "ci"),
            req("create", "apps:deployments", "payments"),
            true,
            "SA subject namespace defaulted to the RoleBinding's",
        ),
        case(
            sa("dev", "ci"),
            req("create", "apps:deployments", "payments"),
            false,
            "another namespace's SA of the same name",
        ),
        case(
            sa("payments", "ci"),
            req("create", "extensions:deployments", "payments"),
            false,
            "apiGroup must match",
        ),
        case(
            sa("payments", "ci"),
            req("update", "apps:deployments/scale", "payments"),
            false,
            "`deployments` does not cover its subresources",
        ),
        // Tricky: a ClusterRoleBinding has no namespace to default a ServiceAccount subject to,
        // so the authorizer matches nobody (and the API server would reject the object).
        case(
            sa("default", "ghost"),
            req("create", "pods/exec", "default"),
            false,
            "CRB SA subject without namespace matches nobody",
        ),
        case(
            user_in("dave", &["dev"]),
            req("create", "pods/exec", "payments"),
            true,
            "group subject, --as-group dev",
        ),
        case(
            user("dave"),
            req("create", "pods/exec", "payments"),
            false,
            "without the group",
        ),
        case(
            user_in("dave", &["dev"]),
            req("get", "pods", "payments"),
            true,
            "second rule of the role",
        ),
        case(
            user_in("dave", &["dev"]),
            req("get", "pods/log", "payments"),
            false,
            "`pods` does not cover pods/log",
        ),
        case(
            user_in("dave", &["dev"]),
            req("get", "pods/exec", "payments"),
            false,
            "exec granted for create only",
        ),
        case(
            user("zed"),
            req("get", "pods", "dev"),
            true,
            "system:authenticated is bound to view in dev",
        ),
        case(
            user("zed"),
            req("get", "pods", "payments"),
            false,
            "that RoleBinding is in dev only",
        ),
        case(
            user("zed"),
            req("get", "secrets", "dev"),
            false,
            "view excludes secrets",
        ),
        case(
            user("zed"),
            req("list", "apps:deployments", "dev"),
            true,
            "view aggregates system:aggregate-to-view (bootstrap)",
        ),
        case(
            anon(),
            req("get", "pods", "dev"),
            false,
            "anonymous is system:unauthenticated, not system:authenticated",
        ),
        case(
            anon(),
            Request::url("get", "/healthz"),
            true,
            "nonResourceURL, exact",
        ),
        case(
            anon(),
            Request::url("get", "/logs/kube-apiserver.log"),
            true,
            "`/logs/*` is a prefix match",
        ),
        // Tricky: `/logs/*` is the prefix `/logs/`, which `/logs` does not start with.
        case(
            anon(),
            Request::url("get", "/logs"),
            false,
            "prefix is `/logs/`",
        ),
        case(
            anon(),
            Request::url("post", "/healthz"),
            false,
            "verb get only",
        ),
        case(
            user("zed"),
            Request::url("get", "/version"),
            true,
            "bootstrap system:discovery for system:authenticated",
        ),
        case(
            user("zed"),
            Request::url("get", "/apis/apps/v1"),
            true,
            "bootstrap system:discovery `/apis/*`",
        ),
        case(
            user("zed"),
            Request::url("get", "/metrics"),
            false,
            "system:monitoring is bound to its own group only",
        ),
        case(
            anon(),
            Request::url("get", "/readyz"),
            true,
            "bootstrap system:public-info-viewer includes unauthenticated",
        ),
        case(
            anon(),
            Request::url("get", "/apis"),
            false,
            "system:discovery is no longer bound to unauthenticated",
        ),
        case(
            sa("monitoring", "prom"),
            req("get", "nodes/proxy", ""),
            true,
            "via the implicit group system:serviceaccounts:monitoring",
        ),
        case(
            sa("monitoring", "prom"),
            req("create", "nodes/proxy", ""),
            false,
            "get only",
        ),
        case(
            sa("default", "prom"),
            req("get", "nodes/proxy", ""),
            false,
            "another namespace's service accounts",
        ),
        case(
            user("carol"),
            req("list", "pods", "payments"),
            true,
            "aggregated from monitoring-pods",
        ),
        // Tricky: the aggregated role's own `rules` are stale and ignored.
        case(
            user("carol"),
            req("delete", "pods", "payments"),
            false,
            "written wildcard rules of an aggregated role do not count",
        ),
        case(
            user("carol"),
            Request::url("get", "/metrics"),
            true,
            "aggregated nonResourceURL",
        ),
        // Tricky: a namespace request carries the namespace's own name as its namespace, so a
        // RoleBinding in `payments` may patch the Namespace `payments` itself.
        case(
            user("erin"),
            req("patch", "namespaces", "payments").named("payments"),
            true,
            "RoleBinding reaches its own Namespace object",
        ),
        case(
            user("erin"),
            req("patch", "namespaces", "dev").named("dev"),
            false,
            "not another namespace",
        ),
        case(
            user("erin"),
            req("patch", "namespaces", "").named("payments"),
            false,
            "-A sends no namespace: no RoleBinding applies",
        ),
        case(
            user("frank"),
            req("get", "configmaps", "payments").named("app-config"),
            true,
            "resourceNames lists it",
        ),
        case(
            user("frank"),
            req("get", "configmaps", "payments"),
            false,
            "no name: resourceNames never match",
        ),
        case(
            user("frank"),
            req("list", "configmaps", "payments"),
            false,
            "list without a name is refused",
        ),
        case(
            user("frank"),
            req("list", "configmaps", "payments").named("app-config"),
            true,
            "list with metadata.name fieldSelector carries the name",
        ),
        // Tricky: create requests have no name, so resourceNames on create grant nothing...
        case(
            user("frank"),
            req("create", "configmaps", "payments"),
            false,
            "create carries no name",
        ),
        // ...but `can-i create configmaps/new-one` sends one, so the authorizer says yes (a real
        // create would still be refused).
        case(
            user("frank"),
            req("create", "configmaps", "payments").named("new-one"),
            true,
            "kubectl sends the name given",
        ),
        case(
            user("gina"),
            req("delete", "apps:deployments", "payments"),
            true,
            "`*` verbs on `*` resources of apps",
        ),
        case(
            user("gina"),
            req("update", "apps:deployments/scale", "payments"),
            true,
            "`*` covers subresources",
        ),
        case(
            user("gina"),
            req("get", "pods", "payments"),
            false,
            "core group not granted",
        ),
        case(
            user("henry"),
            req("update", "apps:deployments/status", "payments"),
            true,
            "`*/status` in `*` groups",
        ),
        case(
            user("henry"),
            req("update", "pods/status", "payments"),
            true,
            "`*/status`",
        ),
        case(
            user("henry"),
            req("update", "pods", "payments"),
            false,
            "`*/status` is not the resource itself",
        ),
        case(
            user("henry"),
            req("update", "pods/statusx", "payments"),
            false,
            "`*/status` needs the exact subresource",
        ),
        // Tricky: `pods/*` is not a wildcard; it matches nothing real.
        case(
            user("ivan"),
            req("get", "pods/log", "payments"),
            false,
            "no resource/* wildcard",
        ),
        case(
            user("ivan"),
            req("get", "pods", "payments"),
            false,
            "not the resource either",
        ),
        case(
            user("jack"),
            req("get", "secrets", "payments"),
            true,
            "edit aggregates system:aggregate-to-edit",
        ),
        case(
            user("jack"),
            req("create", "pods/exec", "payments"),
            true,
            "edit allows exec",
        ),
        case(
            user("jack"),
            req("impersonate", "serviceaccounts", "payments").named("default"),
            true,
            "edit impersonates service accounts",
        ),
        case(
            user("jack"),
            req("create", "rbac.authorization.k8s.io:roles", "payments"),
            false,
            "RBAC objects are admin's, not edit's",
        ),
        case(
            user("jack"),
            req("get", "secrets", "dev"),
            false,
            "RoleBinding scope",
        ),
        // Tricky: a `""` resourceName matches requests without a name.
        case(
            user("kim"),
            req("list", "secrets", "payments"),
            true,
            "resourceNames [\"\"] matches a nameless list",
        ),
        case(
            user("kim"),
            req("get", "secrets", "payments").named("db"),
            false,
            "and only that",
        ),
        case(
            sa("payments", "builder"),
            req("create", "serviceaccounts/token", "payments").named("deployer"),
            true,
            "User subject with a service account's username",
        ),
        case(
            sa("payments", "builder"),
            req("create", "serviceaccounts/token", "dev").named("deployer"),
            false,
            "RoleBinding scope",
        ),
        case(
            user("mallory"),
            req("get", "pods", "payments"),
            false,
            "the role does not exist: nothing granted",
        ),
        case(
            user_in("root", &["system:masters"]),
            req("delete", "nodes", ""),
            true,
            "system:masters: allowed before RBAC",
        ),
        case(
            user("zed"),
            req("delete", "nodes", ""),
            false,
            "nobody else",
        ),
        case(
            user("zed"),
            req(
                "create",
                "authorization.k8s.io:selfsubjectaccessreviews",
                "",
            ),
            true,
            "bootstrap system:basic-user",
        ),
        case(
            anon(),
            req(
                "create",
                "authorization.k8s.io:selfsubjectaccessreviews",
                "",
            ),
            false,
            "basic-user is not bound to unauthenticated",
        ),
        case(
            anon(),
            req("get", "configmaps", "kube-public").named("cluster-info"),
            true,
            "kubeadm's cluster-info binding for system:anonymous",
        ),
        case(
            anon(),
            req("get", "configmaps", "kube-public").named("other"),
            false,
            "named ConfigMap only",
        ),
        case(
            sa("payments", "x"),
            Request::url("get", "/openid/v1/jwks"),
            true,
            "bootstrap issuer discovery for system:serviceaccounts",
        ),
        case(
            user("zed"),
            Request::url("get", "/openid/v1/jwks"),
            false,
            "not for plain users",
        ),
        case(
            sa("kube-system", "kube-proxy"),
            req("list", "discovery.k8s.io:endpointslices", ""),
            true,
            "kubeadm:node-proxier",
        ),
    ]
}

fn model() -> (kubeward_core::input::Loaded, Model) {
    let l = load(FIXTURE);
    let m = Model::build(&l.inventory);
    (l, m)
}

#[test]
fn matrix_agrees_with_the_authorizer() {
    let (_l, m) = model();
    let cases = cases();
    assert!(cases.len() >= 50, "the matrix has {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let got = !allowed(&m, &c.who, &c.req).is_empty();
        if got != c.want {
            failures.push(format!(
                "can-i {:?} as {:?}: got {got}, want {} ({})",
                c.req, c.who, c.want, c.why
            ));
        }
        // who-can lists the identity (or one of its groups) exactly when can-i says yes.
        let principals = c.who.principals();
        let listed = who_can(&m, &c.req)
            .iter()
            .any(|w| principals.contains(&w.principal));
        if listed != c.want {
            failures.push(format!(
                "who-can {:?}: {:?} listed={listed}, want {} ({})",
                c.req, c.who, c.want, c.why
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn masters_is_always_listed() {
    let (_l, m) = model();
    let w = who_can(
        &m,
        &req("escalate", "rbac.authorization.k8s.io:clusterroles", ""),
    );
    let masters = w
        .iter()
        .find(|x| x.principal == Principal::Group("system:masters".into()))
        .expect("system:masters listed");
    // Also bound to cluster-admin by the kubeadm default binding.
    assert_eq!(masters.via.len(), 1);
    // Without the defaults there is no binding at all, and it is still listed.
    let l = load(FIXTURE);
    let bare = Model::build_with(&l.inventory, false);
    let w2 = who_can(
        &bare,
        &req("escalate", "rbac.authorization.k8s.io:clusterroles", ""),
    );
    assert_eq!(w2.len(), 1);
    assert!(w2[0].via.is_empty());
    // kubeadm's admin group holds cluster-admin through the bootstrap binding.
    assert!(
        w.iter()
            .any(|x| x.principal == Principal::Group("kubeadm:cluster-admins".into()))
    );
    // Nobody in the fixture holds escalate.
    assert_eq!(w.len(), 2, "{w:?}");
}
