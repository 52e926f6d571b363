//! The analysed world: namespaces, endpoints (workloads), their equivalence classes, and the
//! policies compiled against them.
//!
//! Endpoints are workloads. Pods in the inventory (a cluster dump) are grouped by their
//! controlling owner and shown as that owner (`ns/web-7d4b9c[ReplicaSet]`); a workload with no
//! pods in the inventory (manifests) stands for its pod template (`ns/web[Deployment]`). An
//! object is never counted twice: a workload whose pods are present, or whose controller is
//! present, is represented by them.

use super::ip::IpSet;
use super::labels::{Interner, Labels, Problem, Sym};
use super::policy::{self, Policy, PolicyKind, Rule};
use super::ports::Proto;
use compact_str::CompactString;
use kubeward_core::Node;
use kubeward_core::inventory::{Inventory, Object, ObjectId};
use kubeward_core::podspec::{Found, PodSpec};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

/// The automatic namespace label.
pub const NS_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Workload kinds that own a pod template.
pub const TEMPLATE_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// Analysis options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// NetworkPolicy `ipBlock` peers also match pod addresses.
    pub ipblock_matches_pods: bool,
    /// Where the ingress controller runs (`settings.ingress_controller`); `None`: unknown.
    pub ingress_controller: Option<super::ingress::Location>,
}

#[derive(Clone, Debug)]
pub struct Namespace {
    pub name: CompactString,
    pub labels: Labels,
    /// The Namespace object, when the inventory has one.
    pub object: Option<ObjectId>,
}

impl Namespace {
    /// Not in the inventory: assumed to exist with only the automatic label.
    pub fn assumed(&self) -> bool {
        self.object.is_none()
    }
}

/// A workload: the unit of analysis.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub ns: u32,
    pub name: CompactString,
    pub kind: CompactString,
    /// The workload object, or the pods grouped under their owner.
    pub objects: Vec<ObjectId>,
    /// Pointer to the pod labels in `objects[0]`.
    pub labels_ptr: String,
    pub labels: Labels,
    /// Named container ports: (name, protocol, number), sorted.
    pub ports: Vec<(Sym, Proto, u16)>,
    /// Known pod addresses (pods with a status).
    pub ips: Vec<IpAddr>,
    pub host_network: bool,
    /// Not from the inventory: a stand-in used by some checks (kube-dns).
    pub synthetic: bool,
    pub class: u32,
    /// `ns/name[Kind]`.
    pub display: String,
}

/// Endpoints that no policy can tell apart: same namespace, labels, named ports, addresses.
#[derive(Clone, Debug)]
pub struct Class {
    pub ns: u32,
    pub labels: Labels,
    pub ports: Vec<(Sym, Proto, u16)>,
    pub ips: Vec<IpAddr>,
    pub host_network: bool,
    pub members: Vec<u32>,
    /// Only synthetic members.
    pub synthetic: bool,
}

impl Class {
    /// The port number of the named port `name` on `proto`, if the pods define it.
    pub fn named_port(&self, name: Sym, proto: Proto) -> Option<u16> {
        self.ports
            .iter()
            .find(|(n, p, _)| *n == name && *p == proto)
            .map(|x| x.2)
    }

    pub fn has_port_name(&self, name: Sym) -> bool {
        self.ports.iter().any(|(n, _, _)| *n == name)
    }
}

/// Something wrong or doubtful in the input, located.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub object: ObjectId,
    pub pointer: String,
    pub message: String,
    /// The API server would reject the object (it is left out of the analysis).
    pub error: bool,
    /// A rule or port that can never match anything (a weakness, not an input error).
    pub ineffective: bool,
}

/// The compiled world.
#[derive(Debug, Default)]
pub struct Model {
    pub syms: Interner,
    pub options: Options,
    pub namespaces: Vec<Namespace>,
    pub ns_index: HashMap<CompactString, u32>,
    pub endpoints: Vec<Endpoint>,
    pub classes: Vec<Class>,
    /// Classes of each namespace.
    pub ns_classes: Vec<Vec<u32>>,
    pub policies: Vec<Policy>,
    pub rules: Vec<Rule>,
    pub issues: Vec<Issue>,
    /// Interned `kubernetes.io/metadata.name`.
    pub ns_name_key: Sym,
    /// The configured ingress controller as a class of its own (not in `classes`); `None`:
    /// its location is unknown.
    pub ingress_controller: Option<Class>,
    /// Classes that Ingresses and Routes send the ingress controller's traffic to.
    pub ingress_routed: Vec<super::ingress::Routed>,
    pub(crate) per_class: Vec<policy::ClassRules>,
    pub(crate) ingress_ext: policy::ExternalSpace,
    pub(crate) egress_ext: policy::ExternalSpace,
}

impl Model {
    pub fn build(inv: &Inventory, options: Options) -> Model {
        let mut m = Model {
            options,
            ..Model::default()
        };
        m.ns_name_key = m.syms.intern(NS_NAME_LABEL);
        // Namespaces with objects first.
        for o in inv.of_kind("Namespace") {
            if o.group() != "" || !is_last(inv, o) {
                continue;
            }
            let mut labels = Labels::from_node(o.labels(), &mut m.syms);
            let v = m.syms.intern(&o.name);
            labels.insert(m.ns_name_key, v);
            let idx = m.namespaces.len() as u32;
            m.ns_index.insert(o.name.clone(), idx);
            m.namespaces.push(Namespace {
                name: o.name.clone(),
                labels,
                object: Some(o.id),
            });
        }
        collect_endpoints(inv, &mut m);
        policy::compile(inv, &mut m);
        m.add_dns_stand_in();
        if let Some(loc) = m.options.ingress_controller.clone() {
            m.ingress_controller = Some(super::ingress::located_class(&mut m, &loc));
        }
        m.build_classes();
        policy::link(&mut m);
        m.check_owner_label_gaps(inv);
        m.ingress_routed = super::ingress::routed(inv, &m);
        m
    }

    /// The index of namespace `name`, creating an assumed one.
    pub fn ns(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.ns_index.get(name) {
            return i;
        }
        let v = self.syms.intern(name);
        let idx = self.namespaces.len() as u32;
        self.namespaces.push(Namespace {
            name: name.into(),
            labels: Labels(vec![(self.ns_name_key, v)]),
            object: None,
        });
        self.ns_index.insert(name.into(), idx);
        idx
    }

    pub fn issue(&mut self, object: ObjectId, p: Problem, error: bool) {
        self.issues.push(Issue {
            object,
            pointer: p.pointer,
            message: p.message,
            error,
            ineffective: false,
        });
    }

    /// Real (not synthetic) endpoints.
    pub fn workloads(&self) -> impl Iterator<Item = (u32, &Endpoint)> {
        self.endpoints
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.synthetic)
            .map(|(i, e)| (i as u32, e))
    }

    /// Namespaces that the user did not provide and that were assumed to exist.
    pub fn assumed_namespaces(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .namespaces
            .iter()
            .filter(|n| n.assumed())
            .map(|n| n.name.as_str())
            .collect();
        v.sort_unstable();
        v
    }

    /// Looks an endpoint up by `ns/name[Kind]`, `ns/name` or `name` (when unique).
    pub fn find_endpoint(&self, text: &str) -> Result<u32, super::QueryError> {
        let (base, kind) = match text.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
            Some((b, k)) => (b, Some(k)),
            None => (text, None),
        };
        let (ns, name) = match base.split_once('/') {
            Some((n, w)) => (Some(n), w),
            None => (None, base),
        };
        let hits: Vec<u32> = self
            .workloads()
            .filter(|(_, e)| {
                e.name == name
                    && kind.is_none_or(|k| e.kind.eq_ignore_ascii_case(k))
                    && ns.is_none_or(|n| self.namespaces[e.ns as usize].name == n)
            })
            .map(|(i, _)| i)
            .collect();
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(super::QueryError::NoWorkload(text.to_string())),
            many => Err(super::QueryError::Ambiguous {
                text: text.to_string(),
                matches: many
                    .iter()
                    .map(|i| self.endpoints[*i as usize].display.clone())
                    .collect(),
            }),
        }
    }

    /// A CoreDNS stand-in in kube-system, when no workload there carries `k8s-app: kube-dns`.
    fn add_dns_stand_in(&mut self) {
        let key = self.syms.intern("k8s-app");
        let val = self.syms.intern("kube-dns");
        let ks = self.ns("kube-system");
        if self
            .endpoints
            .iter()
            .any(|e| e.ns == ks && e.labels.get(key) == Some(val))
        {
            return;
        }
        let dns = self.syms.intern("dns");
        let dns_tcp = self.syms.intern("dns-tcp");
        let metrics = self.syms.intern("metrics");
        let mut ports = vec![
            (dns, Proto::Udp, 53),
            (dns_tcp, Proto::Tcp, 53),
            (metrics, Proto::Tcp, 9153),
        ];
        ports.sort_unstable();
        self.endpoints.push(Endpoint {
            ns: ks,
            name: "coredns".into(),
            kind: "Deployment".into(),
            objects: Vec::new(),
            labels_ptr: String::new(),
            labels: Labels(vec![(key, val)]),
            ports,
            ips: Vec::new(),
            host_network: false,
            synthetic: true,
            class: 0,
            display: "kube-system/coredns[Deployment]".into(),
        });
    }

    /// The kube-dns endpoints (real or the stand-in).
    pub fn dns_endpoints(&self) -> Vec<u32> {
        let key = self.syms.get("k8s-app");
        let val = self.syms.get("kube-dns");
        let ks = self.ns_index.get("kube-system").copied();
        self.endpoints
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                Some(e.ns) == ks && key.is_some() && e.labels.get(key.unwrap_or(0)) == val
            })
            .map(|(i, _)| i as u32)
            .collect()
    }

    fn build_classes(&mut self) {
        type Key = (u32, Labels, Vec<(Sym, Proto, u16)>, Vec<IpAddr>, bool, bool);
        let mut index: HashMap<Key, u32> = HashMap::new();
        self.ns_classes = vec![Vec::new(); self.namespaces.len()];
        for (i, e) in self.endpoints.iter_mut().enumerate() {
            let key: Key = (
                e.ns,
                e.labels.clone(),
                e.ports.clone(),
                e.ips.clone(),
                e.host_network,
                e.synthetic,
            );
            let c = *index.entry(key).or_insert_with(|| {
                let c = self.classes.len() as u32;
                self.classes.push(Class {
                    ns: e.ns,
                    labels: e.labels.clone(),
                    ports: e.ports.clone(),
                    ips: e.ips.clone(),
                    host_network: e.host_network,
                    members: Vec::new(),
                    synthetic: e.synthetic,
                });
                self.ns_classes[e.ns as usize].push(c);
                c
            });
            e.class = c;
            self.classes[c as usize].members.push(i as u32);
        }
    }

    /// Pods of one owner whose labels a selector tells apart: the owner is analysed with the
    /// labels of its first pod, which may be wrong for the others.
    fn check_owner_label_gaps(&mut self, inv: &Inventory) {
        let mut found = Vec::new();
        for e in &self.endpoints {
            if e.objects.len() < 2 || e.kind == "Pod" {
                continue;
            }
            let variants: Vec<(ObjectId, Labels)> = e
                .objects
                .iter()
                .map(|id| {
                    let o = inv.object(*id);
                    (*id, labels_readonly(o.labels(), &self.syms))
                })
                .collect();
            let first = &variants[0].1;
            for (id, l) in &variants[1..] {
                if l == first {
                    continue;
                }
                let telling = self.policies.iter().find(|p| {
                    p.pod_selectors(self)
                        .any(|s| s.matches(first) != s.matches(l))
                });
                if let Some(p) = telling {
                    found.push(Issue {
                        object: *id,
                        pointer: "/metadata/labels".into(),
                        message: format!(
                            "pods of {} have different labels and {} {} selects some of them but not others; kubeward analyses the owner with the labels of its first pod ({})",
                            e.display,
                            p.kind.as_str(),
                            p.display(self),
                            inv.object(e.objects[0]).name
                        ),
                        error: false,
                        ineffective: false,
                    });
                    break;
                }
            }
        }
        self.issues.extend(found);
    }
}

/// Labels of a node, using only symbols already interned (others cannot match any selector).
fn labels_readonly(node: Option<&Node>, syms: &Interner) -> Labels {
    let mut v = Vec::new();
    let mut unknown = 0u32;
    for (k, val) in node
        .map(|n| n.entries().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let Some(text) = val.as_str() else { continue };
        match (syms.get(k), syms.get(text)) {
            (Some(a), Some(b)) => v.push((a, b)),
            (Some(a), None) => {
                // A value no selector mentions: distinct from every interned value.
                unknown += 1;
                v.push((a, u32::MAX - unknown));
            }
            _ => {}
        }
    }
    Labels::from_pairs(v)
}

/// Whether `o` is the copy of its (kind, namespace, name) that the API server would keep.
pub fn is_last(inv: &Inventory, o: &Object) -> bool {
    inv.get(&o.kind, o.namespace(), &o.name)
        .is_some_and(|l| l.id == o.id)
}

fn controller_ref(o: &Object) -> Option<(&str, &str, Option<&str>)> {
    let refs = o.root.path(&["metadata", "ownerReferences"])?.items();
    refs.iter()
        .find(|r| r.bool_at("controller") == Some(true))
        .and_then(|r| Some((r.str_at("kind")?, r.str_at("name")?, r.str_at("uid"))))
}

fn collect_endpoints(inv: &Inventory, m: &mut Model) {
    // Pods grouped by owner.
    let mut groups: BTreeMap<(CompactString, CompactString, CompactString), Vec<&Object>> =
        BTreeMap::new();
    for p in inv.of_kind("Pod") {
        if p.group() != "" || !is_last(inv, p) {
            continue;
        }
        let ns: CompactString = p.namespace().unwrap_or("default").into();
        // A mirror pod (a static manifest's pod, controlled by its Node) is a pod of its own,
        // not a `[Node]` workload.
        let key = match controller_ref(p) {
            Some((kind, name, _)) if kind != "Node" => (ns, kind.into(), name.into()),
            _ => (ns, "Pod".into(), p.name.clone()),
        };
        groups.entry(key).or_default().push(p);
    }
    // Workload objects represented by pods (directly or through their controllers).
    let mut covered: HashSet<(CompactString, CompactString, CompactString)> = HashSet::new();
    for (ns, kind, name) in groups.keys() {
        if kind == "Pod" {
            continue;
        }
        let mut cur = (ns.clone(), kind.clone(), name.clone());
        for _ in 0..8 {
            if !covered.insert(cur.clone()) {
                break;
            }
            let Some(o) = inv.get(&cur.1, Some(&cur.0), &cur.2) else {
                break;
            };
            match controller_ref(o) {
                Some((k, n, _)) => cur = (cur.0.clone(), k.into(), n.into()),
                None => break,
            }
        }
    }
    // Controllers whose own objects are missing from a dump: a workload is still represented
    // by its pods when its selector matches pods that have a controller (Deployment →
    // ReplicaSet → Pod), or, for a CronJob, when pods belong to a Job named after it.
    for o in TEMPLATE_KINDS.iter().flat_map(|k| inv.of_kind(k)) {
        let ns: CompactString = o.namespace().unwrap_or("default").into();
        let key = (ns.clone(), o.kind.clone(), o.name.clone());
        if covered.contains(&key) {
            continue;
        }
        let owned = groups.iter().any(|((gns, gkind, gname), pods)| {
            if *gns != ns || gkind == "Pod" {
                return false;
            }
            if o.kind == "CronJob" {
                return gkind == "Job"
                    && gname
                        .strip_prefix(o.name.as_str())
                        .and_then(|r| r.strip_prefix('-'))
                        .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()));
            }
            let Some(sel) = o.root.path(&["spec", "selector"]) else {
                return false;
            };
            if sel.as_map().is_none_or(|m| m.is_empty()) {
                return false;
            }
            pods.iter().any(|p| {
                kubeward_core::inventory::selector_matches(Some(sel), p.labels()) == Some(true)
            })
        });
        if owned {
            covered.insert(key);
        }
    }
    for ((ns, kind, name), mut pods) in groups {
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        let first = pods[0];
        let nsi = m.ns(&ns);
        let labels = Labels::from_node(first.labels(), &mut m.syms);
        let mut ports = Vec::new();
        let mut ips = Vec::new();
        let mut host_network = false;
        for p in &pods {
            if let Some(spec) = PodSpec::of(p) {
                container_ports(&spec, &mut m.syms, &mut ports);
                host_network |= spec.spec.bool_at("hostNetwork") == Some(true);
            }
            pod_ips(p, &mut ips);
        }
        ports.sort_unstable();
        ports.dedup();
        ips.sort_unstable();
        ips.dedup();
        let display = format!("{ns}/{name}[{kind}]");
        m.endpoints.push(Endpoint {
            ns: nsi,
            name,
            kind,
            objects: pods.iter().map(|p| p.id).collect(),
            labels_ptr: "/metadata/labels".into(),
            labels,
            ports,
            ips,
            host_network,
            synthetic: false,
            class: 0,
            display,
        });
    }
    // Workloads from their templates.
    let mut objs: Vec<&Object> = TEMPLATE_KINDS
        .iter()
        .flat_map(|k| inv.of_kind(k))
        .filter(|o| is_last(inv, o) && matches!(o.group(), "apps" | "batch" | "" | "extensions"))
        .collect();
    // Custom resources of known projects that run pods from a template of their own (Argo
    // Rollout, Knative Service, KEDA ScaledJob): their pods carry the template's labels, so
    // policies select them as they would a Deployment's. Tekton's podTemplate holds no labels
    // or containers, and pod-spec-shaped fields of unknown kinds are only a guess: left out.
    objs.extend(inv.custom_workloads().filter(|o| {
        is_last(inv, o)
            && PodSpec::of(o).is_some_and(
                |p| matches!(p.found, Found::KnownCustom(project) if project != "Tekton"),
            )
    }));
    objs.sort_by_key(|o| o.id);
    for o in objs {
        let ns: CompactString = o.namespace().unwrap_or("default").into();
        if covered.contains(&(ns.clone(), o.kind.clone(), o.name.clone())) {
            continue;
        }
        if let Some((k, n, _)) = controller_ref(o) {
            if inv.get(k, Some(&ns), n).is_some() {
                continue;
            }
        }
        let Some(spec) = PodSpec::of(o) else { continue };
        let nsi = m.ns(&ns);
        let labels = Labels::from_node(spec.labels(), &mut m.syms);
        let mut ports = Vec::new();
        container_ports(&spec, &mut m.syms, &mut ports);
        ports.sort_unstable();
        ports.dedup();
        let display = format!("{ns}/{}[{}]", o.name, o.kind);
        m.endpoints.push(Endpoint {
            ns: nsi,
            name: o.name.clone(),
            kind: o.kind.clone(),
            objects: vec![o.id],
            labels_ptr: spec.meta_ptr(&["labels"]),
            labels,
            ports,
            ips: Vec::new(),
            host_network: spec.spec.bool_at("hostNetwork") == Some(true),
            synthetic: false,
            class: 0,
            display,
        });
    }
}

fn container_ports(spec: &PodSpec<'_>, syms: &mut Interner, out: &mut Vec<(Sym, Proto, u16)>) {
    for c in spec.containers() {
        if c.kind == kubeward_core::ContainerKind::Ephemeral {
            continue;
        }
        for (_, p) in c.items("ports") {
            let (Some(name), Some(num)) = (
                p.str_at("name"),
                p.get("containerPort").and_then(Node::as_i64),
            ) else {
                continue;
            };
            let proto = p.str_at("protocol").map_or(Some(Proto::Tcp), Proto::parse);
            if let (Some(proto), Ok(num)) = (proto, u16::try_from(num)) {
                if num > 0 {
                    out.push((syms.intern(name), proto, num));
                }
            }
        }
    }
}

fn pod_ips(p: &Object, out: &mut Vec<IpAddr>) {
    if let Some(s) = p.root.path(&["status", "podIP"]).and_then(Node::as_str) {
        if let Ok(ip) = s.parse() {
            out.push(ip);
        }
    }
    for i in p
        .root
        .path(&["status", "podIPs"])
        .map(Node::items)
        .unwrap_or(&[])
    {
        if let Some(Ok(ip)) = i.str_at("ip").map(str::parse) {
            out.push(ip);
        }
    }
}

/// Whether a class's known addresses fall in `set` (all of them; none known: only when the
/// set is a whole address family).
pub fn class_in_block(c: &Class, set: &IpSet) -> bool {
    if c.ips.is_empty() {
        set.is_whole_family()
    } else {
        c.ips.iter().all(|ip| set.contains_ip(*ip))
    }
}

/// Kinds of objects this analysis reads, for messages.
pub fn policy_kind_of(o: &Object) -> Option<PolicyKind> {
    match (o.group(), o.kind.as_str()) {
        ("networking.k8s.io" | "extensions", "NetworkPolicy") => Some(PolicyKind::Network),
        ("policy.networking.k8s.io", "AdminNetworkPolicy") => Some(PolicyKind::Admin),
        ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy") => Some(PolicyKind::Baseline),
        _ => None,
    }
}

impl Model {
    /// An issue as a located diagnostic (file, line, column).
    pub fn diagnostic(&self, inv: &Inventory, i: &Issue) -> kubeward_core::input::Diagnostic {
        let o = inv.object(i.object);
        let span = o.span_of(&i.pointer);
        kubeward_core::input::Diagnostic {
            file: inv.source(o.source).name.clone(),
            line: span.line,
            column: span.col,
            level: if i.error {
                kubeward_core::input::Level::Error
            } else {
                kubeward_core::input::Level::Warning
            },
            message: format!("{} {}: {}", o.kind, qualified(o), i.message),
        }
    }
}

/// `ns/name` or `name`.
pub fn qualified(o: &Object) -> String {
    match o.namespace() {
        Some(ns) => format!("{ns}/{}", o.name),
        None => o.name.to_string(),
    }
}

/// `file:line` of a pointer in an object (`file` alone when the object has no position).
pub fn location(inv: &Inventory, id: ObjectId, pointer: &str) -> String {
    let o = inv.object(id);
    let name = &inv.source(o.source).name;
    let span = o.span_of(pointer);
    if span.line == 0 {
        name.clone()
    } else {
        format!("{name}:{}", span.line)
    }
}
