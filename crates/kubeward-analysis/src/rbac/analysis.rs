//! The shared analysis behind every RBAC rule, computed once per inventory: the model, each
//! bound role's grants of the risk clauses, and for each principal (binding subject) and scope
//! the capabilities those grants add up to.

use super::caps::{CLAUSE_COUNT, Clause, ClauseHit, Level, ScopeKind, role_clauses};
use super::model::{BindingIdx, Model, Principal, RoleIdx, RuleRef, Str};
use super::resources::Scopes;
use super::workloads::{self, Workload};
use kubeward_core::{Inventory, ObjectId};
use std::collections::{BTreeMap, HashMap};

/// A dangerous capability: all of its clauses granted in one scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cap {
    FullAdmin,
    ReadSecrets,
    CreateWorkloads,
    ModifyPods,
    Exec,
    Ephemeral,
    NodesProxy,
    Escalate,
    Bind,
    Impersonate,
    ApproveCsr,
    TokenRequest,
    WriteSecrets,
    Admission,
    CreatePv,
    ModifyNamespaces,
    StealPods,
    NodeStatus,
    PodStatus,
    ServiceStatus,
    KubeSystemConfigmaps,
    Network,
    Extensions,
    DeleteEvents,
    PortForward,
    DefaultSaToken,
    CoreDns,
    DeleteNodes,
    DeleteCollection,
    CreateObjects,
}

impl Cap {
    pub const ALL: [Cap; 30] = [
        Cap::FullAdmin,
        Cap::ReadSecrets,
        Cap::CreateWorkloads,
        Cap::ModifyPods,
        Cap::Exec,
        Cap::Ephemeral,
        Cap::NodesProxy,
        Cap::Escalate,
        Cap::Bind,
        Cap::Impersonate,
        Cap::ApproveCsr,
        Cap::TokenRequest,
        Cap::WriteSecrets,
        Cap::Admission,
        Cap::CreatePv,
        Cap::ModifyNamespaces,
        Cap::StealPods,
        Cap::NodeStatus,
        Cap::PodStatus,
        Cap::ServiceStatus,
        Cap::KubeSystemConfigmaps,
        Cap::Network,
        Cap::Extensions,
        Cap::DeleteEvents,
        Cap::PortForward,
        Cap::DefaultSaToken,
        Cap::CoreDns,
        Cap::DeleteNodes,
        Cap::DeleteCollection,
        Cap::CreateObjects,
    ];

    /// The clauses that must all be granted (empty for FullAdmin, which is syntactic).
    pub fn clauses(self) -> &'static [Clause] {
        use Clause as C;
        match self {
            Cap::FullAdmin => &[],
            Cap::ReadSecrets => &[C::ReadSecrets],
            Cap::CreateWorkloads => &[C::CreateWorkloads],
            Cap::ModifyPods => &[C::ModifyPods],
            Cap::Exec => &[C::Exec],
            Cap::Ephemeral => &[C::Ephemeral],
            Cap::NodesProxy => &[C::NodesProxy],
            Cap::Escalate => &[C::EscalateVerb, C::WriteRoles],
            Cap::Bind => &[C::BindVerb, C::WriteBindings],
            Cap::Impersonate => &[C::Impersonate],
            Cap::ApproveCsr => &[C::CreateCsr, C::ApproveCsr, C::ApproveSigner],
            Cap::TokenRequest => &[C::TokenRequest],
            Cap::WriteSecrets => &[C::WriteSecrets],
            Cap::Admission => &[C::Admission],
            Cap::CreatePv => &[C::CreatePv],
            Cap::ModifyNamespaces => &[C::ModifyNamespaces],
            Cap::StealPods => &[C::DeletePods, C::ModifyNodes],
            Cap::NodeStatus => &[C::NodeStatus],
            Cap::PodStatus => &[C::PodStatus],
            Cap::ServiceStatus => &[C::ServiceStatus],
            Cap::KubeSystemConfigmaps => &[C::WriteConfigmaps],
            Cap::Network => &[C::Network],
            Cap::Extensions => &[C::Extensions],
            Cap::DeleteEvents => &[C::DeleteEvents],
            Cap::PortForward => &[C::PortForward],
            Cap::DefaultSaToken => &[C::DefaultSaToken],
            Cap::CoreDns => &[C::WriteCoreDns],
            Cap::DeleteNodes => &[C::DeleteNodes],
            Cap::DeleteCollection => &[C::DeleteCollectionWorkloads],
            Cap::CreateObjects => &[C::CreateObjects],
        }
    }

    /// Only these namespaces count (besides cluster-wide grants).
    pub fn only_namespace(self) -> Option<&'static str> {
        match self {
            Cap::KubeSystemConfigmaps | Cap::CoreDns => Some("kube-system"),
            _ => None,
        }
    }

    /// What the capability lets one do, for messages ("can read secrets").
    pub fn what(self) -> &'static str {
        match self {
            Cap::FullAdmin => {
                "do anything (`*` or every write verb on `*` resources in `*` API groups)"
            }
            Cap::ReadSecrets => "read secrets",
            Cap::CreateWorkloads => "create pods or pod controllers",
            Cap::ModifyPods => "update running pods",
            Cap::Exec => "exec into or attach to pods",
            Cap::Ephemeral => "add ephemeral containers to running pods",
            Cap::NodesProxy => "reach the kubelet API through nodes/proxy",
            Cap::Escalate => "write roles with permissions it does not hold (escalate)",
            Cap::Bind => "bind roles it does not hold (bind + write bindings)",
            Cap::Impersonate => "impersonate other identities",
            Cap::ApproveCsr => "create and approve client certificates for the API server",
            Cap::TokenRequest => "mint tokens for service accounts",
            Cap::WriteSecrets => "create or change secrets",
            Cap::Admission => "change or delete admission webhooks and policies",
            Cap::CreatePv => "create persistent volumes",
            Cap::ModifyNamespaces => "relabel namespaces",
            Cap::StealPods => "evict pods and change nodes (move pods onto a chosen node)",
            Cap::NodeStatus => "change node status",
            Cap::PodStatus => "change pod status",
            Cap::ServiceStatus => "change service status",
            Cap::KubeSystemConfigmaps => "write ConfigMaps in kube-system",
            Cap::Network => "change network exposure and NetworkPolicies",
            Cap::Extensions => "change CRDs, API services or policy engines",
            Cap::DeleteEvents => "delete events (and so cover its tracks)",
            Cap::PortForward => "port-forward into pods",
            Cap::DefaultSaToken => "mint tokens for the `default` service account",
            Cap::CoreDns => "change or delete the CoreDNS configuration (kube-system/coredns)",
            Cap::DeleteNodes => "delete nodes",
            Cap::DeleteCollection => {
                "delete all pods or workloads of a kind at once (deletecollection)"
            }
            Cap::CreateObjects => "create objects",
        }
    }
}

/// One grant behind a capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub binding: BindingIdx,
    pub subject: u32,
    pub rule: RuleRef,
    pub level: Level,
    pub weak: bool,
    pub what: (&'static str, &'static str),
}

/// A principal (or a workload's token) holding a capability in a scope.
#[derive(Clone, Debug)]
pub struct Hit {
    pub cap: Cap,
    pub principal: Principal,
    /// `None`: cluster-wide.
    pub scope: Option<Str>,
    /// One per clause, in clause order (one for FullAdmin).
    pub evidence: Vec<Evidence>,
}

impl Hit {
    /// Every grant is limited to named objects.
    pub fn narrowed(&self) -> bool {
        self.evidence
            .iter()
            .any(|e| matches!(e.level, Level::Named(_)))
    }
    pub fn weak(&self) -> bool {
        self.evidence.iter().any(|e| e.weak)
    }
}

type ClauseSet = [Option<ClauseHit>; CLAUSE_COUNT];

/// Everything the RBAC rules need, computed once.
pub struct Analysis {
    pub model: Model,
    pub scopes: Scopes,
    /// Per role: grants through a ClusterRoleBinding and through a RoleBinding.
    role_sets: HashMap<RoleIdx, [Box<ClauseSet>; 2]>,
    /// Role-scope pairs holding a full wildcard rule.
    full_rules: HashMap<RoleIdx, RuleRef>,
    /// Capabilities of every binding subject, over its own bindings.
    pub hits: Vec<Hit>,
    /// Workloads and their tokens.
    pub workloads: Vec<Workload>,
    /// Capabilities of each workload token (principal = the service account; includes what
    /// it inherits from its groups).
    pub workload_hits: Vec<(usize, Hit)>,
    pub exposed: HashMap<ObjectId, Vec<crate::exposure::Exposure>>,
    /// Capabilities granted by input roles that no binding grants (role-level fallback).
    pub role_grants: Vec<super::role_level::RoleGrant>,
}

impl std::fmt::Debug for Analysis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analysis")
            .field("hits", &self.hits.len())
            .finish()
    }
}

impl Analysis {
    /// The analysis of `inventory`, shared by every rule of one scan.
    pub fn of(inventory: &Inventory) -> std::sync::Arc<Analysis> {
        inventory.memo(|| Analysis::build(inventory))
    }

    pub fn build(inventory: &Inventory) -> Analysis {
        let model = Model::build(inventory);
        let scopes = Scopes::new(inventory);
        let mut a = Analysis {
            model,
            scopes,
            role_sets: HashMap::new(),
            full_rules: HashMap::new(),
            hits: Vec::new(),
            workloads: Vec::new(),
            workload_hits: Vec::new(),
            exposed: HashMap::new(),
            role_grants: Vec::new(),
        };
        a.compute_role_sets();
        a.role_grants = super::role_level::compute(&a.model, &a.scopes);
        a.compute_principal_hits();
        a.exposed = crate::exposure::exposed_workloads(inventory);
        a.workloads = workloads::collect(inventory);
        a.compute_workload_hits();
        a
    }

    fn compute_role_sets(&mut self) {
        let mut bound: Vec<RoleIdx> = self.model.bindings.iter().filter_map(|b| b.role).collect();
        bound.sort_unstable();
        bound.dedup();
        // Roles with identical effective rule content share one evaluation.
        let mut by_content: HashMap<Vec<&super::model::PolicyRule>, RoleIdx> = HashMap::new();
        let model = &self.model;
        for r in bound {
            let role = model.role(r);
            let content: Vec<&super::model::PolicyRule> =
                role.effective.iter().map(|&x| model.rule(x)).collect();
            if let Some(f) = role
                .effective
                .iter()
                .find(|&&x| model.rule(x).is_full_wildcard())
            {
                self.full_rules.insert(r, *f);
            }
            if let Some(&same) = by_content.get(&content) {
                // Same rules in the same order: copy, re-pointing evidence at this role's rules.
                let [c, n] = &self.role_sets[&same];
                let remap = |set: &ClauseSet| -> Box<ClauseSet> {
                    let mut out = set.clone();
                    for h in out.iter_mut().flatten() {
                        let pos = model
                            .role(same)
                            .effective
                            .iter()
                            .position(|x| *x == h.rule)
                            .expect("rule of the role");
                        h.rule = role.effective[pos];
                    }
                    Box::new(out)
                };
                let sets = [remap(c), remap(n)];
                self.role_sets.insert(r, sets);
                continue;
            }
            let rules = role.effective.iter().map(|&x| (x, model.rule(x)));
            let c = role_clauses(&self.scopes, rules.clone(), ScopeKind::Cluster);
            let n = role_clauses(&self.scopes, rules, ScopeKind::Namespace);
            self.role_sets.insert(r, [Box::new(c), Box::new(n)]);
            by_content.insert(content, r);
        }
    }

    /// The grants of one role through a binding of this kind.
    fn set(&self, role: RoleIdx, cluster: bool) -> Option<&ClauseSet> {
        self.role_sets
            .get(&role)
            .map(|s| &*s[if cluster { 0 } else { 1 }])
    }

    /// The capabilities one role grants on its own through a binding of this kind.
    /// `namespace`: the RoleBinding's namespace (`None` for a ClusterRoleBinding).
    pub fn role_caps(&self, role: RoleIdx, namespace: Option<&str>) -> Vec<Cap> {
        let cluster = namespace.is_none();
        let mut v = Vec::new();
        if self.full_rules.contains_key(&role) {
            v.push(Cap::FullAdmin);
        }
        if let Some(set) = self.set(role, cluster) {
            for cap in Cap::ALL {
                let c = cap.clauses();
                if cap == Cap::CreateObjects || c.is_empty() {
                    continue;
                }
                if let (Some(only), Some(ns)) = (cap.only_namespace(), namespace) {
                    if only != ns {
                        continue;
                    }
                }
                if c.iter().all(|&x| set[x as usize].is_some()) {
                    v.push(cap);
                }
            }
        }
        v
    }

    /// Capabilities of a set of (binding, subject) grants; `stock_only_ok`: report even when
    /// every grant is a kubeadm default.
    fn capabilities(
        &self,
        principal: &Principal,
        grants: &[(BindingIdx, u32)],
        report_stock: bool,
    ) -> Vec<Hit> {
        let m = &self.model;
        // scope (None = cluster) → clause → evidence
        let mut per: BTreeMap<Option<Str>, Vec<Option<Evidence>>> = BTreeMap::new();
        let mut full: BTreeMap<Option<Str>, Evidence> = BTreeMap::new();
        for &(b, s) in grants {
            let binding = m.binding(b);
            let Some(role) = binding.role else { continue };
            let scope: Option<Str> = binding.scope().map(Str::from);
            if let Some(&fr) = self.full_rules.get(&role) {
                full.entry(scope.clone()).or_insert(Evidence {
                    binding: b,
                    subject: s,
                    rule: fr,
                    level: Level::Full,
                    weak: false,
                    what: ("*", "*"),
                });
            }
            let Some(set) = self.set(role, scope.is_none()) else {
                continue;
            };
            let slot = per.entry(scope).or_insert_with(|| vec![None; CLAUSE_COUNT]);
            for (i, h) in set.iter().enumerate() {
                let Some(h) = h else { continue };
                // Ranked before the evidence is built: most grants do not replace.
                let replace = match &slot[i] {
                    None => true,
                    Some(old) => rank_of(&h.level, h.weak) > ev_rank(old),
                };
                if replace {
                    slot[i] = Some(Evidence {
                        binding: b,
                        subject: s,
                        rule: h.rule,
                        level: h.level.clone(),
                        weak: h.weak,
                        what: h.what,
                    });
                }
            }
        }
        let stock = |e: &Evidence| m.binding(e.binding).stock && m.role(e.rule.role).stock;
        let mut out = Vec::new();
        for (scope, e) in &full {
            if report_stock || !stock(e) {
                out.push(Hit {
                    cap: Cap::FullAdmin,
                    principal: principal.clone(),
                    scope: scope.clone(),
                    evidence: vec![e.clone()],
                });
            }
        }
        let cluster = per.get(&None);
        for cap in Cap::ALL {
            if cap == Cap::FullAdmin {
                continue;
            }
            let clauses = cap.clauses();
            let check = |scope: &Option<Str>,
                         set: &Vec<Option<Evidence>>|
             -> Option<Vec<Evidence>> {
                let pick = |c: &super::caps::Clause| {
                    let here = set[*c as usize].as_ref();
                    let there = if scope.is_some() {
                        cluster.and_then(|cl| cl[*c as usize].as_ref())
                    } else {
                        None
                    };
                    match (here, there) {
                        (Some(a), Some(b)) => Some(if ev_rank(b) >= ev_rank(a) { b } else { a }),
                        (a, b) => a.or(b),
                    }
                };
                // Every clause first (no allocation for the many caps a set misses).
                if !clauses.iter().all(|c| pick(c).is_some()) {
                    return None;
                }
                Some(clauses.iter().filter_map(|c| pick(c).cloned()).collect())
            };
            // The weakest grant of the cluster-wide hit, if any (compared with each scope's).
            let mut cluster_rank: Option<u8> = None;
            if let Some(ev) = cluster.and_then(|set| check(&None, set)) {
                cluster_rank = ev.iter().map(ev_rank).min();
                if report_stock || !ev.iter().all(stock) {
                    out.push(Hit {
                        cap,
                        principal: principal.clone(),
                        scope: None,
                        evidence: ev,
                    });
                }
            }
            for (scope, set) in &per {
                let Some(ns) = scope else { continue };
                if let Some(only) = cap.only_namespace() {
                    if ns != only {
                        continue;
                    }
                }
                let Some(ev) = check(scope, set) else {
                    continue;
                };
                // Already held cluster-wide with at least the same strength: said once.
                if let Some(c) = cluster_rank {
                    if Some(c) >= ev.iter().map(ev_rank).min() {
                        continue;
                    }
                }
                if report_stock || !ev.iter().all(stock) {
                    out.push(Hit {
                        cap,
                        principal: principal.clone(),
                        scope: scope.clone(),
                        evidence: ev,
                    });
                }
            }
        }
        out
    }

    fn compute_principal_hits(&mut self) {
        let mut principals: Vec<(&Principal, &Vec<(BindingIdx, u32)>)> =
            self.model.by_principal.iter().collect();
        principals.sort_by(|a, b| a.0.cmp(b.0));
        principals.retain(|(_, grants)| {
            !grants
                .iter()
                .all(|(b, _)| self.model.binding(*b).origin.is_bootstrap())
        });
        // Principals are independent: split them over the cores (plain threads, not rayon;
        // see `Inventory::memo`).
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8);
        let chunk = principals.len().div_ceil(threads).max(1);
        let this = &*self;
        let parts: Vec<Vec<Hit>> = std::thread::scope(|s| {
            let handles: Vec<_> = principals
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        let mut v = Vec::new();
                        for (p, grants) in part {
                            v.extend(this.capabilities(p, grants, false));
                        }
                        v
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("analysis thread"))
                .collect()
        });
        self.hits = parts.into_iter().flatten().collect();
    }

    /// The (binding, subject) grants that reach a service account: its own subjects and its
    /// groups' (`system:serviceaccounts`, `system:serviceaccounts:<ns>`,
    /// `system:authenticated`).
    pub fn service_account_grants(&self, ns: &str, name: &str) -> Vec<(BindingIdx, u32)> {
        let id = super::authz::Identity::service_account(ns, name);
        let mut v: Vec<(BindingIdx, u32)> = id
            .principals()
            .iter()
            .filter_map(|p| self.model.by_principal.get(p))
            .flatten()
            .copied()
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    fn compute_workload_hits(&mut self) {
        let mut out = Vec::new();
        let mut cache: HashMap<(Str, Str), Vec<Hit>> = HashMap::new();
        for (i, w) in self.workloads.iter().enumerate() {
            for t in &w.tokens {
                let key = (t.namespace.clone(), t.service_account.clone());
                let hits = cache.entry(key.clone()).or_insert_with(|| {
                    let grants = self.service_account_grants(&key.0, &key.1);
                    let p = Principal::ServiceAccount(key.0.clone(), key.1.clone());
                    self.capabilities(&p, &grants, true)
                });
                for h in hits.iter() {
                    out.push((i, h.clone()));
                }
            }
        }
        self.workload_hits = out;
    }
}

fn ev_rank(e: &Evidence) -> u8 {
    rank_of(&e.level, e.weak)
}

fn rank_of(level: &Level, weak: bool) -> u8 {
    let l = match level {
        Level::Full => 3,
        Level::OwnNamespace => 2,
        Level::Named(_) => 1,
    };
    l * 2 + u8::from(!weak)
}
