//! The risk catalogue as data: each dangerous capability is one or more clauses that must all
//! be granted (in the same scope), each clause a list of permissions any one of which grants
//! it. [`role_clauses`] evaluates a role's rules against every clause once per scope kind;
//! principals and workloads combine those results across their bindings.

use super::authz::{group_matches, verb_matches};
use super::model::{PolicyRule, RuleRef, Str};
use super::resources::Scopes;

/// Permissions any one of which grants a clause.
pub struct Perm {
    pub verbs: &'static [&'static str],
    pub group: &'static str,
    /// Plural resources, `resource/subresource` for subresources.
    pub resources: &'static [&'static str],
    /// When set, only grants covering one of these object names count (signers).
    pub names: &'static [&'static str],
    /// Works only on older clusters (reported one level lower, with a note).
    pub weak: bool,
}

const fn p(
    verbs: &'static [&'static str],
    group: &'static str,
    resources: &'static [&'static str],
) -> Perm {
    Perm {
        verbs,
        group,
        resources,
        names: &[],
        weak: false,
    }
}

const WRITE: &[&str] = &["create", "update", "patch"];
const MUTATE: &[&str] = &["create", "update", "patch", "delete"];
const UPDATE: &[&str] = &["update", "patch"];
const READ: &[&str] = &["get", "list", "watch"];
const DELETE: &[&str] = &["delete", "deletecollection"];
const RBAC: &str = "rbac.authorization.k8s.io";
const ADM: &str = "admissionregistration.k8s.io";
const CERTS: &str = "certificates.k8s.io";

/// Clause ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Clause {
    ReadSecrets,
    CreateWorkloads,
    ModifyPods,
    Exec,
    Ephemeral,
    NodesProxy,
    EscalateVerb,
    WriteRoles,
    BindVerb,
    WriteBindings,
    Impersonate,
    CreateCsr,
    ApproveCsr,
    ApproveSigner,
    TokenRequest,
    WriteSecrets,
    Admission,
    CreatePv,
    ModifyNamespaces,
    DeletePods,
    ModifyNodes,
    NodeStatus,
    PodStatus,
    ServiceStatus,
    WriteConfigmaps,
    Network,
    Extensions,
    DeleteEvents,
    PortForward,
    DefaultSaToken,
    WriteCoreDns,
    DeleteNodes,
    DeleteCollectionWorkloads,
    CreateObjects,
}

pub const CLAUSE_COUNT: usize = Clause::CreateObjects as usize + 1;

/// The permissions of each clause, indexed by [`Clause`].
static PERMS: [&[Perm]; CLAUSE_COUNT] = [
    // ReadSecrets
    &[p(READ, "", &["secrets"])],
    // CreateWorkloads
    &[
        p(&["create"], "", &["pods"]),
        p(WRITE, "", &["replicationcontrollers", "podtemplates"]),
        p(
            WRITE,
            "apps",
            &["deployments", "daemonsets", "statefulsets", "replicasets"],
        ),
        p(WRITE, "batch", &["jobs", "cronjobs"]),
        p(
            WRITE,
            "extensions",
            &["deployments", "daemonsets", "replicasets"],
        ),
    ],
    // ModifyPods
    &[p(UPDATE, "", &["pods"])],
    // Exec
    &[
        p(&["create"], "", &["pods/exec", "pods/attach"]),
        Perm {
            weak: true,
            ..p(&["get"], "", &["pods/exec", "pods/attach"])
        },
    ],
    // Ephemeral
    &[p(UPDATE, "", &["pods/ephemeralcontainers"])],
    // NodesProxy
    &[p(
        &["get", "create", "update", "patch", "delete"],
        "",
        &["nodes/proxy"],
    )],
    // EscalateVerb
    &[p(&["escalate"], RBAC, &["roles", "clusterroles"])],
    // WriteRoles
    &[p(WRITE, RBAC, &["roles", "clusterroles"])],
    // BindVerb
    &[p(&["bind"], RBAC, &["roles", "clusterroles"])],
    // WriteBindings
    &[p(WRITE, RBAC, &["rolebindings", "clusterrolebindings"])],
    // Impersonate
    &[
        p(
            &["impersonate"],
            "",
            &["users", "groups", "serviceaccounts"],
        ),
        p(&["impersonate"], "authentication.k8s.io", &["uids"]),
    ],
    // CreateCsr
    &[p(&["create"], CERTS, &["certificatesigningrequests"])],
    // ApproveCsr
    &[p(UPDATE, CERTS, &["certificatesigningrequests/approval"])],
    // ApproveSigner
    &[Perm {
        names: &["kubernetes.io/kube-apiserver-client", "kubernetes.io/*"],
        ..p(&["approve"], CERTS, &["signers"])
    }],
    // TokenRequest
    &[p(&["create"], "", &["serviceaccounts/token"])],
    // WriteSecrets
    &[p(WRITE, "", &["secrets"])],
    // Admission
    &[p(
        MUTATE,
        ADM,
        &[
            "mutatingwebhookconfigurations",
            "validatingwebhookconfigurations",
            "validatingadmissionpolicies",
            "validatingadmissionpolicybindings",
            "mutatingadmissionpolicies",
            "mutatingadmissionpolicybindings",
        ],
    )],
    // CreatePv
    &[p(&["create"], "", &["persistentvolumes"])],
    // ModifyNamespaces
    &[p(UPDATE, "", &["namespaces"])],
    // DeletePods
    &[
        p(&["delete"], "", &["pods"]),
        p(&["create"], "", &["pods/eviction"]),
    ],
    // ModifyNodes
    &[p(UPDATE, "", &["nodes"])],
    // NodeStatus
    &[p(UPDATE, "", &["nodes/status"])],
    // PodStatus
    &[p(UPDATE, "", &["pods/status"])],
    // ServiceStatus
    &[p(UPDATE, "", &["services/status"])],
    // WriteConfigmaps
    &[p(WRITE, "", &["configmaps"])],
    // Network
    &[
        p(
            MUTATE,
            "networking.k8s.io",
            &["networkpolicies", "ingresses"],
        ),
        p(MUTATE, "", &["services", "endpoints"]),
        p(MUTATE, "discovery.k8s.io", &["endpointslices"]),
        p(
            MUTATE,
            "gateway.networking.k8s.io",
            &["gateways", "httproutes", "grpcroutes"],
        ),
        p(
            MUTATE,
            "policy.networking.k8s.io",
            &["adminnetworkpolicies", "baselineadminnetworkpolicies"],
        ),
    ],
    // Extensions
    &[
        p(
            MUTATE,
            "apiextensions.k8s.io",
            &["customresourcedefinitions"],
        ),
        p(MUTATE, "apiregistration.k8s.io", &["apiservices"]),
        p(MUTATE, "kyverno.io", &["clusterpolicies", "policies"]),
        p(MUTATE, "templates.gatekeeper.sh", &["constrainttemplates"]),
        p(MUTATE, "config.gatekeeper.sh", &["configs"]),
    ],
    // DeleteEvents
    &[
        p(DELETE, "", &["events"]),
        p(DELETE, "events.k8s.io", &["events"]),
    ],
    // PortForward
    &[
        p(&["create"], "", &["pods/portforward"]),
        Perm {
            weak: true,
            ..p(&["get"], "", &["pods/portforward"])
        },
    ],
    // DefaultSaToken
    &[Perm {
        names: &["default"],
        ..p(&["create"], "", &["serviceaccounts/token"])
    }],
    // WriteCoreDns
    &[Perm {
        names: &["coredns"],
        ..p(&["update", "patch", "delete"], "", &["configmaps"])
    }],
    // DeleteNodes
    &[p(DELETE, "", &["nodes"])],
    // DeleteCollectionWorkloads
    &[
        p(&["deletecollection"], "", &["pods"]),
        p(
            &["deletecollection"],
            "apps",
            &["deployments", "daemonsets", "statefulsets", "replicasets"],
        ),
        p(&["deletecollection"], "batch", &["jobs", "cronjobs"]),
    ],
    // CreateObjects
    &[
        p(
            &["create"],
            "",
            &["configmaps", "secrets", "pods", "events"],
        ),
        p(&["create"], "apps", &["deployments", "replicasets"]),
    ],
];

pub fn perms(c: Clause) -> &'static [Perm] {
    PERMS[c as usize]
}

pub const ALL_CLAUSES: [Clause; CLAUSE_COUNT] = {
    use Clause::*;
    [
        ReadSecrets,
        CreateWorkloads,
        ModifyPods,
        Exec,
        Ephemeral,
        NodesProxy,
        EscalateVerb,
        WriteRoles,
        BindVerb,
        WriteBindings,
        Impersonate,
        CreateCsr,
        ApproveCsr,
        ApproveSigner,
        TokenRequest,
        WriteSecrets,
        Admission,
        CreatePv,
        ModifyNamespaces,
        DeletePods,
        ModifyNodes,
        NodeStatus,
        PodStatus,
        ServiceStatus,
        WriteConfigmaps,
        Network,
        Extensions,
        DeleteEvents,
        PortForward,
        DefaultSaToken,
        WriteCoreDns,
        DeleteNodes,
        DeleteCollectionWorkloads,
        CreateObjects,
    ]
};

/// How much of a clause a rule grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Level {
    /// Every object of the resource (in the binding's scope).
    Full,
    /// Only the Namespace object of a RoleBinding's own namespace.
    OwnNamespace,
    /// Only objects with these names.
    Named(Vec<Str>),
}

/// The best grant of one clause found in a role, and the rule that grants it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClauseHit {
    pub rule: RuleRef,
    pub level: Level,
    pub weak: bool,
    /// (verb, resource) the rule allows, for messages.
    pub what: (&'static str, &'static str),
}

impl ClauseHit {
    fn rank(&self) -> u8 {
        let l = match self.level {
            Level::Full => 3,
            Level::OwnNamespace => 2,
            Level::Named(_) => 1,
        };
        l * 2 + u8::from(!self.weak)
    }
}

/// Where a role's grants apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    /// Through a ClusterRoleBinding: every namespace and cluster-scoped resources.
    Cluster,
    /// Through a RoleBinding: namespaced resources of one namespace, that Namespace object,
    /// and the `bind` check on ClusterRoles (which is made in the binding's namespace).
    Namespace,
}

/// Verbs whose requests name no object: resourceNames can only match them through `""`
/// (`list`/`watch` can carry a name through a `metadata.name` field selector).
fn nameless(verb: &str, sub: bool) -> bool {
    (verb == "create" && !sub) || verb == "deletecollection"
}

/// What `rule` grants of `perm` in `scope`, if anything.
pub fn grant(
    scopes: &Scopes,
    rule: &PolicyRule,
    perm: &Perm,
    scope: ScopeKind,
) -> Option<(Level, (&'static str, &'static str))> {
    if rule.resources.is_empty() || !group_matches(rule, perm.group) {
        return None;
    }
    let mut best: Option<(Level, (&'static str, &'static str))> = None;
    for res in perm.resources {
        let (base, sub) = res.split_once('/').unwrap_or((res, ""));
        let res_ok = rule.resources.iter().any(|r| {
            r == "*" || r == res || (!sub.is_empty() && r.strip_prefix("*/") == Some(sub))
        });
        if !res_ok {
            continue;
        }
        let cluster_scoped = !scopes.namespaced(perm.group, base);
        for verb in perm.verbs {
            if !verb_matches(rule, verb) {
                continue;
            }
            let mut level = if rule.resource_names.is_empty() {
                Level::Full
            } else if nameless(verb, !sub.is_empty()) {
                if rule.resource_names.iter().any(|n| n.is_empty()) {
                    Level::Full
                } else {
                    continue;
                }
            } else {
                Level::Named(rule.resource_names.clone())
            };
            if scope == ScopeKind::Namespace && cluster_scoped {
                if base == "namespaces" {
                    // Only the binding's own namespace is in reach.
                    if level == Level::Full {
                        level = Level::OwnNamespace;
                    }
                } else if !(*verb == "bind" && base == "clusterroles") {
                    continue;
                }
            }
            if !perm.names.is_empty() {
                if let Level::Named(names) = &level {
                    let hit: Vec<Str> = names
                        .iter()
                        .filter(|n| perm.names.contains(&n.as_str()))
                        .cloned()
                        .collect();
                    if hit.is_empty() {
                        continue;
                    }
                    level = Level::Full;
                }
            }
            let what = (*verb, *res);
            let better = match &best {
                None => true,
                Some((l, _)) => rank(&level) > rank(l),
            };
            if better {
                best = Some((level, what));
            }
        }
    }
    best
}

fn rank(l: &Level) -> u8 {
    match l {
        Level::Full => 3,
        Level::OwnNamespace => 2,
        Level::Named(_) => 1,
    }
}

/// One role's grants of every clause in one scope kind. Full wildcard rules (`*` on `*` in
/// `*`) are left out: they are reported once as such, not again under each capability.
pub fn role_clauses<'a>(
    scopes: &Scopes,
    rules: impl Iterator<Item = (RuleRef, &'a PolicyRule)> + Clone,
    scope: ScopeKind,
) -> [Option<ClauseHit>; CLAUSE_COUNT] {
    let mut out: [Option<ClauseHit>; CLAUSE_COUNT] = std::array::from_fn(|_| None);
    for (rr, rule) in rules {
        if rule.is_full_wildcard() || rule.resources.is_empty() {
            continue;
        }
        for c in ALL_CLAUSES {
            for perm in perms(c) {
                if let Some((level, what)) = grant(scopes, rule, perm, scope) {
                    let hit = ClauseHit {
                        rule: rr,
                        level,
                        weak: perm.weak,
                        what,
                    };
                    let slot = &mut out[c as usize];
                    if slot.as_ref().is_none_or(|h| hit.rank() > h.rank()) {
                        *slot = Some(hit);
                    }
                }
            }
        }
    }
    out
}
