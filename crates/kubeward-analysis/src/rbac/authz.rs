//! The RBAC authorizer, offline: the same matching rules as kube-apiserver's RBAC authorizer
//! (verbs, API groups, resources with `*` and `*/subresource`, resourceNames, nonResourceURLs
//! with a trailing `*`), the same binding scoping (a RoleBinding only answers requests in its
//! own namespace, a ClusterRoleBinding answers all), the same subject matching (service
//! accounts by namespace and name, with a RoleBinding defaulting a missing namespace to its
//! own) and `system:masters`, which kube-apiserver allows everything before RBAC is asked.

use super::model::{BindingIdx, Model, PolicyRule, Principal, RuleRef, Str, split_sa_username};

/// The superuser group.
pub const MASTERS: &str = "system:masters";
pub const AUTHENTICATED: &str = "system:authenticated";
pub const UNAUTHENTICATED: &str = "system:unauthenticated";
pub const ANONYMOUS: &str = "system:anonymous";
pub const SERVICEACCOUNTS: &str = "system:serviceaccounts";

/// An authorization request, as a SubjectAccessReview carries it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    pub verb: String,
    /// Empty for cluster-scoped requests.
    pub namespace: String,
    pub api_group: String,
    pub resource: String,
    pub subresource: String,
    /// Empty when the request is not about one named object (list, create, deletecollection).
    pub name: String,
    /// Set for non-resource requests (`/healthz`); the resource fields are then ignored.
    pub path: Option<String>,
}

impl Request {
    pub fn resource(verb: &str, namespace: &str, group: &str, resource: &str) -> Request {
        let (res, sub) = match resource.split_once('/') {
            Some((r, s)) => (r, s),
            None => (resource, ""),
        };
        Request {
            verb: verb.into(),
            namespace: namespace.into(),
            api_group: group.into(),
            resource: res.into(),
            subresource: sub.into(),
            ..Request::default()
        }
    }
    pub fn named(mut self, name: &str) -> Request {
        self.name = name.into();
        self
    }
    pub fn url(verb: &str, path: &str) -> Request {
        Request {
            verb: verb.into(),
            path: Some(path.into()),
            ..Request::default()
        }
    }
    /// `pods/exec` or `pods`.
    pub fn combined_resource(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }
}

pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

pub fn group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == "*" || g == group)
}

/// `*` matches everything, `pods/exec` exactly, `*/exec` any resource's `exec` subresource.
/// There is no `pods/*`: it matches only a resource literally named so (none exists).
pub fn resource_matches(rule: &PolicyRule, combined: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|r| {
        r == "*"
            || r == combined
            || (!subresource.is_empty()
                && r.len() == subresource.len() + 2
                && r.starts_with("*/")
                && r.ends_with(subresource))
    })
}

/// No resourceNames: every name (including none). Otherwise the request's name must be listed;
/// a request without a name (list, create, deletecollection) only matches a listed `""`.
pub fn name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || rule.resource_names.iter().any(|n| n == name)
}

/// `*` matches every path; `/apis/*` every path starting with `/apis/`.
pub fn url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|u| {
        u == "*" || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
    })
}

/// Whether one rule allows the request.
pub fn rule_allows(rule: &PolicyRule, req: &Request) -> bool {
    match &req.path {
        Some(path) => verb_matches(rule, &req.verb) && url_matches(rule, path),
        None => {
            let combined = req.combined_resource();
            verb_matches(rule, &req.verb)
                && group_matches(rule, &req.api_group)
                && resource_matches(rule, &combined, &req.subresource)
                && name_matches(rule, &req.name)
        }
    }
}

/// As [`rule_allows`] ignoring resourceNames; returns the names the rule is limited to
/// (empty: any name). For "can they do it to some object" questions.
pub fn rule_allows_some<'r>(rule: &'r PolicyRule, req: &Request) -> Option<&'r [Str]> {
    if req.path.is_some() {
        return rule_allows(rule, req).then_some(&[]);
    }
    let combined = req.combined_resource();
    (verb_matches(rule, &req.verb)
        && group_matches(rule, &req.api_group)
        && resource_matches(rule, &combined, &req.subresource))
    .then_some(rule.resource_names.as_slice())
}

/// The user info of a request: a name and groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Empty for "some member of these groups" (no user bindings apply).
    pub user: String,
    pub groups: Vec<String>,
}

impl Identity {
    /// What authentication (or `kubectl --as NAME`) gives a user: `system:authenticated`, or
    /// `system:unauthenticated` for `system:anonymous`; a service account's username also
    /// gets `system:serviceaccounts` and `system:serviceaccounts:<ns>`.
    pub fn user(name: &str, extra_groups: &[&str]) -> Identity {
        let mut groups: Vec<String> = extra_groups.iter().map(|g| g.to_string()).collect();
        if let Some((ns, _)) = split_sa_username(name) {
            if extra_groups.is_empty() {
                groups.push(SERVICEACCOUNTS.into());
                groups.push(format!("{SERVICEACCOUNTS}:{ns}"));
            }
        }
        if name == ANONYMOUS {
            if !groups.iter().any(|g| g == UNAUTHENTICATED) {
                groups.push(UNAUTHENTICATED.into());
            }
        } else if !groups
            .iter()
            .any(|g| g == AUTHENTICATED || g == UNAUTHENTICATED)
        {
            groups.push(AUTHENTICATED.into());
        }
        Identity {
            user: name.into(),
            groups,
        }
    }

    pub fn service_account(namespace: &str, name: &str) -> Identity {
        Identity::user(&format!("system:serviceaccount:{namespace}:{name}"), &[])
    }

    /// A member of `group` about whom nothing else is known (plus `system:authenticated`,
    /// which every authenticated user has).
    pub fn group_member(group: &str) -> Identity {
        let mut groups = vec![group.to_string()];
        if group != AUTHENTICATED && group != UNAUTHENTICATED {
            groups.push(AUTHENTICATED.into());
        }
        Identity {
            user: String::new(),
            groups,
        }
    }

    /// The principals whose bindings apply to this identity.
    pub fn principals(&self) -> Vec<Principal> {
        let mut v = Vec::new();
        if !self.user.is_empty() {
            v.push(Principal::user(&self.user));
        }
        for g in &self.groups {
            v.push(Principal::Group(g.as_str().into()));
        }
        v
    }

    pub fn is_master(&self) -> bool {
        self.groups.iter().any(|g| g == MASTERS)
    }
}

/// Why a request is allowed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    /// The identity is in `system:masters`.
    Masters,
    /// A binding whose role has this rule.
    Rule {
        binding: BindingIdx,
        subject: u32,
        rule: RuleRef,
    },
}

/// Every reason `identity` may make `req` (empty: denied).
pub fn allowed(model: &Model, identity: &Identity, req: &Request) -> Vec<Via> {
    let mut out = Vec::new();
    if identity.is_master() {
        out.push(Via::Masters);
    }
    let ns = (!req.namespace.is_empty() && req.path.is_none()).then_some(req.namespace.as_str());
    for p in identity.principals() {
        for &(b, s) in model
            .by_principal
            .get(&p)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
        {
            let binding = model.binding(b);
            match binding.scope() {
                None => {}
                Some(bns) if Some(bns) == ns => {}
                Some(_) => continue,
            }
            let Some(role) = binding.role else { continue };
            for &r in &model.role(role).effective {
                if rule_allows(model.rule(r), req) {
                    out.push(Via::Rule {
                        binding: b,
                        subject: s,
                        rule: r,
                    });
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// One subject of a who-can answer, with the bindings that let it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct WhoCan {
    pub principal: Principal,
    /// `(binding, rule)` pairs; empty for `system:masters`.
    pub via: Vec<(BindingIdx, RuleRef)>,
    /// Names the permission is limited to, when only named objects are allowed (only filled
    /// by [`who_can_some`]).
    pub names: Vec<Str>,
}

/// Every subject that may make `req`, as the authorizer decides: `system:masters` always, then
/// each binding in scope whose role allows it.
pub fn who_can(model: &Model, req: &Request) -> Vec<WhoCan> {
    collect(model, req, false)
}

/// Subjects that may make `req` for some object name but not for the name in `req` (their
/// rules list resourceNames): what `--name` would unlock.
pub fn who_can_some(model: &Model, req: &Request) -> Vec<WhoCan> {
    collect(model, req, true)
}

fn collect(model: &Model, req: &Request, named_only: bool) -> Vec<WhoCan> {
    use std::collections::BTreeMap;
    let ns = (!req.namespace.is_empty() && req.path.is_none()).then_some(req.namespace.as_str());
    type Entry = (Vec<(BindingIdx, RuleRef)>, Vec<Str>);
    let mut by: BTreeMap<Principal, Entry> = BTreeMap::new();
    if !named_only {
        by.insert(Principal::Group(MASTERS.into()), (Vec::new(), Vec::new()));
    }
    for b in model.bindings_for_namespace(ns) {
        let binding = model.binding(b);
        let Some(role) = binding.role else { continue };
        for &r in &model.role(role).effective {
            let rule = model.rule(r);
            let (hit, names): (bool, &[Str]) = if named_only {
                match rule_allows_some(rule, req) {
                    Some(names) if !names.is_empty() && !rule_allows(rule, req) => (true, names),
                    _ => (false, &[]),
                }
            } else {
                (rule_allows(rule, req), &[])
            };
            if !hit {
                continue;
            }
            for s in &binding.subjects {
                if let Some(p) = &s.principal {
                    let e = by.entry(p.clone()).or_default();
                    e.0.push((b, r));
                    e.1.extend(names.iter().cloned());
                }
            }
        }
    }
    if named_only {
        // Subjects already allowed outright are not "named only".
        let full: std::collections::HashSet<Principal> = collect(model, req, false)
            .into_iter()
            .map(|w| w.principal)
            .collect();
        by.retain(|p, _| !full.contains(p));
    }
    by.into_iter()
        .map(|(principal, (mut via, mut names))| {
            via.sort();
            via.dedup();
            names.sort();
            names.dedup();
            WhoCan {
                principal,
                via,
                names,
            }
        })
        .collect()
}

/// One line of an identity's effective permissions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    /// `None`: cluster-wide (ClusterRoleBinding).
    pub namespace: Option<Str>,
    pub binding: BindingIdx,
    pub rule: RuleRef,
}

/// Every rule that applies to `identity`, with the namespace it applies in. `namespace` limits
/// the answer to what applies there (cluster-wide grants included), as `kubectl auth can-i
/// --list -n NS` does.
pub fn grants(model: &Model, identity: &Identity, namespace: Option<&str>) -> Vec<Grant> {
    let mut out = Vec::new();
    for p in identity.principals() {
        for &(b, _) in model
            .by_principal
            .get(&p)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
        {
            let binding = model.binding(b);
            let scope = binding.scope();
            if let (Some(want), Some(have)) = (namespace, scope) {
                if want != have {
                    continue;
                }
            }
            let Some(role) = binding.role else { continue };
            for &r in &model.role(role).effective {
                out.push(Grant {
                    namespace: scope.map(Str::from),
                    binding: b,
                    rule: r,
                });
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
