//! The RBAC model: Roles, ClusterRoles and their bindings from the scanned inventory plus the
//! bootstrap objects of a kubeadm cluster, with references resolved, service-account subjects
//! defaulted as the authorizer defaults them, and ClusterRole aggregation computed from
//! `aggregationRule.clusterRoleSelectors` (the `rules` written in an aggregated ClusterRole are
//! ignored: the aggregation controller overwrites them).

use compact_str::CompactString;
use kubeward_core::input::{LoadOptions, Loaded, load_text};
use kubeward_core::inventory::selector_matches;
use kubeward_core::{Inventory, Node, Object, ObjectId};
use std::collections::HashMap;
use std::sync::OnceLock;

pub type Str = CompactString;

/// The bootstrap objects, loaded once per process from the data file in this crate.
pub fn bootstrap() -> &'static Loaded {
    static B: OnceLock<Loaded> = OnceLock::new();
    B.get_or_init(|| {
        let l = load_text(
            "<kubeadm defaults>",
            include_str!("bootstrap.yaml"),
            &LoadOptions::default(),
        );
        assert!(
            l.diagnostics.is_empty(),
            "bootstrap.yaml must load cleanly: {:?}",
            l.diagnostics
        );
        l
    })
}

/// Where a role or binding comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// An object of the scanned inventory.
    Inventory(ObjectId),
    /// A default object of a kubeadm cluster, absent from the scanned inventory.
    Bootstrap(ObjectId),
}

impl Origin {
    pub fn object_id(self) -> Option<ObjectId> {
        match self {
            Origin::Inventory(id) => Some(id),
            Origin::Bootstrap(_) => None,
        }
    }
    pub fn is_bootstrap(self) -> bool {
        matches!(self, Origin::Bootstrap(_))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// One entry of a role's `rules`, as the authorizer reads it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyRule {
    /// Position in the role's `rules` (for the pointer `/rules/N`).
    pub index: u32,
    pub verbs: Vec<Str>,
    pub api_groups: Vec<Str>,
    pub resources: Vec<Str>,
    pub resource_names: Vec<Str>,
    pub non_resource_urls: Vec<Str>,
}

impl PolicyRule {
    pub fn all_verbs(&self) -> bool {
        self.verbs.iter().any(|v| v == "*")
    }
    pub fn all_groups(&self) -> bool {
        self.api_groups.iter().any(|v| v == "*")
    }
    pub fn all_resources(&self) -> bool {
        self.resources.iter().any(|v| v == "*")
    }
    /// Every write verb listed explicitly (`create update patch delete deletecollection`, in
    /// any order, with or without others): on `*` resources this is the power of `*` verbs.
    pub fn all_write_verbs(&self) -> bool {
        ["create", "update", "patch", "delete", "deletecollection"]
            .iter()
            .all(|w| self.verbs.iter().any(|v| v == w))
    }
    /// `*` verbs (or every write verb, see [`PolicyRule::all_write_verbs`]) on `*` resources
    /// in `*` groups, for every name: all the power of the scope.
    pub fn is_full_wildcard(&self) -> bool {
        (self.all_verbs() || self.all_write_verbs())
            && self.all_groups()
            && self.all_resources()
            && self.resource_names.is_empty()
    }

    /// `verbs get,list on resources secrets in apiGroups core named db`, for messages.
    pub fn describe(&self) -> String {
        let mut s = format!("verbs {}", join(&self.verbs));
        if !self.resources.is_empty() || self.non_resource_urls.is_empty() {
            let groups: Vec<String> = self
                .api_groups
                .iter()
                .map(|g| {
                    if g.is_empty() {
                        "core".into()
                    } else {
                        g.to_string()
                    }
                })
                .collect();
            s.push_str(&format!(
                " on resources {} in apiGroups {}",
                join(&self.resources),
                groups.join(",")
            ));
        }
        if !self.resource_names.is_empty() {
            s.push_str(&format!(" named {}", join(&self.resource_names)));
        }
        if !self.non_resource_urls.is_empty() {
            s.push_str(&format!(" on URLs {}", join(&self.non_resource_urls)));
        }
        s
    }

    /// Order-insensitive identity of the rule's content (for comparing with bootstrap data).
    fn canonical(&self) -> [Vec<Str>; 5] {
        let sorted = |v: &Vec<Str>| {
            let mut v = v.clone();
            v.sort();
            v.dedup();
            v
        };
        [
            sorted(&self.verbs),
            sorted(&self.api_groups),
            sorted(&self.resources),
            sorted(&self.resource_names),
            sorted(&self.non_resource_urls),
        ]
    }
}

fn join(v: &[Str]) -> String {
    v.iter()
        .map(|s| if s.is_empty() { "\"\"" } else { s.as_str() })
        .collect::<Vec<_>>()
        .join(",")
}

/// A problem in an RBAC object that the API server would refuse, or an entry that grants
/// nothing although it looks as if it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defect {
    pub origin: Origin,
    pub pointer: String,
    pub message: String,
    /// True: the API server rejects the object. False: accepted but has no effect.
    pub rejected: bool,
}

pub type RoleIdx = u32;
pub type BindingIdx = u32;

/// A rule of some role, by position in [`Model::roles`] and in that role's `rules`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleRef {
    pub role: RoleIdx,
    pub rule: u32,
}

#[derive(Clone, Debug)]
pub struct Role {
    pub kind: RoleKind,
    pub namespace: Option<Str>,
    pub name: Str,
    pub origin: Origin,
    pub rules: Vec<PolicyRule>,
    /// `aggregationRule.clusterRoleSelectors`, when the ClusterRole is aggregated.
    pub selectors: Option<Vec<Node>>,
    pub labels: Option<Node>,
    /// The rules the authorizer uses: own rules, or for an aggregated ClusterRole the rules of
    /// every ClusterRole its selectors match (transitively).
    pub effective: Vec<RuleRef>,
    /// Same content as the kubeadm default of the same name.
    pub stock: bool,
}

impl Role {
    /// `ClusterRole admin`, `Role shop/reader`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {}/{}", self.kind.as_str(), ns, self.name),
            None => format!("{} {}", self.kind.as_str(), self.name),
        }
    }
    /// `ClusterRole/admin`, `Role/shop/reader` (for JSON and graphs).
    pub fn id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind.as_str(), ns, self.name),
            None => format!("{}/{}", self.kind.as_str(), self.name),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
    /// A kind the API server does not accept; matches nobody.
    Other,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::User => "User",
            SubjectKind::Group => "Group",
            SubjectKind::ServiceAccount => "ServiceAccount",
            SubjectKind::Other => "Unknown",
        }
    }
}

/// Who a request is made by, as the authorizer compares it with binding subjects. A `User`
/// subject named `system:serviceaccount:NS:NAME` is the service account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Principal {
    User(Str),
    Group(Str),
    ServiceAccount(Str, Str),
}

impl Principal {
    pub fn user(name: &str) -> Principal {
        match split_sa_username(name) {
            Some((ns, n)) => Principal::ServiceAccount(ns.into(), n.into()),
            None => Principal::User(name.into()),
        }
    }
    /// `User alice`, `Group dev`, `ServiceAccount shop/api`.
    pub fn display(&self) -> String {
        match self {
            Principal::User(n) => format!("User {n}"),
            Principal::Group(n) => format!("Group {n}"),
            Principal::ServiceAccount(ns, n) => format!("ServiceAccount {ns}/{n}"),
        }
    }
    /// `user:alice`, `group:dev`, `sa:shop/api`: the command-line spelling.
    pub fn spec(&self) -> String {
        match self {
            Principal::User(n) => format!("user:{n}"),
            Principal::Group(n) => format!("group:{n}"),
            Principal::ServiceAccount(ns, n) => format!("sa:{ns}/{n}"),
        }
    }
}

/// `system:serviceaccount:NS:NAME` → (NS, NAME).
pub fn split_sa_username(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("system:serviceaccount:")?;
    let (ns, n) = rest.split_once(':')?;
    (!ns.is_empty() && !n.is_empty() && !n.contains(':')).then_some((ns, n))
}

#[derive(Clone, Debug)]
pub struct Subject {
    /// Position in the binding's `subjects`.
    pub index: u32,
    pub kind: SubjectKind,
    pub name: Str,
    /// As written.
    pub namespace: Option<Str>,
    /// Who this subject matches, after the authorizer's defaulting (`None`: nobody).
    pub principal: Option<Principal>,
}

impl Subject {
    pub fn display(&self) -> String {
        match &self.principal {
            Some(Principal::ServiceAccount(ns, n)) if self.kind == SubjectKind::ServiceAccount => {
                format!("ServiceAccount {ns}/{n}")
            }
            _ => format!("{} {}", self.kind.as_str(), self.name),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BindingKind {
    RoleBinding,
    ClusterRoleBinding,
}

impl BindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BindingKind::RoleBinding => "RoleBinding",
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub kind: BindingKind,
    pub namespace: Option<Str>,
    pub name: Str,
    pub origin: Origin,
    pub role_kind: Str,
    pub role_name: Str,
    /// The role the binding grants, when it exists in the inventory or the bootstrap data.
    pub role: Option<RoleIdx>,
    pub subjects: Vec<Subject>,
    /// Same name, role and subjects as the kubeadm default of the same name.
    pub stock: bool,
}

impl Binding {
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {}/{}", self.kind.as_str(), ns, self.name),
            None => format!("{} {}", self.kind.as_str(), self.name),
        }
    }
    pub fn id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind.as_str(), ns, self.name),
            None => format!("{}/{}", self.kind.as_str(), self.name),
        }
    }
    /// The namespace the binding's grants apply in (`None`: cluster-wide).
    pub fn scope(&self) -> Option<&str> {
        match self.kind {
            BindingKind::RoleBinding => self.namespace.as_deref(),
            BindingKind::ClusterRoleBinding => None,
        }
    }
}

/// Everything RBAC in one inventory.
#[derive(Debug, Default)]
pub struct Model {
    pub roles: Vec<Role>,
    pub bindings: Vec<Binding>,
    role_index: HashMap<(RoleKind, Option<Str>, Str), RoleIdx>,
    /// ClusterRoleBindings.
    pub cluster_bindings: Vec<BindingIdx>,
    /// RoleBindings by namespace.
    pub namespace_bindings: HashMap<Str, Vec<BindingIdx>>,
    /// (binding, subject position) by principal.
    pub by_principal: HashMap<Principal, Vec<(BindingIdx, u32)>>,
    pub defects: Vec<Defect>,
}

fn strs(n: Option<&Node>) -> Vec<Str> {
    n.map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|x| x.as_str().map(Str::from))
        .collect()
}

impl Model {
    /// Builds the model of `inventory` (plus the bootstrap objects it does not override).
    pub fn build(inventory: &Inventory) -> Model {
        Self::build_with(inventory, true)
    }

    /// As [`Model::build`]; `with_bootstrap = false` leaves the kubeadm defaults out.
    pub fn build_with(inventory: &Inventory, with_bootstrap: bool) -> Model {
        let mut m = Model::default();
        let boot = &bootstrap().inventory;
        let is_rbac = |o: &Object| o.group() == "rbac.authorization.k8s.io";

        // Roles: inventory first (last of repeated objects wins), then bootstrap defaults.
        for kind in ["ClusterRole", "Role"] {
            for o in inventory.of_kind(kind).filter(|o| is_rbac(o)) {
                m.add_role(o, Origin::Inventory(o.id));
            }
        }
        for kind in ["ClusterRole", "Role"] {
            for o in boot.of_kind(kind) {
                let key = (role_kind(kind), o.namespace.clone(), o.name.clone());
                match m.role_index.get(&key) {
                    Some(&i) => {
                        let stock = m.roles[i as usize].rules_match(o);
                        m.roles[i as usize].stock = stock;
                    }
                    None if with_bootstrap => {
                        let i = m.add_role(o, Origin::Bootstrap(o.id));
                        m.roles[i as usize].stock = true;
                    }
                    None => {}
                }
            }
        }
        m.aggregate();

        for kind in ["ClusterRoleBinding", "RoleBinding"] {
            for o in inventory.of_kind(kind).filter(|o| is_rbac(o)) {
                m.add_binding(o, Origin::Inventory(o.id));
            }
        }
        let mut seen: std::collections::HashSet<(BindingKind, Option<Str>, Str)> = m
            .bindings
            .iter()
            .map(|b| (b.kind, b.namespace.clone(), b.name.clone()))
            .collect();
        for kind in ["ClusterRoleBinding", "RoleBinding"] {
            for o in boot.of_kind(kind) {
                let key = (binding_kind(kind), o.namespace.clone(), o.name.clone());
                if seen.contains(&key) {
                    let boot_b = m.parse_binding(o, Origin::Bootstrap(o.id));
                    for b in m
                        .bindings
                        .iter_mut()
                        .filter(|b| b.kind == key.0 && b.namespace == key.1 && b.name == key.2)
                    {
                        b.stock = b.role_kind == boot_b.role_kind
                            && b.role_name == boot_b.role_name
                            && same_subjects(&b.subjects, &boot_b.subjects);
                    }
                } else if with_bootstrap {
                    seen.insert(key);
                    let i = m.add_binding(o, Origin::Bootstrap(o.id));
                    m.bindings[i as usize].stock = true;
                }
            }
        }
        m
    }

    fn add_role(&mut self, o: &Object, origin: Origin) -> RoleIdx {
        let kind = role_kind(&o.kind);
        let mut rules = Vec::new();
        for (i, r) in o
            .root
            .get("rules")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let rule = PolicyRule {
                index: i as u32,
                verbs: strs(r.get("verbs")),
                api_groups: strs(r.get("apiGroups")),
                resources: strs(r.get("resources")),
                resource_names: strs(r.get("resourceNames")),
                non_resource_urls: strs(r.get("nonResourceURLs")),
            };
            self.check_rule(origin, kind, &rule);
            rules.push(rule);
        }
        let selectors = if kind == RoleKind::ClusterRole {
            o.root.get("aggregationRule").map(|a| {
                a.get("clusterRoleSelectors")
                    .map(Node::items)
                    .unwrap_or(&[])
                    .to_vec()
            })
        } else {
            None
        };
        let role = Role {
            kind,
            namespace: o.namespace.clone(),
            name: o.name.clone(),
            origin,
            rules,
            selectors,
            labels: o.labels().cloned(),
            effective: Vec::new(),
            stock: false,
        };
        let key = (kind, role.namespace.clone(), role.name.clone());
        match self.role_index.get(&key) {
            Some(&i) => {
                // A repeated object: the last one is what the cluster keeps.
                self.roles[i as usize] = role;
                i
            }
            None => {
                let i = self.roles.len() as RoleIdx;
                self.roles.push(role);
                self.role_index.insert(key, i);
                i
            }
        }
    }

    fn check_rule(&mut self, origin: Origin, kind: RoleKind, r: &PolicyRule) {
        let has_res = !r.resources.is_empty();
        let has_urls = !r.non_resource_urls.is_empty();
        let suspicious = r.verbs.is_empty()
            || has_res == has_urls
            || (has_urls && kind == RoleKind::Role)
            || (has_res && r.api_groups.is_empty())
            || !r.resource_names.is_empty()
            || r.resources.iter().any(|x| x.ends_with("/*"));
        if !suspicious {
            return;
        }
        let p = format!("/rules/{}", r.index);
        let mut defect = |pointer: String, message: String, rejected: bool| {
            self.defects.push(Defect {
                origin,
                pointer,
                message,
                rejected,
            })
        };
        if r.verbs.is_empty() {
            defect(
                p.clone(),
                "rule has no verbs; the API server rejects it".into(),
                true,
            );
        }
        if has_res && has_urls {
            defect(
                p.clone(),
                "rule names both resources and nonResourceURLs; the API server rejects it".into(),
                true,
            );
        } else if !has_res && !has_urls {
            defect(
                p.clone(),
                "rule names neither resources nor nonResourceURLs; the API server rejects it"
                    .into(),
                true,
            );
        }
        if has_urls && kind == RoleKind::Role {
            defect(
                format!("{p}/nonResourceURLs"),
                "a namespaced Role cannot grant nonResourceURLs; the API server rejects it".into(),
                true,
            );
        }
        if has_res && r.api_groups.is_empty() {
            defect(
                p.clone(),
                "rule names resources but no apiGroups; the API server rejects it (use \"\" for the core group)".into(),
                true,
            );
        }
        for (i, res) in r.resources.iter().enumerate() {
            if let Some((base, sub)) = res.split_once('/') {
                if sub == "*" && base != "*" {
                    defect(
                        format!("{p}/resources/{i}"),
                        format!(
                            "`{res}` matches nothing: Kubernetes has no `resource/*` wildcard; list the subresources (`{base}/exec`, `{base}/log`, ...) or use `*/SUBRESOURCE`"
                        ),
                        false,
                    );
                }
            }
        }
        if !r.resource_names.is_empty() && has_res {
            let nameless: Vec<&str> = r
                .verbs
                .iter()
                .map(|v| v.as_str())
                .filter(|v| *v == "create" || *v == "deletecollection")
                .collect();
            let top_level = r.resources.iter().any(|x| !x.contains('/'));
            if !nameless.is_empty() && top_level && !r.resource_names.iter().any(|n| n.is_empty()) {
                defect(
                    format!("{p}/resourceNames"),
                    format!(
                        "`{}` with resourceNames grants nothing on a whole resource: a create or deletecollection request carries no object name, so resourceNames never match it (they do restrict subresources such as pods/exec)",
                        nameless.join("`/`")
                    ),
                    false,
                );
            }
        }
    }

    /// Whether this role's rules equal `boot`'s (order-insensitive).
    fn add_binding(&mut self, o: &Object, origin: Origin) -> BindingIdx {
        let b = self.parse_binding(o, origin);
        let i = self.bindings.len() as BindingIdx;
        match b.kind {
            BindingKind::ClusterRoleBinding => self.cluster_bindings.push(i),
            BindingKind::RoleBinding => self
                .namespace_bindings
                .entry(b.namespace.clone().unwrap_or_default())
                .or_default()
                .push(i),
        }
        for s in &b.subjects {
            if let Some(p) = &s.principal {
                self.by_principal
                    .entry(p.clone())
                    .or_default()
                    .push((i, s.index));
            }
        }
        self.bindings.push(b);
        i
    }

    fn parse_binding(&mut self, o: &Object, origin: Origin) -> Binding {
        let kind = binding_kind(&o.kind);
        let ns = o.namespace.clone();
        let rr = o.root.get("roleRef");
        let role_kind: Str = rr.and_then(|r| r.str_at("kind")).unwrap_or("").into();
        let role_name: Str = rr.and_then(|r| r.str_at("name")).unwrap_or("").into();
        let role = match (kind, role_kind_opt(&role_kind)) {
            (_, Some(RoleKind::ClusterRole)) => self
                .role_index
                .get(&(RoleKind::ClusterRole, None, role_name.clone()))
                .copied(),
            (BindingKind::RoleBinding, Some(RoleKind::Role)) => self
                .role_index
                .get(&(RoleKind::Role, ns.clone(), role_name.clone()))
                .copied(),
            _ => None,
        };
        if rr.is_none() {
            self.defects.push(Defect {
                origin,
                pointer: String::new(),
                message: "binding has no roleRef; the API server rejects it".into(),
                rejected: true,
            });
        } else if role_kind_opt(&role_kind).is_none()
            || (kind == BindingKind::ClusterRoleBinding && role_kind == "Role")
        {
            self.defects.push(Defect {
                origin,
                pointer: "/roleRef/kind".into(),
                message: format!(
                    "a {} cannot refer to a `{role_kind}`; the API server rejects it",
                    kind.as_str()
                ),
                rejected: true,
            });
        }
        let mut subjects = Vec::new();
        for (i, s) in o
            .root
            .get("subjects")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let name: Str = s.str_at("name").unwrap_or("").into();
            let sns: Option<Str> = s
                .str_at("namespace")
                .filter(|x| !x.is_empty())
                .map(Str::from);
            let skind = match s.str_at("kind").unwrap_or("") {
                "User" => SubjectKind::User,
                "Group" => SubjectKind::Group,
                "ServiceAccount" => SubjectKind::ServiceAccount,
                _ => SubjectKind::Other,
            };
            let principal = match skind {
                SubjectKind::User => Some(Principal::user(&name)),
                SubjectKind::Group => Some(Principal::Group(name.clone())),
                SubjectKind::ServiceAccount => {
                    // The authorizer defaults a missing namespace to the RoleBinding's own; a
                    // ClusterRoleBinding has none to offer, so the subject matches nobody.
                    let eff = sns.clone().or_else(|| match kind {
                        BindingKind::RoleBinding => ns.clone(),
                        BindingKind::ClusterRoleBinding => None,
                    });
                    eff.map(|n| Principal::ServiceAccount(n, name.clone()))
                }
                SubjectKind::Other => None,
            };
            let p = format!("/subjects/{i}");
            if skind == SubjectKind::Other {
                self.defects.push(Defect {
                    origin,
                    pointer: format!("{p}/kind"),
                    message: format!(
                        "subject kind `{}` is not User, Group or ServiceAccount; the API server rejects it",
                        s.str_at("kind").unwrap_or("")
                    ),
                    rejected: true,
                });
            } else if skind == SubjectKind::ServiceAccount
                && sns.is_none()
                && kind == BindingKind::ClusterRoleBinding
            {
                self.defects.push(Defect {
                    origin,
                    pointer: p.clone(),
                    message: format!(
                        "ServiceAccount subject `{name}` has no namespace; in a ClusterRoleBinding the API server rejects it (and the authorizer would match nobody)"
                    ),
                    rejected: true,
                });
            }
            subjects.push(Subject {
                index: i as u32,
                kind: skind,
                name,
                namespace: sns,
                principal,
            });
        }
        Binding {
            kind,
            namespace: ns,
            name: o.name.clone(),
            origin,
            role_kind,
            role_name,
            role,
            subjects,
            stock: false,
        }
    }

    /// Computes `effective` rules: own rules, or the union over aggregation selectors, as the
    /// aggregation controller would converge to (least fixpoint; cycles add nothing new).
    fn aggregate(&mut self) {
        let n = self.roles.len();
        let mut matches: Vec<Option<Vec<RoleIdx>>> = vec![None; n];
        let cluster_roles: Vec<RoleIdx> = (0..n as RoleIdx)
            .filter(|&i| self.roles[i as usize].kind == RoleKind::ClusterRole)
            .collect();
        for (i, role) in self.roles.iter().enumerate() {
            let Some(sels) = &role.selectors else {
                continue;
            };
            let mut v = Vec::new();
            for (si, sel) in sels.iter().enumerate() {
                for &c in &cluster_roles {
                    if c as usize == i {
                        continue;
                    }
                    match selector_matches(Some(sel), self.roles[c as usize].labels.as_ref()) {
                        Some(true) => v.push(c),
                        Some(false) => {}
                        None => {
                            self.defects.push(Defect {
                                origin: role.origin,
                                pointer: format!("/aggregationRule/clusterRoleSelectors/{si}"),
                                message: "invalid label selector; the API server rejects it".into(),
                                rejected: true,
                            });
                            break;
                        }
                    }
                }
            }
            // An empty selector list selects nothing; `{}` selects every ClusterRole.
            v.sort_unstable();
            v.dedup();
            matches[i] = Some(v);
        }
        for (i, role) in self.roles.iter_mut().enumerate() {
            if matches[i].is_none() {
                role.effective = (0..role.rules.len() as u32)
                    .map(|r| RuleRef {
                        role: i as RoleIdx,
                        rule: r,
                    })
                    .collect();
            }
        }
        let aggregated: Vec<usize> = (0..n).filter(|&i| matches[i].is_some()).collect();
        for _round in 0..=aggregated.len() {
            let mut changed = false;
            for &i in &aggregated {
                let mut eff: Vec<RuleRef> = Vec::new();
                for &c in matches[i].as_ref().expect("aggregated") {
                    eff.extend_from_slice(&self.roles[c as usize].effective);
                }
                eff.sort_unstable();
                eff.dedup();
                if eff != self.roles[i].effective {
                    self.roles[i].effective = eff;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    pub fn rule(&self, r: RuleRef) -> &PolicyRule {
        &self.roles[r.role as usize].rules[r.rule as usize]
    }

    pub fn role(&self, i: RoleIdx) -> &Role {
        &self.roles[i as usize]
    }

    pub fn binding(&self, i: BindingIdx) -> &Binding {
        &self.bindings[i as usize]
    }

    pub fn find_role(
        &self,
        kind: RoleKind,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<RoleIdx> {
        self.role_index
            .get(&(kind, namespace.map(Str::from), Str::from(name)))
            .copied()
    }

    /// The bindings whose grants apply to requests in `namespace` (`None`: cluster-scoped or
    /// non-resource requests): every ClusterRoleBinding, plus RoleBindings of that namespace.
    pub fn bindings_for_namespace(
        &self,
        namespace: Option<&str>,
    ) -> impl Iterator<Item = BindingIdx> + '_ {
        let ns = namespace
            .and_then(|n| self.namespace_bindings.get(n))
            .map(|v| v.as_slice())
            .unwrap_or(&[]);
        self.cluster_bindings.iter().chain(ns.iter()).copied()
    }
}

impl Role {
    fn rules_match(&self, boot: &Object) -> bool {
        let mine: std::collections::HashSet<[Vec<Str>; 5]> =
            self.rules.iter().map(PolicyRule::canonical).collect();
        let theirs: std::collections::HashSet<[Vec<Str>; 5]> = boot
            .root
            .get("rules")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .map(|(i, r)| {
                PolicyRule {
                    index: i as u32,
                    verbs: strs(r.get("verbs")),
                    api_groups: strs(r.get("apiGroups")),
                    resources: strs(r.get("resources")),
                    resource_names: strs(r.get("resourceNames")),
                    non_resource_urls: strs(r.get("nonResourceURLs")),
                }
                .canonical()
            })
            .collect();
        let aggregated_same =
            self.selectors.is_some() == boot.root.get("aggregationRule").is_some();
        // An aggregated role's written rules are the controller's output: ignore them.
        aggregated_same && (self.selectors.is_some() || mine == theirs)
    }
}

fn same_subjects(a: &[Subject], b: &[Subject]) -> bool {
    let key = |s: &[Subject]| {
        let mut v: Vec<(SubjectKind, Str, Option<Principal>)> = s
            .iter()
            .map(|x| (x.kind, x.name.clone(), x.principal.clone()))
            .collect();
        v.sort();
        v
    };
    key(a) == key(b)
}

fn role_kind(kind: &str) -> RoleKind {
    if kind == "Role" {
        RoleKind::Role
    } else {
        RoleKind::ClusterRole
    }
}

fn role_kind_opt(kind: &str) -> Option<RoleKind> {
    match kind {
        "Role" => Some(RoleKind::Role),
        "ClusterRole" => Some(RoleKind::ClusterRole),
        _ => None,
    }
}

fn binding_kind(kind: &str) -> BindingKind {
    if kind == "RoleBinding" {
        BindingKind::RoleBinding
    } else {
        BindingKind::ClusterRoleBinding
    }
}
