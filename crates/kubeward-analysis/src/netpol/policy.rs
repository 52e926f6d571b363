//! NetworkPolicy (networking.k8s.io/v1) and AdminNetworkPolicy / BaselineAdminNetworkPolicy
//! (policy.networking.k8s.io/v1alpha1): validation as the API server does it, and compilation
//! into one rule model that the evaluator walks tier by tier.

use super::ip::{Atoms, Cidr, IpRange, IpSet};
use super::labels::{Problem, Selector, Sym};
use super::model::{Class, Model, class_in_block, is_last, policy_kind_of};
use super::ports::{ConnSet, MAX_PORT, Proto};
use compact_str::CompactString;
use kubeward_core::inventory::{Inventory, Object, ObjectId};
use kubeward_core::{Node, ptr};
use std::borrow::Cow;
use std::collections::HashMap;

/// The three tiers, in evaluation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyKind {
    Admin,
    Network,
    Baseline,
}

impl PolicyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Admin => "AdminNetworkPolicy",
            PolicyKind::Network => "NetworkPolicy",
            PolicyKind::Baseline => "BaselineAdminNetworkPolicy",
        }
    }

    /// Short tag for listings: `[ANP]`, `[NP]`, `[BANP]`.
    pub fn tag(self) -> &'static str {
        match self {
            PolicyKind::Admin => "ANP",
            PolicyKind::Network => "NP",
            PolicyKind::Baseline => "BANP",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    Ingress,
    Egress,
}

impl Dir {
    pub fn field(self) -> &'static str {
        match self {
            Dir::Ingress => "ingress",
            Dir::Egress => "egress",
        }
    }

    /// The peer list field of a NetworkPolicy rule.
    pub fn peers_field(self) -> &'static str {
        match self {
            Dir::Ingress => "from",
            Dir::Egress => "to",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Dir::Ingress => "Ingress",
            Dir::Egress => "Egress",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Allow,
    Deny,
    Pass,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
        }
    }
}

/// Which namespaces a pod scope covers.
#[derive(Clone, Debug)]
pub enum NsScope {
    /// The policy's own namespace.
    Own(u32),
    Select(Selector),
}

/// Pods selected by namespace and pod selectors (AND).
#[derive(Clone, Debug)]
pub struct PodScope {
    pub ns: NsScope,
    /// `None`: every pod of the namespaces.
    pub pods: Option<Selector>,
    /// Host-network pods are left out (AdminNetworkPolicy peers and subjects).
    pub exclude_host_network: bool,
}

impl PodScope {
    pub fn matches(&self, m: &Model, c: &Class) -> bool {
        if self.exclude_host_network && c.host_network {
            return false;
        }
        let ns_ok = match &self.ns {
            NsScope::Own(n) => c.ns == *n,
            NsScope::Select(s) => s.matches(&m.namespaces[c.ns as usize].labels),
        };
        ns_ok && self.pods.as_ref().is_none_or(|s| s.matches(&c.labels))
    }

    /// Whether the namespace part selects every namespace (`namespaceSelector: {}`).
    pub fn all_namespaces(&self) -> bool {
        matches!(&self.ns, NsScope::Select(s) if s.is_empty())
    }

    pub fn all_pods(&self) -> bool {
        self.pods.as_ref().is_none_or(Selector::is_empty)
    }
}

#[derive(Clone, Debug)]
pub enum PeerKind {
    Pods(PodScope),
    Block {
        /// As written: `10.0.0.0/8 except 10.1.0.0/16`.
        text: String,
        set: IpSet,
        /// The CIDR and every except, for splitting the address space.
        bounds: Vec<IpRange>,
        /// Pod addresses are matched too.
        pods: bool,
    },
    /// AdminNetworkPolicy `nodes`: node addresses are not known offline; matches nothing.
    Nodes(Selector),
    /// A peer kubeward does not understand (`domainNames`); handled fail-closed.
    Unknown(String),
}

#[derive(Clone, Debug)]
pub struct Peer {
    pub pointer: String,
    pub kind: PeerKind,
}

#[derive(Clone, Debug)]
pub enum PortSpec {
    /// Every port of the protocol.
    AllPorts,
    Range(u16, u16),
    Named(Sym),
}

#[derive(Clone, Debug)]
pub struct PortEntry {
    pub pointer: String,
    pub proto: Proto,
    pub spec: PortSpec,
}

/// The classes a rule's peers match.
#[derive(Clone, Debug, Default)]
pub enum Members {
    All,
    #[default]
    None,
    Some(Vec<u32>),
}

impl Members {
    pub fn contains(&self, c: u32) -> bool {
        match self {
            Members::All => true,
            Members::None => false,
            Members::Some(v) => v.binary_search(&c).is_ok(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub policy: u32,
    pub dir: Dir,
    /// 0-based position in the policy's rule list.
    pub index: usize,
    pub pointer: String,
    /// AdminNetworkPolicy rule name.
    pub name: Option<String>,
    pub action: Action,
    /// `None`: every peer (a NetworkPolicy rule without `from`/`to`, or with an empty list).
    pub peers: Option<Vec<Peer>>,
    /// `None`: every port and protocol.
    pub ports: Option<Vec<PortEntry>>,
    /// The numeric part of `ports` (everything when `ports` is `None`).
    pub numeric: ConnSet,
    pub has_named: bool,
    pub members: Members,
}

impl Rule {
    /// `ingress rule #1` or `egress rule "deny-all" (#2)`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) if !n.is_empty() => {
                format!("{} rule \"{}\" (#{})", self.dir.field(), n, self.index + 1)
            }
            _ => format!("{} rule #{}", self.dir.field(), self.index + 1),
        }
    }

    /// The connections this rule covers toward `dst` (named ports resolve at the destination;
    /// an external destination has none).
    pub fn conns_at(&self, dst: Option<&Class>) -> Cow<'_, ConnSet> {
        if !self.has_named {
            return Cow::Borrowed(&self.numeric);
        }
        let mut c = self.numeric.clone();
        if let (Some(d), Some(entries)) = (dst, &self.ports) {
            for e in entries {
                if let PortSpec::Named(n) = e.spec {
                    if let Some(p) = d.named_port(n, e.proto) {
                        c.union_with(&ConnSet::ports(e.proto, p, p));
                    }
                }
            }
        }
        Cow::Owned(c)
    }

    pub fn peer_matches_class(&self, m: &Model, c: &Class) -> bool {
        match &self.peers {
            None => true,
            Some(peers) => peers.iter().any(|p| peer_matches_class(m, p, c)),
        }
    }

    pub fn peer_matches_range(&self, r: &IpRange) -> bool {
        match &self.peers {
            None => true,
            Some(peers) => peers.iter().any(|p| peer_matches_range(p, r)),
        }
    }
}

pub fn peer_matches_class(m: &Model, p: &Peer, c: &Class) -> bool {
    match &p.kind {
        PeerKind::Pods(s) => s.matches(m, c),
        PeerKind::Block { set, pods, .. } => *pods && class_in_block(c, set),
        PeerKind::Nodes(_) | PeerKind::Unknown(_) => false,
    }
}

pub fn peer_matches_range(p: &Peer, r: &IpRange) -> bool {
    match &p.kind {
        PeerKind::Block { set, .. } => set.contains_range(r),
        _ => false,
    }
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub kind: PolicyKind,
    pub object: ObjectId,
    pub ns: Option<u32>,
    pub name: CompactString,
    pub priority: i64,
    pub subject: PodScope,
    /// NetworkPolicy `policyTypes` after defaulting.
    pub isolates_ingress: bool,
    pub isolates_egress: bool,
    /// `policyTypes` was not written and was defaulted.
    pub types_defaulted: bool,
    pub ingress: Vec<u32>,
    pub egress: Vec<u32>,
    /// Classes the subject selects.
    pub subject_classes: Vec<u32>,
}

impl Policy {
    /// `ns/name` or `name`.
    pub fn display(&self, m: &Model) -> String {
        match self.ns {
            Some(n) => format!("{}/{}", m.namespaces[n as usize].name, self.name),
            None => self.name.to_string(),
        }
    }

    /// Every pod selector in the policy (subject and peers), for "do these selectors tell pods
    /// apart" checks.
    pub fn pod_selectors<'a>(&'a self, m: &'a Model) -> impl Iterator<Item = &'a Selector> + 'a {
        let peers = self
            .ingress
            .iter()
            .chain(&self.egress)
            .flat_map(move |r| m.rules[*r as usize].peers.iter().flatten())
            .filter_map(|p| match &p.kind {
                PeerKind::Pods(s) => s.pods.as_ref(),
                _ => None,
            });
        self.subject.pods.iter().chain(peers)
    }

    pub fn rules<'a>(
        &'a self,
        m: &'a Model,
        dir: Dir,
    ) -> impl Iterator<Item = (u32, &'a Rule)> + 'a {
        let ids = match dir {
            Dir::Ingress => &self.ingress,
            Dir::Egress => &self.egress,
        };
        ids.iter().map(move |&r| (r, &m.rules[r as usize]))
    }
}

/// Per-class view of the policies that apply to it.
#[derive(Clone, Debug, Default)]
pub struct ClassRules {
    /// NetworkPolicies that isolate the class for ingress / egress.
    pub np_in: Vec<u32>,
    pub np_eg: Vec<u32>,
    /// Their rules.
    pub np_in_rules: Vec<u32>,
    pub np_eg_rules: Vec<u32>,
    /// AdminNetworkPolicy rules, in evaluation order.
    pub admin_in: Vec<u32>,
    pub admin_eg: Vec<u32>,
    /// BaselineAdminNetworkPolicy rules, in order.
    pub base_in: Vec<u32>,
    pub base_eg: Vec<u32>,
}

/// Disjoint external ranges of one direction.
#[derive(Clone, Debug, Default)]
pub struct ExternalSpace {
    pub atoms: Atoms,
}

struct Ctx<'a> {
    m: &'a mut Model,
    obj: &'a Object,
    /// Problems that make the object invalid.
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    ineffective: Vec<Problem>,
}

impl Ctx<'_> {
    fn err(&mut self, p: impl Into<String>, msg: impl Into<String>) {
        self.errors.push(Problem::new(p, msg));
    }
    fn warn(&mut self, p: impl Into<String>, msg: impl Into<String>) {
        self.warnings.push(Problem::new(p, msg));
    }
    fn ineffective(&mut self, p: impl Into<String>, msg: impl Into<String>) {
        self.ineffective.push(Problem::new(p, msg));
    }
    fn selector(&mut self, node: &Node, pointer: &str) -> Option<Selector> {
        match Selector::parse(node, pointer, &mut self.m.syms) {
            Ok(s) => Some(s),
            Err(p) => {
                self.errors.push(p);
                None
            }
        }
    }
}

/// Parses and validates every policy of the inventory into `m`.
pub fn compile(inv: &Inventory, m: &mut Model) {
    let mut objs: Vec<&Object> = [
        "NetworkPolicy",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
    ]
    .iter()
    .flat_map(|k| inv.of_kind(k))
    .filter(|o| policy_kind_of(o).is_some() && is_last(inv, o))
    .collect();
    objs.sort_by_key(|o| o.id);
    let mut banps = 0;
    for o in objs {
        let kind = policy_kind_of(o).expect("filtered");
        let mut cx = Ctx {
            m,
            obj: o,
            errors: Vec::new(),
            warnings: Vec::new(),
            ineffective: Vec::new(),
        };
        let compiled = match kind {
            PolicyKind::Network => network_policy(&mut cx),
            PolicyKind::Admin | PolicyKind::Baseline => admin_policy(&mut cx, kind),
        };
        if kind == PolicyKind::Baseline && cx.errors.is_empty() {
            banps += 1;
        }
        let Ctx {
            errors,
            warnings,
            ineffective,
            ..
        } = cx;
        let ok = errors.is_empty();
        for e in errors {
            m.issue(o.id, e, true);
        }
        for w in warnings {
            m.issue(o.id, w, false);
        }
        for w in ineffective {
            m.issue(o.id, w, false);
            if let Some(last) = m.issues.last_mut() {
                last.ineffective = true;
            }
        }
        if let (true, Some((p, rules))) = (ok, compiled) {
            let pid = m.policies.len() as u32;
            let mut p = p;
            for (dir, mut r) in rules {
                r.policy = pid;
                let rid = m.rules.len() as u32;
                match dir {
                    Dir::Ingress => p.ingress.push(rid),
                    Dir::Egress => p.egress.push(rid),
                }
                m.rules.push(r);
            }
            m.policies.push(p);
        }
    }
    debug_assert!(banps <= 1);
    // Admin policies with the same priority: the order between them is up to the implementation.
    let mut by_prio: HashMap<i64, Vec<u32>> = HashMap::new();
    for (i, p) in m.policies.iter().enumerate() {
        if p.kind == PolicyKind::Admin {
            by_prio.entry(p.priority).or_default().push(i as u32);
        }
    }
    let mut ties: Vec<(i64, Vec<u32>)> = by_prio.into_iter().filter(|(_, v)| v.len() > 1).collect();
    ties.sort();
    for (prio, ids) in ties {
        let names: Vec<String> = ids
            .iter()
            .map(|i| m.policies[*i as usize].name.to_string())
            .collect();
        for &i in &ids[1..] {
            let obj = m.policies[i as usize].object;
            m.issue(
                obj,
                Problem::new(
                    "/spec/priority",
                    format!(
                        "AdminNetworkPolicies {} share priority {prio}; which one wins is up to the network plugin (kubeward orders them by name)",
                        names.join(", ")
                    ),
                ),
                false,
            );
        }
    }
}

type Compiled = Option<(Policy, Vec<(Dir, Rule)>)>;

fn network_policy(cx: &mut Ctx<'_>) -> Compiled {
    let o = cx.obj;
    let ns_name = o.namespace().unwrap_or("default").to_string();
    let ns = cx.m.ns(&ns_name);
    let spec = match o.root.get("spec") {
        Some(s) if s.as_map().is_some() => s,
        Some(s) => {
            cx.err(
                "/spec",
                format!("`spec` must be a mapping, not a {}", s.type_name()),
            );
            return None;
        }
        None => {
            cx.err(
                "",
                "a NetworkPolicy needs a `spec` (at least `podSelector: {}`)",
            );
            return None;
        }
    };
    let subject_sel = match spec.get("podSelector") {
        Some(n) => cx.selector(n, "/spec/podSelector"),
        None => Some(Selector::default()),
    };
    let has_rules = |dir: &str| spec.get(dir).is_some_and(|n| !n.items().is_empty());
    let (mut ing, mut eg, defaulted) = (false, false, spec.get("policyTypes").is_none());
    match spec.get("policyTypes") {
        None => {
            ing = true;
            eg = has_rules("egress");
        }
        Some(n) => {
            let Some(items) = n.as_seq() else {
                cx.err(
                    "/spec/policyTypes",
                    "`policyTypes` must be a list of `Ingress` and `Egress`",
                );
                return None;
            };
            if items.len() > 2 {
                cx.err(
                    "/spec/policyTypes",
                    "`policyTypes` may list at most two values",
                );
            }
            for (i, t) in items.iter().enumerate() {
                match t.as_str() {
                    Some("Ingress") => ing = true,
                    Some("Egress") => eg = true,
                    _ => cx.err(
                        ptr!("/spec/policyTypes", i),
                        format!("unsupported policy type {t} (expected \"Ingress\" or \"Egress\")"),
                    ),
                }
            }
        }
    }
    let mut rules = Vec::new();
    for dir in [Dir::Ingress, Dir::Egress] {
        let Some(list) = spec.get(dir.field()) else {
            continue;
        };
        let Some(items) = list.as_seq() else {
            cx.err(
                ptr!("/spec", dir.field()),
                format!("`{}` must be a list of rules", dir.field()),
            );
            continue;
        };
        for (i, r) in items.iter().enumerate() {
            let rp = ptr!("/spec", dir.field(), i);
            if let Some(rule) = np_rule(cx, r, &rp, dir, i, ns) {
                rules.push((dir, rule));
            }
        }
        // Rules written for a direction the policy does not isolate have no effect.
        let listed = match dir {
            Dir::Ingress => ing,
            Dir::Egress => eg,
        };
        if !listed && !items.is_empty() && !defaulted {
            cx.ineffective(
                ptr!("/spec", dir.field()),
                format!(
                    "{} rules are ignored: `policyTypes` does not list {}",
                    dir.title(),
                    dir.title()
                ),
            );
        }
    }
    rules.retain(|(d, _)| match d {
        Dir::Ingress => ing,
        Dir::Egress => eg,
    });
    let subject = PodScope {
        ns: NsScope::Own(ns),
        pods: Some(subject_sel?),
        exclude_host_network: false,
    };
    Some((
        Policy {
            kind: PolicyKind::Network,
            object: o.id,
            ns: Some(ns),
            name: o.name.clone(),
            priority: 0,
            subject,
            isolates_ingress: ing,
            isolates_egress: eg,
            types_defaulted: defaulted,
            ingress: Vec::new(),
            egress: Vec::new(),
            subject_classes: Vec::new(),
        },
        rules,
    ))
}

fn np_rule(cx: &mut Ctx<'_>, r: &Node, rp: &str, dir: Dir, index: usize, ns: u32) -> Option<Rule> {
    if r.as_map().is_none() && !r.is_null() {
        cx.err(
            rp,
            format!("a rule must be a mapping, not a {}", r.type_name()),
        );
        return None;
    }
    let ports = np_ports(cx, r.get("ports"), &ptr!(rp, "ports"));
    let peers = match r.get(dir.peers_field()) {
        None => None,
        Some(list) => match list.as_seq() {
            None => {
                cx.err(
                    ptr!(rp, dir.peers_field()),
                    format!("`{}` must be a list of peers", dir.peers_field()),
                );
                return None;
            }
            // `from: []` means the same as no `from`: every source.
            Some([]) => None,
            Some(items) => {
                let mut v = Vec::new();
                for (j, p) in items.iter().enumerate() {
                    let pp = ptr!(rp, dir.peers_field(), j);
                    if let Some(peer) = np_peer(cx, p, &pp, ns) {
                        v.push(peer);
                    }
                }
                Some(v)
            }
        },
    };
    let (ports, numeric, has_named) = ports?;
    // Egress named ports resolve at the destination pod; an address has none. (On ingress the
    // destination is the selected pod, so a named port works with any source.)
    if has_named && dir == Dir::Egress {
        if let Some(peers) = &peers {
            if peers
                .iter()
                .all(|p| matches!(p.kind, PeerKind::Block { .. }))
            {
                cx.ineffective(
                    ptr!(rp, "ports"),
                    "a named port cannot apply to an ipBlock peer (there is no pod to resolve the name against); it matches nothing for these addresses",
                );
            }
        }
    }
    Some(Rule {
        policy: 0,
        dir,
        index,
        pointer: rp.to_string(),
        name: None,
        action: Action::Allow,
        peers,
        ports,
        numeric,
        has_named,
        members: Members::None,
    })
}

fn np_peer(cx: &mut Ctx<'_>, p: &Node, pp: &str, ns: u32) -> Option<Peer> {
    if p.as_map().is_none() {
        cx.err(
            pp,
            format!("a peer must be a mapping, not a {}", p.type_name()),
        );
        return None;
    }
    let pod = p.get("podSelector");
    let nsel = p.get("namespaceSelector");
    let block = p.get("ipBlock");
    if let Some(b) = block {
        if pod.is_some() || nsel.is_some() {
            cx.err(pp, "a peer cannot combine `ipBlock` with `podSelector` or `namespaceSelector`; write them as separate peers");
            return None;
        }
        let bp = ptr!(pp, "ipBlock");
        let Some(cidr_text) = b.str_at("cidr") else {
            cx.err(&bp, "`ipBlock` needs a `cidr`");
            return None;
        };
        let cidr = match Cidr::parse(cidr_text) {
            Ok((c, host)) => {
                if host {
                    cx.warn(
                        ptr!(&bp, "cidr"),
                        format!("`{cidr_text}` has host bits set; it means {c}"),
                    );
                }
                c
            }
            Err(e) => {
                cx.err(ptr!(&bp, "cidr"), e.to_string());
                return None;
            }
        };
        let mut excepts = Vec::new();
        for (i, e) in b
            .get("except")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let ep = ptr!(&bp, "except", i);
            let Some(t) = e.as_str() else {
                cx.err(&ep, "`except` entries must be CIDR strings");
                continue;
            };
            match Cidr::parse(t) {
                Ok((x, _)) => {
                    if x.family != cidr.family
                        || !cidr.range().contains_range(&x.range())
                        || x.prefix <= cidr.prefix
                    {
                        cx.err(
                            &ep,
                            format!("except `{t}` must be a strict subset of `cidr` {cidr_text}"),
                        );
                    } else {
                        excepts.push(x);
                    }
                }
                Err(msg) => cx.err(&ep, msg.to_string()),
            }
        }
        let set = IpSet::from_block(&cidr, &excepts);
        let mut bounds = vec![cidr.range()];
        bounds.extend(excepts.iter().map(Cidr::range));
        let text = if excepts.is_empty() {
            cidr.to_string()
        } else {
            format!(
                "{cidr} except {}",
                excepts
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let pods = cx.m.options.ipblock_matches_pods;
        return Some(Peer {
            pointer: pp.to_string(),
            kind: PeerKind::Block {
                text,
                set,
                bounds,
                pods,
            },
        });
    }
    if pod.is_none() && nsel.is_none() {
        cx.err(pp, "a peer must set `podSelector`, `namespaceSelector` or `ipBlock` (an empty peer `{}` is rejected)");
        return None;
    }
    let pods = match pod {
        Some(n) => Some(cx.selector(n, &ptr!(pp, "podSelector"))?),
        None => None,
    };
    let nsc = match nsel {
        Some(n) => {
            let s = cx.selector(n, &ptr!(pp, "namespaceSelector"))?;
            note_namespace_names(cx.m, &s);
            NsScope::Select(s)
        }
        None => NsScope::Own(ns),
    };
    Some(Peer {
        pointer: pp.to_string(),
        kind: PeerKind::Pods(PodScope {
            ns: nsc,
            pods,
            exclude_host_network: false,
        }),
    })
}

/// Namespaces named through `kubernetes.io/metadata.name` are assumed to exist.
fn note_namespace_names(m: &mut Model, s: &Selector) {
    let key = m.ns_name_key;
    let mut names: Vec<String> = s
        .match_labels
        .iter()
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| m.syms.str(*v).to_string())
        .collect();
    for e in &s.exprs {
        if e.key == key && e.op == super::labels::Op::In {
            names.extend(e.values.iter().map(|v| m.syms.str(*v).to_string()));
        }
    }
    for n in names {
        m.ns(&n);
    }
}

type PortsOut = Option<(Option<Vec<PortEntry>>, ConnSet, bool)>;

fn np_ports(cx: &mut Ctx<'_>, ports: Option<&Node>, pp: &str) -> PortsOut {
    let Some(list) = ports else {
        return Some((None, ConnSet::all(), false));
    };
    let Some(items) = list.as_seq() else {
        cx.err(pp, "`ports` must be a list");
        return None;
    };
    if items.is_empty() {
        return Some((None, ConnSet::all(), false));
    }
    let mut entries = Vec::new();
    let mut numeric = ConnSet::none();
    let mut named = false;
    let mut ok = true;
    for (i, p) in items.iter().enumerate() {
        let ep = ptr!(pp, i);
        let proto = match p.get("protocol") {
            None => Proto::Tcp,
            Some(n) => match n.as_str().and_then(Proto::parse) {
                Some(x) => x,
                None => {
                    cx.err(
                        ptr!(&ep, "protocol"),
                        format!("unsupported protocol {n} (expected \"TCP\", \"UDP\" or \"SCTP\")"),
                    );
                    ok = false;
                    continue;
                }
            },
        };
        let end = p.get("endPort");
        let spec = match p.get("port") {
            None => {
                if end.is_some() {
                    cx.err(ptr!(&ep, "endPort"), "`endPort` needs a numeric `port`");
                    ok = false;
                    continue;
                }
                PortSpec::AllPorts
            }
            Some(n) => {
                match (&n.value, n.as_i64()) {
                    (_, Some(v)) => {
                        if !(1..=i64::from(MAX_PORT)).contains(&v) {
                            cx.err(
                                ptr!(&ep, "port"),
                                format!("port {v} is out of range (1-65535)"),
                            );
                            ok = false;
                            continue;
                        }
                        let lo = v as u16;
                        match end {
                            None => PortSpec::Range(lo, lo),
                            Some(e) => match e.as_i64() {
                                Some(hi) if hi >= v && hi <= i64::from(MAX_PORT) => {
                                    PortSpec::Range(lo, hi as u16)
                                }
                                _ => {
                                    cx.err(ptr!(&ep, "endPort"), format!("`endPort` {e} must be a number from `port` ({v}) to 65535"));
                                    ok = false;
                                    continue;
                                }
                            },
                        }
                    }
                    (kubeward_core::Value::Str(s), None) => {
                        if let Err(msg) = check_port_name(s) {
                            cx.err(ptr!(&ep, "port"), msg);
                            ok = false;
                            continue;
                        }
                        if end.is_some() {
                            cx.err(
                                ptr!(&ep, "endPort"),
                                "`endPort` cannot be used with a named port",
                            );
                            ok = false;
                            continue;
                        }
                        PortSpec::Named(cx.m.syms.intern(s))
                    }
                    _ => {
                        cx.err(
                            ptr!(&ep, "port"),
                            format!(
                                "`port` must be a number or a port name, not a {}",
                                n.type_name()
                            ),
                        );
                        ok = false;
                        continue;
                    }
                }
            }
        };
        match spec {
            PortSpec::AllPorts => numeric.union_with(&ConnSet::protocol(proto)),
            PortSpec::Range(lo, hi) => numeric.union_with(&ConnSet::ports(proto, lo, hi)),
            PortSpec::Named(_) => named = true,
        }
        entries.push(PortEntry {
            pointer: ep,
            proto,
            spec,
        });
    }
    ok.then_some((Some(entries), numeric, named))
}

/// An IANA service name: 1-15 characters of `[a-z0-9-]`, at least one letter, no leading,
/// trailing or double `-`.
fn check_port_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a valid port name (1-15 lower-case letters, digits and single dashes, at least one letter)"
        ))
    }
}

fn admin_policy(cx: &mut Ctx<'_>, kind: PolicyKind) -> Compiled {
    let o = cx.obj;
    let spec = match o.root.get("spec") {
        Some(s) if s.as_map().is_some() => s,
        _ => {
            cx.err("", format!("a {} needs a `spec` mapping", kind.as_str()));
            return None;
        }
    };
    let mut priority = 0;
    if kind == PolicyKind::Admin {
        match spec.get("priority").and_then(Node::as_i64) {
            Some(p) if (0..=1000).contains(&p) => priority = p,
            Some(p) => cx.err(
                "/spec/priority",
                format!("priority {p} is out of range (0-1000)"),
            ),
            None => cx.err(
                "/spec",
                "an AdminNetworkPolicy needs a numeric `priority` (0-1000)",
            ),
        }
    } else if o.name != "default" {
        cx.err(
            "/metadata/name",
            format!("a BaselineAdminNetworkPolicy must be named `default` (this one is `{}`); the API server rejects others", o.name),
        );
    }
    let subject = match spec.get("subject") {
        None => {
            cx.err("/spec", "`subject` is required");
            None
        }
        Some(s) => admin_scope(cx, s, "/spec/subject", false),
    };
    let mut rules = Vec::new();
    for dir in [Dir::Ingress, Dir::Egress] {
        let Some(list) = spec.get(dir.field()) else {
            continue;
        };
        let Some(items) = list.as_seq() else {
            cx.err(ptr!("/spec", dir.field()), "rules must be a list");
            continue;
        };
        if items.len() > 100 {
            cx.err(
                ptr!("/spec", dir.field()),
                format!("at most 100 {} rules are allowed", dir.field()),
            );
        }
        for (i, r) in items.iter().enumerate() {
            let rp = ptr!("/spec", dir.field(), i);
            if let Some(rule) = admin_rule(cx, r, &rp, dir, i, kind) {
                rules.push((dir, rule));
            }
        }
    }
    let subject = subject?;
    Some((
        Policy {
            kind,
            object: o.id,
            ns: None,
            name: o.name.clone(),
            priority,
            subject,
            isolates_ingress: false,
            isolates_egress: false,
            types_defaulted: false,
            ingress: Vec::new(),
            egress: Vec::new(),
            subject_classes: Vec::new(),
        },
        rules,
    ))
}

/// A subject or an in-cluster peer: `namespaces: SELECTOR` or
/// `pods: {namespaceSelector, podSelector}`.
fn admin_scope(cx: &mut Ctx<'_>, n: &Node, p: &str, _peer: bool) -> Option<PodScope> {
    let nsn = n.get("namespaces");
    let pods = n.get("pods");
    match (nsn, pods) {
        (Some(s), None) => {
            let sel = cx.selector(s, &ptr!(p, "namespaces"))?;
            note_namespace_names(cx.m, &sel);
            Some(PodScope {
                ns: NsScope::Select(sel),
                pods: None,
                exclude_host_network: true,
            })
        }
        (None, Some(pn)) => {
            let pp = ptr!(p, "pods");
            let nsel = match pn.get("namespaceSelector") {
                Some(x) => cx.selector(x, &ptr!(&pp, "namespaceSelector"))?,
                None => {
                    cx.err(
                        &pp,
                        "`pods` needs a `namespaceSelector` (use `{}` for every namespace)",
                    );
                    return None;
                }
            };
            note_namespace_names(cx.m, &nsel);
            let psel = match pn.get("podSelector") {
                Some(x) => cx.selector(x, &ptr!(&pp, "podSelector"))?,
                None => {
                    cx.err(&pp, "`pods` needs a `podSelector` (use `{}` for every pod)");
                    return None;
                }
            };
            Some(PodScope {
                ns: NsScope::Select(nsel),
                pods: Some(psel),
                exclude_host_network: true,
            })
        }
        _ => {
            cx.err(p, "exactly one of `namespaces` or `pods` must be set");
            None
        }
    }
}

fn admin_rule(
    cx: &mut Ctx<'_>,
    r: &Node,
    rp: &str,
    dir: Dir,
    index: usize,
    kind: PolicyKind,
) -> Option<Rule> {
    let name = r.str_at("name").map(str::to_string);
    let action = match r.str_at("action") {
        Some("Allow") => Action::Allow,
        Some("Deny") => Action::Deny,
        Some("Pass") if kind == PolicyKind::Admin => Action::Pass,
        other => {
            let allowed = if kind == PolicyKind::Admin {
                "Allow, Deny or Pass"
            } else {
                "Allow or Deny"
            };
            cx.err(
                ptr!(rp, "action"),
                format!(
                    "action {} is not supported here (expected {allowed})",
                    other.map_or("(missing)".into(), |a| format!("`{a}`"))
                ),
            );
            return None;
        }
    };
    let pf = dir.peers_field();
    let items = match r.get(pf).and_then(Node::as_seq) {
        Some(i) if !i.is_empty() => i,
        _ => {
            cx.err(rp, format!("`{pf}` must list at least one peer"));
            return None;
        }
    };
    if items.len() > 100 {
        cx.err(ptr!(rp, pf), "at most 100 peers are allowed");
    }
    let mut peers = Vec::new();
    let mut fail_closed = false;
    for (j, p) in items.iter().enumerate() {
        let pp = ptr!(rp, pf, j);
        let keys: Vec<&str> = p.entries().map(|(k, _)| k).collect();
        if keys.len() != 1 {
            cx.err(
                &pp,
                "a peer must set exactly one of `namespaces`, `pods`, `nodes`, `networks`",
            );
            continue;
        }
        match keys[0] {
            "namespaces" | "pods" => {
                if let Some(s) = admin_scope(cx, p, &pp, true) {
                    peers.push(Peer {
                        pointer: pp,
                        kind: PeerKind::Pods(s),
                    });
                }
            }
            "nodes" if dir == Dir::Egress => {
                if let Some(s) = p
                    .get("nodes")
                    .and_then(|n| cx.selector(n, &ptr!(&pp, "nodes")))
                {
                    cx.warn(&pp, "`nodes` peers match node addresses, which kubeward cannot know offline; this peer matches nothing in the analysis");
                    peers.push(Peer {
                        pointer: pp,
                        kind: PeerKind::Nodes(s),
                    });
                }
            }
            "networks" if dir == Dir::Egress => {
                let nets = p.get("networks").map(Node::items).unwrap_or(&[]);
                if nets.is_empty() || nets.len() > 25 {
                    cx.err(ptr!(&pp, "networks"), "`networks` must list 1 to 25 CIDRs");
                    continue;
                }
                for (k, c) in nets.iter().enumerate() {
                    let cp = ptr!(&pp, "networks", k);
                    let Some(t) = c.as_str() else {
                        cx.err(&cp, "a network must be a CIDR string");
                        continue;
                    };
                    match Cidr::parse(t) {
                        Ok((x, _)) => peers.push(Peer {
                            pointer: cp,
                            kind: PeerKind::Block {
                                text: x.to_string(),
                                set: IpSet {
                                    ranges: vec![x.range()],
                                },
                                bounds: vec![x.range()],
                                pods: true,
                            },
                        }),
                        Err(e) => cx.err(&cp, e.to_string()),
                    }
                }
            }
            other => {
                cx.warn(
                    &pp,
                    format!(
                        "peer type `{other}` is not understood by kubeward; as the API asks, it fails closed ({})",
                        if action == Action::Allow {
                            "this Allow rule matches nothing"
                        } else {
                            "this rule denies everything"
                        }
                    ),
                );
                fail_closed = true;
                peers.push(Peer {
                    pointer: pp,
                    kind: PeerKind::Unknown(other.to_string()),
                });
            }
        }
    }
    let (ports, numeric, has_named) = admin_ports(cx, r.get("ports"), &ptr!(rp, "ports"))?;
    if fail_closed && action != Action::Allow {
        return Some(Rule {
            policy: 0,
            dir,
            index,
            pointer: rp.to_string(),
            name,
            action: Action::Deny,
            peers: None,
            ports: None,
            numeric: ConnSet::all(),
            has_named: false,
            members: Members::None,
        });
    }
    Some(Rule {
        policy: 0,
        dir,
        index,
        pointer: rp.to_string(),
        name,
        action,
        peers: Some(peers),
        ports,
        numeric,
        has_named,
        members: Members::None,
    })
}

fn admin_ports(cx: &mut Ctx<'_>, ports: Option<&Node>, pp: &str) -> PortsOut {
    let Some(list) = ports else {
        return Some((None, ConnSet::all(), false));
    };
    let Some(items) = list.as_seq().filter(|i| !i.is_empty()) else {
        cx.err(pp, "`ports` must be a non-empty list when present");
        return None;
    };
    let mut entries = Vec::new();
    let mut numeric = ConnSet::none();
    let mut named = false;
    let mut ok = true;
    let proto_of = |cx: &mut Ctx<'_>, n: &Node, p: &str| -> Option<Proto> {
        match n.get("protocol") {
            None => Some(Proto::Tcp),
            Some(v) => {
                let r = v.as_str().and_then(Proto::parse);
                if r.is_none() {
                    cx.err(ptr!(p, "protocol"), format!("unsupported protocol {v}"));
                }
                r
            }
        }
    };
    for (i, e) in items.iter().enumerate() {
        let ep = ptr!(pp, i);
        let keys: Vec<&str> = e.entries().map(|(k, _)| k).collect();
        if keys.len() != 1 {
            cx.err(
                &ep,
                "a port must set exactly one of `portNumber`, `namedPort`, `portRange`",
            );
            ok = false;
            continue;
        }
        let num = |n: Option<&Node>| n.and_then(Node::as_i64).filter(|v| (1..=65535).contains(v));
        match keys[0] {
            "portNumber" => {
                let n = e.get("portNumber").unwrap_or(Node::null());
                let p = ptr!(&ep, "portNumber");
                let Some(proto) = proto_of(cx, n, &p) else {
                    ok = false;
                    continue;
                };
                let Some(v) = num(n.get("port")) else {
                    cx.err(ptr!(&p, "port"), "`port` must be a number from 1 to 65535");
                    ok = false;
                    continue;
                };
                numeric.union_with(&ConnSet::ports(proto, v as u16, v as u16));
                entries.push(PortEntry {
                    pointer: ep,
                    proto,
                    spec: PortSpec::Range(v as u16, v as u16),
                });
            }
            "portRange" => {
                let n = e.get("portRange").unwrap_or(Node::null());
                let p = ptr!(&ep, "portRange");
                let Some(proto) = proto_of(cx, n, &p) else {
                    ok = false;
                    continue;
                };
                match (num(n.get("start")), num(n.get("end"))) {
                    (Some(a), Some(b)) if a < b => {
                        numeric.union_with(&ConnSet::ports(proto, a as u16, b as u16));
                        entries.push(PortEntry {
                            pointer: ep,
                            proto,
                            spec: PortSpec::Range(a as u16, b as u16),
                        });
                    }
                    _ => {
                        cx.err(
                            &p,
                            "`portRange` needs numeric `start` < `end` within 1-65535",
                        );
                        ok = false;
                    }
                }
            }
            "namedPort" => match e.str_at("namedPort") {
                Some(s) => {
                    named = true;
                    let sym = cx.m.syms.intern(s);
                    // The name resolves per destination pod, on whichever protocol it has there.
                    for proto in Proto::ALL {
                        entries.push(PortEntry {
                            pointer: ep.clone(),
                            proto,
                            spec: PortSpec::Named(sym),
                        });
                    }
                }
                None => {
                    cx.err(ptr!(&ep, "namedPort"), "`namedPort` must be a string");
                    ok = false;
                }
            },
            other => {
                cx.err(&ep, format!("unknown port type `{other}`"));
                ok = false;
            }
        }
    }
    ok.then_some((Some(entries), numeric, named))
}

/// Computes subjects, rule members, per-class rule lists and external ranges.
pub fn link(m: &mut Model) {
    let n_classes = m.classes.len();
    // Subjects.
    let mut subjects = Vec::with_capacity(m.policies.len());
    for p in &m.policies {
        subjects.push(scope_classes(m, &p.subject));
    }
    for (p, s) in m.policies.iter_mut().zip(subjects) {
        p.subject_classes = s;
    }
    // Rule members.
    let mut members = Vec::with_capacity(m.rules.len());
    for r in &m.rules {
        let mem = match &r.peers {
            None => Members::All,
            Some(peers) => {
                let mut v: Vec<u32> = Vec::new();
                for p in peers {
                    match &p.kind {
                        PeerKind::Pods(s) => v.extend(scope_classes(m, s)),
                        PeerKind::Block {
                            set, pods: true, ..
                        } => v.extend(
                            (0..n_classes as u32)
                                .filter(|c| class_in_block(&m.classes[*c as usize], set)),
                        ),
                        _ => {}
                    }
                }
                v.sort_unstable();
                v.dedup();
                if v.is_empty() {
                    Members::None
                } else if v.len() == n_classes {
                    Members::All
                } else {
                    Members::Some(v)
                }
            }
        };
        members.push(mem);
    }
    for (r, mem) in m.rules.iter_mut().zip(members) {
        r.members = mem;
    }
    // Per-class lists.
    let mut per = vec![ClassRules::default(); n_classes];
    for (pi, p) in m.policies.iter().enumerate() {
        for &c in &p.subject_classes {
            let cr = &mut per[c as usize];
            match p.kind {
                PolicyKind::Network => {
                    if p.isolates_ingress {
                        cr.np_in.push(pi as u32);
                        cr.np_in_rules.extend(&p.ingress);
                    }
                    if p.isolates_egress {
                        cr.np_eg.push(pi as u32);
                        cr.np_eg_rules.extend(&p.egress);
                    }
                }
                PolicyKind::Admin => {
                    cr.admin_in.extend(&p.ingress);
                    cr.admin_eg.extend(&p.egress);
                }
                PolicyKind::Baseline => {
                    cr.base_in.extend(&p.ingress);
                    cr.base_eg.extend(&p.egress);
                }
            }
        }
    }
    let order = |r: &u32| {
        let rule = &m.rules[*r as usize];
        let p = &m.policies[rule.policy as usize];
        (p.priority, p.name.clone(), rule.index)
    };
    for cr in &mut per {
        cr.admin_in.sort_by_key(order);
        cr.admin_eg.sort_by_key(order);
    }
    m.per_class = per;
    // External ranges.
    let mut in_bounds = Vec::new();
    let mut eg_bounds = Vec::new();
    for r in &m.rules {
        for p in r.peers.iter().flatten() {
            if let PeerKind::Block { bounds, .. } = &p.kind {
                match r.dir {
                    Dir::Ingress => in_bounds.extend(bounds.iter().copied()),
                    Dir::Egress => eg_bounds.extend(bounds.iter().copied()),
                }
            }
        }
    }
    m.ingress_ext = ExternalSpace {
        atoms: Atoms::build(in_bounds.iter()),
    };
    m.egress_ext = ExternalSpace {
        atoms: Atoms::build(eg_bounds.iter()),
    };
}

/// Classes a pod scope selects.
pub fn scope_classes(m: &Model, s: &PodScope) -> Vec<u32> {
    let mut out = Vec::new();
    let mut take = |ns: usize| {
        for &c in &m.ns_classes[ns] {
            if s.matches(m, &m.classes[c as usize]) {
                out.push(c);
            }
        }
    };
    match &s.ns {
        NsScope::Own(n) => take(*n as usize),
        NsScope::Select(sel) => {
            for (i, ns) in m.namespaces.iter().enumerate() {
                if sel.matches(&ns.labels) {
                    take(i);
                }
            }
        }
    }
    out.sort_unstable();
    out
}
