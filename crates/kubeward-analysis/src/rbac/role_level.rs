//! Role-level findings: a Role or ClusterRole of the input whose own rules grant a catalogue
//! capability is reported on that rule even when nothing in the input binds it (charts ship
//! roles whose bindings live elsewhere). Roles that some binding grants keep the
//! subject-centric findings of the catalogue rules; this is the fallback for the others, one
//! severity step lower. A ClusterRole aggregated into the default `admin`, `edit` or `view`
//! roles (label `rbac.authorization.k8s.io/aggregate-to-*: "true"`) is held by everyone who
//! holds those, so it is reported as bound, naming the role that aggregates it.
//!
//! Cost: one evaluation of the risk clauses per unbound role of the input (roles a binding
//! grants were evaluated by [`super::analysis::Analysis`] already and are skipped here).

use super::analysis::Cap;
use super::caps::{CLAUSE_COUNT, ClauseHit, Level, ScopeKind, role_clauses};
use super::model::{Model, Origin, RoleIdx, RoleKind};
use super::resources::Scopes;
use std::collections::{HashMap, HashSet};

/// One capability granted by the rules of one role that no binding grants.
#[derive(Clone, Debug)]
pub struct RoleGrant {
    pub cap: Cap,
    pub role: RoleIdx,
    /// One per clause, in clause order (one for FullAdmin).
    pub evidence: Vec<ClauseHit>,
    /// The default role that aggregates this ClusterRole (`view`, `edit` or `admin`, the
    /// narrowest), when it is aggregated into one: then it counts as bound.
    pub aggregated_into: Option<&'static str>,
}

impl RoleGrant {
    pub fn narrowed(&self) -> bool {
        self.evidence
            .iter()
            .any(|e| matches!(e.level, Level::Named(_)))
    }
    pub fn weak(&self) -> bool {
        self.evidence.iter().any(|e| e.weak)
    }
    pub fn own_namespace(&self) -> bool {
        self.evidence.iter().any(|e| e.level == Level::OwnNamespace)
    }
}

/// The default aggregated roles, narrowest first: a role aggregated into `view` is also in
/// `edit` and `admin`, which aggregate `view`.
pub const AGGREGATORS: [&str; 3] = ["view", "edit", "admin"];

/// The role grants of every input role that no binding grants.
pub fn compute(model: &Model, scopes: &Scopes) -> Vec<RoleGrant> {
    // Roles whose rules reach a subject through some binding (directly or aggregated).
    let mut bound: HashSet<RoleIdx> = HashSet::new();
    for b in &model.bindings {
        if let Some(r) = b.role {
            bound.insert(r);
            bound.extend(model.role(r).effective.iter().map(|e| e.role));
        }
    }
    // Roles aggregated into the default admin/edit/view (which no binding grants here).
    let mut aggregated: HashMap<RoleIdx, &'static str> = HashMap::new();
    for name in AGGREGATORS {
        let Some(i) = model.find_role(RoleKind::ClusterRole, None, name) else {
            continue;
        };
        if model.role(i).selectors.is_none() {
            continue;
        }
        for e in &model.role(i).effective {
            aggregated.entry(e.role).or_insert(name);
        }
    }
    let mut out = Vec::new();
    for (ri, role) in model.roles.iter().enumerate() {
        let ri = ri as RoleIdx;
        if !matches!(role.origin, Origin::Inventory(_))
            || role.stock
            || role.selectors.is_some()
            || bound.contains(&ri)
        {
            continue;
        }
        let agg = aggregated.get(&ri).copied();
        let scope = match role.kind {
            RoleKind::ClusterRole => ScopeKind::Cluster,
            RoleKind::Role => ScopeKind::Namespace,
        };
        if let Some(fr) = role
            .effective
            .iter()
            .find(|&&x| model.rule(x).is_full_wildcard())
        {
            out.push(RoleGrant {
                cap: Cap::FullAdmin,
                role: ri,
                evidence: vec![ClauseHit {
                    rule: *fr,
                    level: Level::Full,
                    weak: false,
                    what: ("*", "*"),
                }],
                aggregated_into: agg,
            });
        }
        let rules = role.effective.iter().map(|&x| (x, model.rule(x)));
        let set: [Option<ClauseHit>; CLAUSE_COUNT] = role_clauses(scopes, rules, scope);
        if set.iter().all(Option::is_none) {
            continue;
        }
        for cap in Cap::ALL {
            let clauses = cap.clauses();
            if cap == Cap::CreateObjects || clauses.is_empty() {
                continue;
            }
            if let Some(only) = cap.only_namespace() {
                // Where a ClusterRole is bound decides whether it reaches that namespace.
                if role.kind == RoleKind::ClusterRole || role.namespace.as_deref() != Some(only) {
                    continue;
                }
            }
            let ev: Option<Vec<ClauseHit>> =
                clauses.iter().map(|&c| set[c as usize].clone()).collect();
            if let Some(evidence) = ev {
                out.push(RoleGrant {
                    cap,
                    role: ri,
                    evidence,
                    aggregated_into: agg,
                });
            }
        }
    }
    out
}

/// The severity of a role-level finding: the rule's default, graded as the catalogue grades a
/// grant (one step up in kube-system, down for named objects, the own Namespace object only, or
/// older clusters only), then one step lower when no binding grants the role. An unbound
/// ClusterRole is graded as a grant in one namespace: where it will be bound is unknown.
pub fn severity(
    base: kubeward_core::Severity,
    model: &Model,
    g: &RoleGrant,
) -> kubeward_core::Severity {
    use super::rules::{down, namespaced_cap, up};
    let role = model.role(g.role);
    let in_kube_system = role.namespace.as_deref() == Some("kube-system");
    let mut s = base;
    if g.cap == Cap::FullAdmin {
        if role.kind == RoleKind::Role && !in_kube_system {
            s = down(s);
        }
    } else if namespaced_cap(g.cap) && in_kube_system {
        s = up(s);
    }
    if g.own_namespace() {
        s = down(s);
    }
    if g.narrowed() {
        s = down(s);
    }
    if g.weak() {
        s = down(s);
    }
    if g.aggregated_into.is_none() {
        s = down(s);
    }
    s
}

/// The message of a role-level finding.
pub fn message(model: &Model, g: &RoleGrant) -> String {
    let role = model.role(g.role);
    let rules: Vec<String> = g
        .evidence
        .iter()
        .map(|e| {
            let r = model.rule(e.rule);
            format!("rules[{}] ({})", r.index, r.describe())
        })
        .collect();
    let mut names: Vec<String> = g
        .evidence
        .iter()
        .filter_map(|e| match &e.level {
            Level::Named(n) => Some(n.iter().map(|x| x.to_string())),
            _ => None,
        })
        .flatten()
        .collect();
    names.sort();
    names.dedup();
    let mut s = format!(
        "{} grants what it takes to {}",
        role.display(),
        g.cap.what()
    );
    if !names.is_empty() {
        s.push_str(&format!(" (only objects named {})", names.join(", ")));
    }
    if g.own_namespace() {
        s.push_str(" (its own Namespace object only)");
    }
    s.push_str(&format!(": {}", rules.join("; and ")));
    if g.weak() {
        s.push_str(" [websocket: clusters before 1.31 or with AuthorizePodWebsocketUpgradeCreatePermission off]");
    }
    match g.aggregated_into {
        Some(agg) => {
            let through: Vec<&str> = AGGREGATORS
                .iter()
                .copied()
                .skip_while(|x| *x != agg)
                .collect();
            s.push_str(&format!(
                ". It is aggregated into ClusterRole {agg} (label rbac.authorization.k8s.io/aggregate-to-{agg}: \"true\"), so everyone who holds {} gets it",
                through.join(" or ")
            ));
        }
        None => {
            let scope = match role.kind {
                RoleKind::ClusterRole => {
                    "(cluster-wide through a ClusterRoleBinding, in one namespace through a RoleBinding)".to_string()
                }
                RoleKind::Role => format!(
                    "in namespace {}",
                    role.namespace.as_deref().unwrap_or_default()
                ),
            };
            s.push_str(&format!(
                ". The role is not bound in the scanned input; a binding to it elsewhere gives its subjects this power {scope}"
            ));
        }
    }
    s
}

/// Reports the role-level grants of `cap` (called by the catalogue rule of `cap` after its
/// subject-centric findings).
pub(super) fn emit(
    ctx: &kubeward_core::InventoryCtx<'_>,
    out: &mut kubeward_core::Emitter<'_>,
    a: &super::analysis::Analysis,
    cap: Cap,
) {
    let m = &a.model;
    for g in a.role_grants.iter().filter(|g| g.cap == cap) {
        let role = m.role(g.role);
        let Origin::Inventory(id) = role.origin else {
            continue;
        };
        let first = m.rule(g.evidence[0].rule);
        let sev = severity(out.rule().severity, m, g);
        let f = out.report(
            ctx.inventory.object(id),
            format!("/rules/{}", first.index),
            message(m, g),
        );
        f.severity(sev).key(format!("{:?}|role:{}", cap, role.id()));
        let mut seen = vec![first.index];
        for e in &g.evidence[1..] {
            let r = m.rule(e.rule);
            if !seen.contains(&r.index) {
                f.related(
                    id,
                    format!("/rules/{}", r.index),
                    format!("{} rule {}", role.display(), r.index),
                );
                seen.push(r.index);
            }
        }
        if let Some(agg) = g.aggregated_into {
            if let Some(i) = m.find_role(RoleKind::ClusterRole, None, agg) {
                if let Origin::Inventory(aid) = m.role(i).origin {
                    f.related(
                        aid,
                        "/aggregationRule",
                        format!("ClusterRole {agg} aggregates it"),
                    );
                }
            }
        }
    }
}
