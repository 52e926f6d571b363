//! Audit policy evaluation as the API server does it (`k8s.io/apiserver/pkg/audit/policy`):
//! the first rule that matches a request sets its level and, together with the policy's own
//! `omitStages`, the stages left out; a request no rule matches is not logged.
//!
//! A rule matches when every selector it sets matches: `users` (the user name), `userGroups`
//! (any of the user's groups), `verbs`; then, when `namespaces` or `resources` is set, only
//! resource requests match, in one of the namespaces (`""` is cluster-scoped) and one of the
//! `resources[]` (`group` exactly, `resources` as `pods`, `pods/exec`, `*`, `*/exec`,
//! `pods/*`, narrowed by `resourceNames`); when `nonResourceURLs` is set, only non-resource
//! requests match, by exact path, `*`, or a `prefix*`.

use kubeward_core::{Node, Object};

/// The configuration file kind these rules look at.
pub const KINDS: &[&str] = &["Policy"];

/// Audit levels, ordered by how much they record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Metadata,
    Request,
    RequestResponse,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "None" => Level::None,
            "Metadata" => Level::Metadata,
            "Request" => Level::Request,
            "RequestResponse" => Level::RequestResponse,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "None",
            Level::Metadata => "Metadata",
            Level::Request => "Request",
            Level::RequestResponse => "RequestResponse",
        }
    }
}

/// One `rules[]` entry.
pub struct PolicyRule<'a> {
    pub index: usize,
    pub node: &'a Node,
    /// `None` when `level` is missing or not a level (the API server rejects the file).
    pub level: Option<Level>,
    pub users: Vec<&'a str>,
    pub user_groups: Vec<&'a str>,
    pub verbs: Vec<&'a str>,
    pub namespaces: Vec<&'a str>,
    pub resources: Vec<GroupResources<'a>>,
    pub non_resource_urls: Vec<&'a str>,
    pub omit_stages: Vec<&'a str>,
}

pub struct GroupResources<'a> {
    pub group: &'a str,
    pub resources: Vec<&'a str>,
    pub resource_names: Vec<&'a str>,
}

impl PolicyRule<'_> {
    pub fn pointer(&self) -> String {
        format!("/rules/{}", self.index)
    }

    /// A rule with no selector matches every request.
    pub fn matches_everything(&self) -> bool {
        self.users.is_empty()
            && self.user_groups.is_empty()
            && self.verbs.is_empty()
            && self.namespaces.is_empty()
            && self.resources.is_empty()
            && self.non_resource_urls.is_empty()
    }
}

/// A parsed Policy.
pub struct Policy<'a> {
    pub rules: Vec<PolicyRule<'a>>,
    pub omit_stages: Vec<&'a str>,
}

fn strings(n: Option<&Node>) -> Vec<&str> {
    n.map(|n| n.items().iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default()
}

/// The Policy in `o`, `None` for any other object.
pub fn policy(o: &Object) -> Option<Policy<'_>> {
    if o.group() != "audit.k8s.io" || o.kind != "Policy" {
        return None;
    }
    let rules = o
        .root
        .get("rules")
        .map(|r| r.items())
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(index, n)| PolicyRule {
            index,
            node: n,
            level: n.str_at("level").and_then(Level::parse),
            users: strings(n.get("users")),
            user_groups: strings(n.get("userGroups")),
            verbs: strings(n.get("verbs")),
            namespaces: strings(n.get("namespaces")),
            resources: n
                .get("resources")
                .map(|r| r.items())
                .unwrap_or_default()
                .iter()
                .map(|g| GroupResources {
                    group: g.str_at("group").unwrap_or(""),
                    resources: strings(g.get("resources")),
                    resource_names: strings(g.get("resourceNames")),
                })
                .collect(),
            non_resource_urls: strings(n.get("nonResourceURLs")),
            omit_stages: strings(n.get("omitStages")),
        })
        .collect();
    Some(Policy {
        rules,
        omit_stages: strings(o.root.get("omitStages")),
    })
}

/// A request to evaluate the policy on.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub user: &'a str,
    pub groups: &'a [&'a str],
    pub verb: &'a str,
    pub target: Target<'a>,
}

#[derive(Clone, Debug)]
pub enum Target<'a> {
    Resource {
        group: &'a str,
        resource: &'a str,
        subresource: &'a str,
        /// `""` for cluster-scoped resources.
        namespace: &'a str,
        /// `""` for create and collection requests.
        name: &'a str,
    },
    NonResource {
        path: &'a str,
    },
}

impl Request<'_> {
    /// `create pods/exec in namespace default by system:serviceaccount:...`
    pub fn describe(&self) -> String {
        match &self.target {
            Target::Resource {
                group,
                resource,
                subresource,
                namespace,
                ..
            } => {
                let mut r = resource.to_string();
                if !subresource.is_empty() {
                    r = format!("{r}/{subresource}");
                }
                if !group.is_empty() {
                    r = format!("{r}.{group}");
                }
                let ns = if namespace.is_empty() {
                    String::new()
                } else {
                    format!(" in namespace {namespace}")
                };
                format!("`{} {r}`{ns} by {}", self.verb, self.user)
            }
            Target::NonResource { path } => format!("`{} {path}` by {}", self.verb, self.user),
        }
    }
}

fn path_matches(path: &str, spec: &str) -> bool {
    spec == "*"
        || spec == path
        || (spec.ends_with('*') && path.starts_with(spec.trim_end_matches('*')))
}

impl PolicyRule<'_> {
    /// Whether this rule matches `req` (the API server's `ruleMatches`).
    pub fn matches(&self, req: &Request<'_>) -> bool {
        if !self.users.is_empty() && !self.users.contains(&req.user) {
            return false;
        }
        if !self.user_groups.is_empty() && !req.groups.iter().any(|g| self.user_groups.contains(g))
        {
            return false;
        }
        if !self.verbs.is_empty() && !self.verbs.contains(&req.verb) {
            return false;
        }
        if !self.namespaces.is_empty() || !self.resources.is_empty() {
            let Target::Resource {
                group,
                resource,
                subresource,
                namespace,
                name,
            } = &req.target
            else {
                return false;
            };
            if !self.namespaces.is_empty() && !self.namespaces.contains(namespace) {
                return false;
            }
            if self.resources.is_empty() {
                return true;
            }
            let combined = if subresource.is_empty() {
                resource.to_string()
            } else {
                format!("{resource}/{subresource}")
            };
            return self.resources.iter().any(|gr| {
                gr.group == *group
                    && (gr.resources.is_empty()
                        || gr.resources.iter().any(|res| {
                            (gr.resource_names.is_empty() || gr.resource_names.contains(name))
                                && (*res == combined
                                    || *res == "*"
                                    || (!subresource.is_empty()
                                        && res.strip_prefix("*/") == Some(subresource))
                                    || res.strip_suffix("/*") == Some(resource))
                        }))
            });
        }
        if !self.non_resource_urls.is_empty() {
            let Target::NonResource { path } = &req.target else {
                return false;
            };
            return self.non_resource_urls.iter().any(|s| path_matches(path, s));
        }
        true
    }
}

/// What the policy does with a request.
pub struct Outcome<'p, 'a> {
    /// The rule that decided, `None` when no rule matched (the request is not logged).
    pub rule: Option<&'p PolicyRule<'a>>,
    pub level: Level,
    /// Stages left out: the policy's and the rule's `omitStages`.
    pub omit_stages: Vec<&'a str>,
}

impl Outcome<'_, '_> {
    /// The pointer of the deciding rule, or of `rules` when none matched.
    pub fn pointer(&self) -> String {
        self.rule
            .map(|r| r.pointer())
            .unwrap_or_else(|| "/rules".to_string())
    }

    /// `rules[3] (None)` or `no rule`.
    pub fn because(&self) -> String {
        match self.rule {
            Some(r) => format!("rules[{}] matches first", r.index),
            None => "no rule matches it".to_string(),
        }
    }
}

impl<'a> Policy<'a> {
    /// Evaluates `req` (the API server's `LevelAndStages`). A rule without a valid level
    /// counts as `None`; the file is invalid then and KW-MON-001 says so.
    pub fn evaluate<'p>(&'p self, req: &Request<'_>) -> Outcome<'p, 'a> {
        match self.rules.iter().find(|r| r.matches(req)) {
            Some(r) => {
                let mut omit = self.omit_stages.clone();
                for s in &r.omit_stages {
                    if !omit.contains(s) {
                        omit.push(s);
                    }
                }
                Outcome {
                    rule: Some(r),
                    level: r.level.unwrap_or(Level::None),
                    omit_stages: omit,
                }
            }
            None => Outcome {
                rule: None,
                level: Level::None,
                omit_stages: self.omit_stages.clone(),
            },
        }
    }
}

/// The identities an attacker may act as: an ordinary user, a workload's service account and
/// an unauthenticated caller. System components (`system:node:*`, `system:kube-proxy`) are left
/// out: policies rightly drop their high-volume calls.
pub const IDENTITIES: &[(&str, &[&str])] = &[
    ("alice (a user)", &["system:authenticated", "developers"]),
    (
        "system:serviceaccount:apps:default",
        &[
            "system:serviceaccounts",
            "system:serviceaccounts:apps",
            "system:authenticated",
        ],
    ),
    ("system:anonymous", &["system:unauthenticated"]),
];

/// Namespaces requests are tried in.
pub const NAMESPACES: &[&str] = &["default", "kube-system", "apps"];

/// Every (identity, namespace) combination of a resource request; cluster-scoped when
/// `cluster_scoped`.
pub fn requests<'a>(
    verb: &'a str,
    group: &'a str,
    resource: &'a str,
    subresource: &'a str,
    cluster_scoped: bool,
) -> Vec<Request<'a>> {
    let namespaces: &[&str] = if cluster_scoped { &[""] } else { NAMESPACES };
    let name = if verb == "create" && subresource.is_empty() {
        ""
    } else {
        "kubeward-probe"
    };
    let mut out = Vec::new();
    for (user, groups) in IDENTITIES {
        for ns in namespaces {
            out.push(Request {
                user: user.split(' ').next().unwrap_or(user),
                groups,
                verb,
                target: Target::Resource {
                    group,
                    resource,
                    subresource,
                    namespace: ns,
                    name,
                },
            });
        }
    }
    out
}

/// The first request of `reqs` the policy does not log (level None), with its outcome.
pub fn first_unlogged<'p, 'a, 'r>(
    p: &'p Policy<'a>,
    reqs: &'r [Request<'r>],
) -> Option<(&'r Request<'r>, Outcome<'p, 'a>)> {
    reqs.iter().find_map(|r| {
        let o = p.evaluate(r);
        (o.level == Level::None).then_some((r, o))
    })
}

/// Reports, for each group of requests, the first one that is not logged, at the rule that
/// drops it. Shared by the coverage rules (exec, RBAC, pods).
pub fn report_unlogged(
    ctx: &kubeward_core::ObjectCtx<'_>,
    out: &mut kubeward_core::Emitter<'_>,
    what: &str,
    reqs: &[Request<'_>],
) {
    let Some(p) = policy(ctx.object) else { return };
    if p.rules.is_empty() {
        return; // KW-MON-001
    }
    let Some((r, o)) = first_unlogged(&p, reqs) else {
        return;
    };
    let more = reqs
        .iter()
        .filter(|r| p.evaluate(r).level == Level::None)
        .count()
        - 1;
    out.report(
        ctx.object,
        o.pointer(),
        format!(
            "{what} is not logged: {} is at level None ({}){}",
            r.describe(),
            o.because(),
            if more > 0 {
                format!(", and {more} more such requests")
            } else {
                String::new()
            }
        ),
    )
    .key(what.to_string());
}

#[cfg(test)]
pub(crate) fn policy_yaml(body: &str) -> String {
    format!("apiVersion: audit.k8s.io/v1\nkind: Policy\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_core::testing::load;

    fn req<'a>(verb: &'a str, group: &'a str, res: &'a str, sub: &'a str) -> Request<'a> {
        Request {
            user: "alice",
            groups: &["system:authenticated"],
            verb,
            target: Target::Resource {
                group,
                resource: res,
                subresource: sub,
                namespace: "default",
                name: "x",
            },
        }
    }

    #[test]
    fn first_match_wins_with_api_server_semantics() {
        let l = load(&policy_yaml(
            "omitStages: [RequestReceived]\nrules:\n\
             - level: None\n  users: [system:kube-proxy]\n\
             - level: RequestResponse\n  resources: [{group: '', resources: ['*/exec']}]\n  omitStages: [ResponseStarted]\n\
             - level: Metadata\n  resources: [{group: '', resources: [secrets], resourceNames: [x]}]\n\
             - level: Request\n  resources: [{group: '', resources: ['pods/*']}]\n\
             - level: None\n  namespaces: [kube-system]\n\
             - level: None\n  nonResourceURLs: ['/healthz*']\n\
             - level: Metadata\n",
        ));
        let p = policy(&l.inventory.objects()[0]).unwrap();
        let lv = |r: &Request| {
            let o = p.evaluate(r);
            (o.level, o.rule.map(|r| r.index))
        };
        assert_eq!(
            lv(&req("create", "", "pods", "exec")),
            (Level::RequestResponse, Some(1))
        );
        assert_eq!(
            p.evaluate(&req("create", "", "pods", "exec")).omit_stages,
            ["RequestReceived", "ResponseStarted"]
        );
        assert_eq!(
            lv(&req("get", "", "secrets", "")),
            (Level::Metadata, Some(2))
        );
        // `pods` does not match a subresource; `pods/*` does.
        assert_eq!(
            lv(&req("get", "", "pods", "log")),
            (Level::Request, Some(3))
        );
        // As in the API server, `pods/*` also matches `pods` itself.
        assert_eq!(lv(&req("get", "", "pods", "")), (Level::Request, Some(3)));
        assert_eq!(lv(&req("get", "", "nodes", "")), (Level::Metadata, Some(6)));
        // The group must match exactly.
        assert_eq!(
            lv(&req("get", "apps", "pods", "exec")),
            (Level::Metadata, Some(6))
        );
        let mut ks = req("get", "", "configmaps", "");
        if let Target::Resource { namespace, .. } = &mut ks.target {
            *namespace = "kube-system";
        }
        assert_eq!(lv(&ks), (Level::None, Some(4)));
        let health = Request {
            user: "alice",
            groups: &[],
            verb: "get",
            target: Target::NonResource {
                path: "/healthz/etcd",
            },
        };
        assert_eq!(lv(&health), (Level::None, Some(5)));
        let proxy = Request {
            user: "system:kube-proxy",
            ..req("watch", "", "endpoints", "")
        };
        assert_eq!(lv(&proxy), (Level::None, Some(0)));
    }

    #[test]
    fn no_match_is_not_logged() {
        let l = load(&policy_yaml(
            "rules:\n- level: Metadata\n  userGroups: [developers]\n",
        ));
        let p = policy(&l.inventory.objects()[0]).unwrap();
        let o = p.evaluate(&req("get", "", "pods", ""));
        assert_eq!((o.level, o.rule.is_none()), (Level::None, true));
    }
}
