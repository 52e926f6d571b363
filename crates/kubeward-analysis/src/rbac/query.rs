//! The answers behind `kubeward rbac who-can` and `kubeward rbac can`, and their text and JSON
//! forms.

use super::analysis::Analysis;
use super::authz::{self, Identity, MASTERS, Request, WhoCan};
use super::model::{Model, Principal, RuleRef, Str};
use super::resources::{self, Scopes};
use kubeward_core::{Inventory, PodSpec};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// A who-can question as typed on the command line.
#[derive(Clone, Debug)]
pub struct WhoCanQuery {
    pub verb: String,
    /// `pods`, `pods/exec`, `deployments.apps/scale`, or a non-resource URL (`/healthz`).
    pub resource: String,
    /// `None`: any namespace.
    pub namespace: Option<String>,
    pub name: Option<String>,
}

/// The request(s) a query stands for, and notes for the user.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// One request per namespace asked about (`""` = cluster-wide / non-resource).
    pub requests: Vec<Request>,
    pub description: String,
    pub warnings: Vec<String>,
}

/// Turns a query into authorizer requests: resource names resolved like kubectl, cluster-scoped
/// resources asked without a namespace (as the real request carries none), a Namespace object
/// asked in its own namespace, and "any namespace" expanded to every namespace that has
/// RoleBindings.
pub fn resolve(inv: &Inventory, model: &Model, q: &WhoCanQuery) -> Resolved {
    let mut warnings = Vec::new();
    if q.resource.starts_with('/') {
        if q.namespace.is_some() || q.name.is_some() {
            warnings.push("a non-resource URL has no namespace or name; -n/--name ignored".into());
        }
        return Resolved {
            requests: vec![Request::url(&q.verb, &q.resource)],
            description: format!("{} {}", q.verb, q.resource),
            warnings,
        };
    }
    let (res, sub) = match q.resource.split_once('/') {
        Some((r, s)) => (r, s),
        None => (q.resource.as_str(), ""),
    };
    let r = resources::resolve(Some(inv), res);
    if !r.known {
        warnings.push(format!(
            "resource `{res}` is not a built-in resource or a CRD in the input; asking about `{}` in API group \"{}\" as written",
            r.resource, r.group
        ));
    }
    let scopes = Scopes::new(inv);
    let namespaced = r.resource == "*" || scopes.namespaced(&r.group, &r.resource);
    let combined = if sub.is_empty() {
        r.resource.clone()
    } else {
        format!("{}/{sub}", r.resource)
    };
    let group_text = if r.group.is_empty() {
        "core".to_string()
    } else {
        r.group.clone()
    };
    let base = |ns: &str| {
        let mut req = Request::resource(&q.verb, ns, &r.group, &combined);
        if let Some(n) = &q.name {
            req.name = n.clone();
        }
        req
    };
    let named = q
        .name
        .as_ref()
        .map(|n| format!(" named {n}"))
        .unwrap_or_default();
    let mut requests = Vec::new();
    let where_;
    if r.resource == "namespaces" && !r.group.is_empty() {
        where_ = "cluster-wide".to_string();
        requests.push(base(""));
    } else if r.resource == "namespaces" && q.name.is_some() {
        // GET /api/v1/namespaces/NAME carries NAME as its namespace.
        let n = q.name.clone().unwrap_or_default();
        if q.namespace.as_deref().is_some_and(|ns| ns != n) {
            warnings.push(format!(
                "a request for Namespace {n} is made in namespace {n}; -n ignored"
            ));
        }
        where_ = format!("(request namespace {n})");
        requests.push(base(&n));
    } else if !namespaced {
        if q.namespace.is_some() {
            warnings.push(format!(
                "`{}` is cluster-scoped: only ClusterRoleBindings can grant it, -n ignored (kubectl auth can-i would still send the namespace and let RoleBindings answer)",
                r.resource
            ));
        }
        where_ = "cluster-wide".to_string();
        requests.push(base(""));
    } else if let Some(ns) = &q.namespace {
        where_ = format!("in namespace {ns}");
        requests.push(base(ns));
    } else {
        where_ = "in any namespace".to_string();
        requests.push(base(""));
        let mut nss: Vec<&Str> = model.namespace_bindings.keys().collect();
        nss.sort();
        for ns in nss {
            requests.push(base(ns));
        }
    }
    Resolved {
        requests,
        description: format!(
            "{} {combined}{named} (apiGroup {group_text}) {where_}",
            q.verb
        ),
        warnings,
    }
}

/// Merged who-can answers over the requests.
pub fn who_can(model: &Model, r: &Resolved) -> (Vec<WhoCan>, Vec<WhoCan>) {
    let merge = |lists: Vec<Vec<WhoCan>>| -> Vec<WhoCan> {
        let mut by: BTreeMap<Principal, WhoCan> = BTreeMap::new();
        for l in lists {
            for w in l {
                let e = by.entry(w.principal.clone()).or_insert_with(|| WhoCan {
                    principal: w.principal.clone(),
                    via: Vec::new(),
                    names: Vec::new(),
                });
                e.via.extend(w.via);
                e.names.extend(w.names);
            }
        }
        by.into_values()
            .map(|mut w| {
                w.via.sort();
                w.via.dedup();
                w.names.sort();
                w.names.dedup();
                w
            })
            .collect()
    };
    let full = merge(
        r.requests
            .iter()
            .map(|q| authz::who_can(model, q))
            .collect(),
    );
    let named = if r
        .requests
        .iter()
        .any(|q| q.name.is_empty() && q.path.is_none())
    {
        let fulls: BTreeSet<&Principal> = full.iter().map(|w| &w.principal).collect();
        merge(
            r.requests
                .iter()
                .map(|q| authz::who_can_some(model, q))
                .collect(),
        )
        .into_iter()
        .filter(|w| !fulls.contains(&w.principal))
        .collect()
    } else {
        Vec::new()
    };
    (full, named)
}

fn subject_json(p: &Principal) -> (String, String, Value) {
    match p {
        Principal::User(n) => ("User".into(), n.to_string(), Value::Null),
        Principal::Group(n) => ("Group".into(), n.to_string(), Value::Null),
        Principal::ServiceAccount(ns, n) => (
            "ServiceAccount".into(),
            n.to_string(),
            Value::String(ns.to_string()),
        ),
    }
}

/// `(binding, role)` pairs of an answer, deduplicated, in order.
fn via_pairs(model: &Model, via: &[(u32, RuleRef)]) -> Vec<(String, String, bool)> {
    let mut out: Vec<(String, String, bool)> = Vec::new();
    for (b, _) in via {
        let b = model.binding(*b);
        let role = b
            .role
            .map(|r| model.role(r).id())
            .unwrap_or_else(|| format!("{}/{}", b.role_kind, b.role_name));
        let boot = b.origin.is_bootstrap();
        let t = (b.id(), role, boot);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// `{"subjects":[{"kind","name","namespace","via":[{"binding","role"}]}]}`.
pub fn who_can_json(model: &Model, subjects: &[WhoCan]) -> Value {
    let list: Vec<Value> = subjects
        .iter()
        .map(|w| {
            let (kind, name, ns) = subject_json(&w.principal);
            let via: Vec<Value> = via_pairs(model, &w.via)
                .into_iter()
                .map(|(b, r, _)| json!({"binding": b, "role": r}))
                .collect();
            json!({"kind": kind, "name": name, "namespace": ns, "via": via})
        })
        .collect();
    json!({ "subjects": list })
}

fn group_note(p: &Principal) -> Option<&'static str> {
    match p {
        Principal::Group(g) if g == MASTERS => {
            Some("superuser group: allowed before RBAC is asked, binding or not")
        }
        Principal::Group(g) if g == authz::AUTHENTICATED => {
            Some("every authenticated user and service account")
        }
        Principal::Group(g) if g == authz::UNAUTHENTICATED => {
            Some("anyone who can reach the API server")
        }
        Principal::User(u) if u == authz::ANONYMOUS => Some("anyone who can reach the API server"),
        Principal::Group(g) if g == authz::SERVICEACCOUNTS => Some("every service account"),
        Principal::Group(g) if g.starts_with("system:serviceaccounts:") => {
            Some("every service account of the namespace")
        }
        _ => None,
    }
}

/// The text table of a who-can answer.
pub fn who_can_text(model: &Model, r: &Resolved, full: &[WhoCan], named: &[WhoCan]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Who can {}:\n", r.description);
    let rows = |list: &[WhoCan], names: bool| -> Vec<(String, String)> {
        let mut rows = Vec::new();
        for w in list {
            let subject = w.principal.display();
            let mut lines: Vec<String> = Vec::new();
            if let Some(n) = group_note(&w.principal) {
                lines.push(format!("({n})"));
            }
            for (b, role, boot) in via_pairs(model, &w.via) {
                lines.push(format!(
                    "{b} → {role}{}",
                    if boot { "  [kubeadm default]" } else { "" }
                ));
            }
            if names && !w.names.is_empty() {
                let n: Vec<&str> = w.names.iter().map(|s| s.as_str()).collect();
                lines.push(format!("only: {}", n.join(", ")));
            }
            for (i, l) in lines.into_iter().enumerate() {
                rows.push((
                    if i == 0 {
                        subject.clone()
                    } else {
                        String::new()
                    },
                    l,
                ));
            }
        }
        rows
    };
    let print = |o: &mut String, rows: Vec<(String, String)>| {
        let w = rows
            .iter()
            .map(|r| r.0.chars().count())
            .max()
            .unwrap_or(7)
            .max(7);
        let _ = writeln!(o, "{:<w$}  VIA", "SUBJECT");
        for (s, v) in rows {
            let _ = writeln!(o, "{s:<w$}  {v}");
        }
    };
    print(&mut o, rows(full, false));
    if !named.is_empty() {
        let _ = writeln!(
            o,
            "\nAllowed only for named objects (resourceNames; ask with --name NAME):\n"
        );
        print(&mut o, rows(named, true));
    }
    let _ = writeln!(
        o,
        "\n{} subject{}. Not modelled: authorizers other than RBAC (the Node authorizer for kubelets, webhooks).",
        full.len(),
        if full.len() == 1 { "" } else { "s" }
    );
    o
}

/// A subject named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectSpec {
    User(String),
    Group(String),
    ServiceAccount(String, String),
    Pod(String, String),
}

impl SubjectSpec {
    /// `user:alice`, `group:dev`, `sa:ns/name` (or `sa:ns:name`), `pod:ns/name`.
    pub fn parse(s: &str) -> Result<SubjectSpec, QueryError> {
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| QueryError::SubjectShape(s.to_string()))?;
        let two = |r: &str| -> Result<(String, String), QueryError> {
            match r.split_once('/').or_else(|| r.split_once(':')) {
                Some((a, b)) if !a.is_empty() && !b.is_empty() => {
                    Ok((a.to_string(), b.to_string()))
                }
                _ => Err(QueryError::NamespaceName(s.to_string())),
            }
        };
        if rest.is_empty() {
            return Err(QueryError::EmptyName(s.to_string()));
        }
        match kind.to_ascii_lowercase().as_str() {
            "user" | "u" => Ok(SubjectSpec::User(rest.into())),
            "group" | "g" => Ok(SubjectSpec::Group(rest.into())),
            "sa" | "serviceaccount" => two(rest).map(|(a, b)| SubjectSpec::ServiceAccount(a, b)),
            "pod" | "workload" => two(rest).map(|(a, b)| SubjectSpec::Pod(a, b)),
            _ => Err(QueryError::UnknownKind {
                subject: s.to_string(),
                kind: kind.to_string(),
            }),
        }
    }
}

/// A subject on the command line that cannot be read. Prints the text the CLI has always shown.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// No `KIND:` prefix.
    #[error("subject `{0}`: expected user:NAME, group:NAME, sa:NS/NAME or pod:NS/NAME")]
    SubjectShape(String),
    /// A service account or pod not written `NAMESPACE/NAME`.
    #[error("subject `{0}`: expected NAMESPACE/NAME")]
    NamespaceName(String),
    /// Nothing after `KIND:`.
    #[error("subject `{0}`: the name is empty")]
    EmptyName(String),
    /// A kind other than user, group, sa or pod.
    #[error("subject `{subject}`: unknown kind `{kind}` (expected user, group, sa or pod)")]
    UnknownKind { subject: String, kind: String },
}

/// Who a `can` question is about.
#[derive(Clone, Debug)]
pub struct Subject {
    pub identity: Identity,
    pub label: String,
    /// Notes (how a pod's token is mounted, or that it is not).
    pub notes: Vec<String>,
    /// A pod (or workload) that mounts no service-account token: it cannot use what its
    /// ServiceAccount is granted.
    pub no_token: bool,
}

/// Resolves a subject; pods resolve through their service account token(s). A pod name finds a
/// Pod or any workload kind of that name.
pub fn resolve_subject(
    inv: &Inventory,
    a: &Analysis,
    s: &SubjectSpec,
) -> Result<Vec<Subject>, String> {
    Ok(match s {
        SubjectSpec::User(u) => vec![Subject {
            identity: Identity::user(u, &[]),
            label: format!("User {u}"),
            notes: Vec::new(),
            no_token: false,
        }],
        SubjectSpec::Group(g) => vec![Subject {
            identity: Identity::group_member(g),
            label: format!("a member of Group {g}"),
            notes: Vec::new(),
            no_token: false,
        }],
        SubjectSpec::ServiceAccount(ns, n) => vec![Subject {
            identity: Identity::service_account(ns, n),
            label: format!("ServiceAccount {ns}/{n}"),
            notes: Vec::new(),
            no_token: false,
        }],
        SubjectSpec::Pod(ns, n) => {
            // Built-in workload kinds first, then custom resources with a pod spec (Argo
            // Rollouts, Knative Services, ...) and Argo Workflows objects, whose templates may
            // run pods under several service accounts (one subject each).
            let obj =
                kubeward_core::podspec::WORKLOAD_KINDS
                    .iter()
                    .filter_map(|k| inv.get(k, Some(ns), n))
                    .find(|o| PodSpec::of(o).is_some())
                    .or_else(|| {
                        inv.workloads()
                            .chain(inv.in_namespace(Some(ns)).filter(|o| {
                                kubeward_core::argo::workflow_spec_pointer(o).is_some()
                            }))
                            .filter(|o| o.namespace() == Some(ns) && o.name == n)
                            .last()
                    })
                    .ok_or_else(|| format!("no Pod or workload {ns}/{n} in the input"))?;
            let ws: Vec<&super::workloads::Workload> =
                a.workloads.iter().filter(|w| w.object == obj.id).collect();
            if ws.is_empty() {
                let why = if kubeward_core::argo::workflow_spec_pointer(obj).is_some() {
                    "runs no pod of its own (no container, script or containerSet template)"
                } else {
                    "is managed by a controller in the input; ask about the controller"
                };
                return Err(format!("{} {why}", obj.display()));
            }
            let mut out = Vec::new();
            for w in ws {
                out.extend(workload_subjects(obj, w));
            }
            out
        }
    })
}

/// The identities a workload's pods can act as: one per mounted token, or the account with a
/// note when none is mounted.
fn workload_subjects(obj: &kubeward_core::Object, w: &super::workloads::Workload) -> Vec<Subject> {
    if w.tokens.is_empty() {
        vec![Subject {
            identity: Identity::service_account(&w.namespace, &w.service_account),
            label: format!(
                "{} (ServiceAccount {}/{})",
                obj.display(),
                w.namespace,
                w.service_account
            ),
            notes: vec![format!(
                "no service-account token is mounted into {}: its containers cannot use these permissions unless they obtain a token another way",
                obj.display()
            )],
            no_token: true,
        }]
    } else {
        w.tokens
            .iter()
            .map(|t| Subject {
                identity: Identity::service_account(&t.namespace, &t.service_account),
                label: format!(
                    "{} (token of ServiceAccount {}/{})",
                    obj.display(),
                    t.namespace,
                    t.service_account
                ),
                notes: vec![format!("token: {}", t.how)],
                no_token: false,
            })
            .collect()
    }
}

/// One row of a `can` table (kubectl's breakdown: one resource or URL per row, verbs merged).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CanRow {
    /// `None`: cluster-wide.
    pub namespace: Option<String>,
    pub resource: String,
    pub url: String,
    pub names: Vec<String>,
    pub verbs: Vec<String>,
    pub binding: String,
    pub role: String,
}

/// `kubectl auth can-i --list`-style rows for an identity.
pub fn can_rows(model: &Model, id: &Identity, namespace: Option<&str>) -> Vec<CanRow> {
    type Key = (Option<String>, String, String, Vec<String>, String, String);
    let mut by: BTreeMap<Key, BTreeSet<String>> = BTreeMap::new();
    for g in authz::grants(model, id, namespace) {
        let rule = model.rule(g.rule);
        let b = model.binding(g.binding);
        let role = b.role.map(|r| model.role(r).id()).unwrap_or_default();
        let ns = g.namespace.as_ref().map(|s| s.to_string());
        let names: Vec<String> = rule.resource_names.iter().map(|s| s.to_string()).collect();
        let mut keys = Vec::new();
        for group in &rule.api_groups {
            for res in &rule.resources {
                let r = match (group.as_str(), res.as_str()) {
                    ("*", "*") => "*.*".to_string(),
                    ("", r) => r.to_string(),
                    (g, r) => format!("{r}.{g}"),
                };
                keys.push((r, String::new()));
            }
        }
        for u in &rule.non_resource_urls {
            keys.push((String::new(), u.to_string()));
        }
        for (r, u) in keys {
            by.entry((ns.clone(), r, u, names.clone(), b.id(), role.clone()))
                .or_default()
                .extend(rule.verbs.iter().map(|v| v.to_string()));
        }
    }
    let mut rows: Vec<CanRow> = by
        .into_iter()
        .map(
            |((namespace, resource, url, names, binding, role), verbs)| CanRow {
                namespace,
                resource,
                url,
                names,
                verbs: verbs.into_iter().collect(),
                binding,
                role,
            },
        )
        .collect();
    rows.sort();
    rows
}

fn list(v: &[String]) -> String {
    format!("[{}]", v.join(" "))
}

/// The text table of a `can` answer.
pub fn can_text(subject: &Subject, rows: &[CanRow], namespace: Option<&str>) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "What {} can do{} (user {:?}, groups {}):",
        subject.label,
        namespace
            .map(|n| format!(" in namespace {n}"))
            .unwrap_or_default(),
        subject.identity.user,
        list(&subject.identity.groups)
    );
    for n in &subject.notes {
        let _ = writeln!(o, "  note: {n}");
    }
    if subject.identity.is_master() {
        let _ = writeln!(
            o,
            "  system:masters: every verb on every resource and URL, whatever the bindings say"
        );
    }
    let _ = writeln!(o);
    let header = [
        "NAMESPACE",
        "RESOURCES",
        "NON-RESOURCE URLS",
        "RESOURCE NAMES",
        "VERBS",
        "VIA",
    ];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.namespace.clone().unwrap_or_else(|| "*".into()),
                r.resource.clone(),
                if r.url.is_empty() {
                    "[]".into()
                } else {
                    format!("[{}]", r.url)
                },
                list(&r.names),
                list(&r.verbs),
                format!("{} → {}", r.binding, r.role),
            ]
        })
        .collect();
    let mut w = header.map(|h| h.len());
    for c in &cells {
        for i in 0..6 {
            w[i] = w[i].max(c[i].chars().count());
        }
    }
    let line = |o: &mut String, c: &[String]| {
        let mut s = String::new();
        for i in 0..6 {
            if i == 5 {
                s.push_str(&c[i]);
            } else {
                let _ = write!(s, "{:<width$}   ", c[i], width = w[i]);
            }
        }
        let _ = writeln!(o, "{}", s.trim_end());
    };
    line(&mut o, &header.map(String::from));
    for c in &cells {
        line(&mut o, c);
    }
    if rows.is_empty() {
        let _ = writeln!(o, "(no RBAC permissions)");
    }
    o
}

pub fn can_json(subject: &Subject, rows: &[CanRow]) -> Value {
    json!({
        "subject": subject.label,
        "user": subject.identity.user,
        "groups": subject.identity.groups,
        "superuser": subject.identity.is_master(),
        "notes": subject.notes,
        "rules": rows.iter().map(|r| json!({
            "namespace": r.namespace,
            "resources": if r.resource.is_empty() { vec![] } else { vec![r.resource.clone()] },
            "nonResourceURLs": if r.url.is_empty() { vec![] } else { vec![r.url.clone()] },
            "resourceNames": r.names,
            "verbs": r.verbs,
            "via": {"binding": r.binding, "role": r.role},
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subjects(yaml: &str, who: &str) -> Result<Vec<(String, bool)>, String> {
        let l = kubeward_core::testing::load(yaml);
        let a = Analysis::build(&l.inventory);
        let s = SubjectSpec::parse(who).map_err(|e| e.to_string())?;
        Ok(resolve_subject(&l.inventory, &a, &s)?
            .into_iter()
            .map(|s| (s.label, s.no_token))
            .collect())
    }

    #[test]
    fn subject_errors_carry_the_subject() {
        assert_eq!(
            SubjectSpec::parse("robot:x"),
            Err(QueryError::UnknownKind {
                subject: "robot:x".into(),
                kind: "robot".into()
            })
        );
        assert_eq!(
            SubjectSpec::parse("sa:lonely"),
            Err(QueryError::NamespaceName("sa:lonely".into()))
        );
        assert_eq!(
            SubjectSpec::parse("user:"),
            Err(QueryError::EmptyName("user:".into()))
        );
        let e = SubjectSpec::parse("alice").unwrap_err();
        assert_eq!(e, QueryError::SubjectShape("alice".into()));
        assert_eq!(
            e.to_string(),
            "subject `alice`: expected user:NAME, group:NAME, sa:NS/NAME or pod:NS/NAME"
        );
    }

    #[test]
    fn pods_of_custom_workloads_and_argo_templates_resolve() {
        let yaml = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: etl, namespace: shop}\n\
spec:\n  serviceAccountName: api\n  templates:\n  - name: a\n    container: {image: x}\n  \
- name: b\n    serviceAccountName: reader\n    automountServiceAccountToken: false\n    container: {image: x}\n  \
- name: c\n    steps: [[{name: s, template: a}]]\n---\n\
apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web, namespace: shop}\n\
spec:\n  template:\n    spec: {serviceAccountName: web, containers: [{name: c, image: x}]}\n---\n\
apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: steps-only, namespace: shop}\n\
spec:\n  templates: [{name: s, steps: []}]\n";
        assert_eq!(
            subjects(yaml, "pod:shop/etl").unwrap(),
            [
                (
                    "Workflow shop/etl (token of ServiceAccount shop/api)".to_string(),
                    false
                ),
                (
                    "Workflow shop/etl (ServiceAccount shop/reader)".to_string(),
                    true
                ),
            ]
        );
        assert_eq!(
            subjects(yaml, "pod:shop/web").unwrap(),
            [(
                "Rollout shop/web (token of ServiceAccount shop/web)".to_string(),
                false
            )]
        );
        let e = subjects(yaml, "pod:shop/steps-only").unwrap_err();
        assert!(e.contains("runs no pod of its own"), "{e}");
        let e = subjects(yaml, "pod:shop/none").unwrap_err();
        assert!(e.contains("no Pod or workload shop/none"), "{e}");
    }
}
