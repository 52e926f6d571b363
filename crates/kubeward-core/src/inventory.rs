//! The inventory: every object of a scan, indexed by kind, namespace and labels.

pub use crate::object::*;

use crate::object::{KNOWN_CLUSTER_SCOPED_CUSTOM, builtin_cluster_scoped, is_host_scoped};
use crate::tree::Node;
use compact_str::CompactString;
use foldhash::{HashMap, HashSet};
use std::collections::BTreeMap;
use std::sync::Arc;

/// All objects of a scan, indexed.
#[derive(Default, Debug)]
pub struct Inventory {
    objects: Vec<Object>,
    sources: Vec<Source>,
    by_kind: HashMap<CompactString, Vec<ObjectId>>,
    by_name: HashMap<(CompactString, Option<CompactString>, CompactString), Vec<ObjectId>>,
    by_namespace: HashMap<Option<CompactString>, Vec<ObjectId>>,
    /// `metadata.labels` (key, value) → objects.
    by_label: HashMap<(CompactString, CompactString), Vec<ObjectId>>,
    /// Pod labels (the pod template's for workloads) (key, value) → objects with a pod spec.
    by_pod_label: HashMap<(CompactString, CompactString), Vec<ObjectId>>,
    /// Custom resources that carry a pod spec (Argo Rollouts, Knative Services, ...), in input
    /// order.
    custom_workloads: Vec<ObjectId>,
    /// Kinds defined by CustomResourceDefinitions in the inventory: (group, kind) → namespaced.
    crd_scopes: HashMap<(String, String), bool>,
    /// Per cluster-backed source: what the cluster said about itself.
    cluster_info: BTreeMap<SourceId, ClusterInfo>,
    /// Per file source: permissions and owner, when the input layer gathered them.
    file_meta: BTreeMap<SourceId, FileMeta>,
    /// Objects with a `kubeward.io/ignore` annotation on themselves or their pod template.
    ignore_annotated: HashSet<ObjectId>,
    /// Results of whole-inventory analyses shared by several rules (see [`Inventory::memo`]).
    memo: Memo,
}

/// Per-inventory cache of analysis results, one value per type.
#[derive(Default)]
struct Memo(std::sync::Mutex<HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>>);

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

/// An object about to enter the inventory.
pub struct NewObject {
    pub source: SourceId,
    pub doc: u32,
    pub base_pointer: String,
    pub api_version: CompactString,
    pub kind: CompactString,
    pub name: CompactString,
    /// The namespace as written.
    pub namespace: Option<CompactString>,
    pub root: Node,
}

impl Inventory {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_source(&mut self, source: Source) -> SourceId {
        self.sources.push(source);
        SourceId(self.sources.len() as u32 - 1)
    }

    /// Adds objects, defaulting namespaces and building indexes. CRDs among `objects` (and
    /// already in the inventory) decide the scope of their custom kinds.
    pub fn add_objects(&mut self, objects: Vec<NewObject>, default_namespace: &str) {
        // Whatever was computed over the old contents is stale.
        self.memo = Memo::default();
        for o in &objects {
            if o.kind == "CustomResourceDefinition"
                && o.api_version.starts_with("apiextensions.k8s.io/")
            {
                if let (Some(group), Some(kind)) = (
                    o.root.path(&["spec", "group"]).and_then(Node::as_str),
                    o.root
                        .path(&["spec", "names", "kind"])
                        .and_then(Node::as_str),
                ) {
                    let namespaced =
                        o.root.path(&["spec", "scope"]).and_then(Node::as_str) != Some("Cluster");
                    self.crd_scopes
                        .insert((group.to_string(), kind.to_string()), namespaced);
                }
            }
        }
        self.objects.reserve(objects.len());
        for o in objects {
            let group = match o.api_version.rsplit_once('/') {
                Some((g, _)) => g,
                None => "",
            };
            let namespaced = self.is_namespaced(group, &o.kind);
            let (namespace, defaulted) = if namespaced {
                match o.namespace {
                    Some(ns) if !ns.is_empty() => (Some(ns), false),
                    _ => (Some(CompactString::from(default_namespace)), true),
                }
            } else {
                (None, false)
            };
            let id = ObjectId(self.objects.len() as u32);
            let obj = Object {
                id,
                source: o.source,
                doc: o.doc,
                base_pointer: o.base_pointer,
                api_version: o.api_version,
                kind: o.kind,
                name: o.name,
                namespace,
                namespace_defaulted: defaulted,
                root: o.root,
            };
            self.by_kind.entry(obj.kind.clone()).or_default().push(id);
            self.by_name
                .entry((obj.kind.clone(), obj.namespace.clone(), obj.name.clone()))
                .or_default()
                .push(id);
            self.by_namespace
                .entry(obj.namespace.clone())
                .or_default()
                .push(id);
            for (k, v) in obj.labels().map(|l| l.entries()).into_iter().flatten() {
                if let Some(v) = v.as_str() {
                    self.by_label
                        .entry((k.into(), v.into()))
                        .or_default()
                        .push(id);
                }
            }
            let ignore = IGNORE_ANNOTATION;
            let mut annotated = obj.annotations().and_then(|a| a.get(ignore)).is_some();
            if let Some(pod) = crate::podspec::PodSpec::of(&obj) {
                if pod.found != crate::podspec::Found::BuiltIn {
                    self.custom_workloads.push(id);
                }
                annotated |= pod.annotations().and_then(|a| a.get(ignore)).is_some();
                for (k, v) in pod.labels().map(|l| l.entries()).into_iter().flatten() {
                    if let Some(v) = v.as_str() {
                        self.by_pod_label
                            .entry((k.into(), v.into()))
                            .or_default()
                            .push(id);
                    }
                }
            }
            annotated |= crate::argo::pod_annotations(&obj)
                .iter()
                .any(|(_, a, _)| a.get(ignore).is_some());
            if annotated {
                self.ignore_annotated.insert(id);
            }
            self.objects.push(obj);
        }
    }

    /// Records what a cluster-backed source said about itself.
    pub fn set_cluster_info(&mut self, source: SourceId, info: ClusterInfo) {
        self.cluster_info.insert(source, info);
    }

    /// What the cluster behind `source` said about itself, if it is cluster-backed.
    pub fn cluster_info(&self, source: SourceId) -> Option<&ClusterInfo> {
        self.cluster_info.get(&source)
    }

    /// Every cluster-backed source with its facts, in source order.
    pub fn clusters(&self) -> impl Iterator<Item = (SourceId, &ClusterInfo)> + '_ {
        self.cluster_info.iter().map(|(k, v)| (*k, v))
    }

    /// Records file facts for `source`.
    pub fn set_file_meta(&mut self, source: SourceId, meta: FileMeta) {
        self.file_meta.insert(source, meta);
    }

    /// File facts for `source`, when the input layer gathered them.
    pub fn file_meta(&self, source: SourceId) -> Option<&FileMeta> {
        self.file_meta.get(&source)
    }

    /// Whether objects of `(group, kind)` live in a namespace. Unknown custom kinds without a
    /// CRD in the inventory are assumed namespaced, as most are.
    pub fn is_namespaced(&self, group: &str, kind: &str) -> bool {
        if builtin_cluster_scoped(group, kind) || is_host_scoped(group) {
            return false;
        }
        self.crd_scopes
            .get(&(group.to_string(), kind.to_string()))
            .copied()
            .unwrap_or_else(|| {
                !KNOWN_CLUSTER_SCOPED_CUSTOM
                    .iter()
                    .any(|(g, k)| *g == group && *k == kind)
            })
    }

    /// Whether `(group, kind)` is defined by a CRD in the inventory.
    pub fn is_crd_kind(&self, group: &str, kind: &str) -> bool {
        self.crd_scopes
            .contains_key(&(group.to_string(), kind.to_string()))
    }

    /// The value of type `T` computed once for this inventory by `init`, shared by every rule
    /// that asks for it (an RBAC model used by thirty rules is built once). Concurrent callers
    /// wait for the first one to finish. `init` must not use rayon: a rayon worker waiting in
    /// a join can pick up another rule that asks for the same value and deadlock on it.
    pub fn memo<T: std::any::Any + Send + Sync>(&self, init: impl FnOnce() -> T) -> Arc<T> {
        let cell = {
            let mut map = self.memo.0.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(std::any::TypeId::of::<T>())
                .or_insert_with(|| Arc::new(std::sync::OnceLock::<Arc<T>>::new()))
                .clone()
        };
        let cell = cell
            .downcast::<std::sync::OnceLock<Arc<T>>>()
            .expect("memo cells are keyed by their type");
        cell.get_or_init(|| Arc::new(init())).clone()
    }

    /// Whether the object or its pod template carries a `kubeward.io/ignore` annotation.
    pub fn has_ignore_annotation(&self, id: ObjectId) -> bool {
        self.ignore_annotated.contains(&id)
    }

    /// How many objects of each kind the inventory holds (from the kind index).
    pub fn kind_counts(&self) -> impl Iterator<Item = (&str, usize)> + '_ {
        self.by_kind.iter().map(|(k, ids)| (k.as_str(), ids.len()))
    }

    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    pub fn object(&self, id: ObjectId) -> &Object {
        &self.objects[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    pub fn source(&self, id: SourceId) -> &Source {
        &self.sources[id.0 as usize]
    }

    /// Custom resources that carry a pod spec (the tail of [`Inventory::workloads`]).
    pub fn custom_workloads(&self) -> impl Iterator<Item = &Object> + '_ {
        self.custom_workloads.iter().map(|id| self.object(*id))
    }

    /// Every object with a pod spec: the built-in workload kinds in
    /// [`crate::podspec::WORKLOAD_KINDS`] order, then custom resources that carry one (Argo
    /// Rollouts, Knative Services, ... and pod-spec-shaped fields of other custom kinds).
    pub fn workloads<'a>(&'a self) -> impl Iterator<Item = &'a Object> + 'a {
        crate::podspec::WORKLOAD_KINDS
            .iter()
            .flat_map(move |k| self.of_kind(k))
            .chain(self.custom_workloads())
    }

    /// Objects of a kind (any group), in input order.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind
            .get(kind)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|id| self.object(*id))
    }

    /// Objects with this kind, namespace and name (more than one when the input repeats an
    /// object; the last one is what `kubectl apply` would leave).
    pub fn find<'a>(
        &'a self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        let key = (
            CompactString::from(kind),
            namespace.map(CompactString::from),
            CompactString::from(name),
        );
        self.by_name
            .get(&key)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|id| self.object(*id))
    }

    /// The last object with this kind, namespace and name.
    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&Object> {
        self.find(kind, namespace, name).last()
    }

    /// Objects in a namespace (`None`: cluster-scoped objects).
    pub fn in_namespace<'a>(&'a self, ns: Option<&str>) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_namespace
            .get(&ns.map(CompactString::from))
            .map(|v| v.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|id| self.object(*id))
    }

    /// Objects whose `metadata.labels` has `key: value`, in input order.
    pub fn with_label<'a>(
        &'a self,
        key: &str,
        value: &str,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_label
            .get(&(CompactString::from(key), CompactString::from(value)))
            .map(|v| v.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|id| self.object(*id))
    }

    /// Objects with a pod spec whose pod labels (template labels for workloads) have
    /// `key: value`, in input order. Use it to narrow candidates before matching a full
    /// selector with [`selector_matches`].
    pub fn with_pod_label<'a>(
        &'a self,
        key: &str,
        value: &str,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_pod_label
            .get(&(CompactString::from(key), CompactString::from(value)))
            .map(|v| v.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|id| self.object(*id))
    }

    /// Every namespace that has an object in it or a Namespace object, sorted.
    pub fn namespaces(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .by_namespace
            .keys()
            .filter_map(|k| k.as_deref())
            .chain(self.of_kind("Namespace").map(|o| o.name.as_str()))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Objects whose kind is neither built in nor defined by a CRD in the inventory.
    pub fn unknown_kind_count(&self) -> usize {
        self.objects
            .iter()
            .filter(|o| {
                !is_builtin_kind(o.group(), &o.kind) && !self.is_crd_kind(o.group(), &o.kind)
            })
            .count()
    }

    /// Custom resources: objects of kinds defined by CRDs, or unknown kinds.
    pub fn custom_resource_count(&self) -> usize {
        self.objects
            .iter()
            .filter(|o| !is_builtin_kind(o.group(), &o.kind))
            .count()
    }
}

/// Matches a label selector (`matchLabels` + `matchExpressions`) against a label map.
/// `selector` absent or `{}` matches everything. Returns `None` when the selector is invalid
/// (unknown operator, missing values), which callers must report rather than guess.
pub fn selector_matches(selector: Option<&Node>, labels: Option<&Node>) -> Option<bool> {
    let Some(sel) = selector else {
        return Some(true);
    };
    let label = |k: &str| labels.and_then(|l| l.str_at(k));
    for (k, v) in sel
        .get("matchLabels")
        .map(|m| m.entries())
        .into_iter()
        .flatten()
    {
        if label(k) != Some(v.as_str()?) {
            return Some(false);
        }
    }
    for expr in sel.get("matchExpressions").map(Node::items).unwrap_or(&[]) {
        let key = expr.str_at("key")?;
        let op = expr.str_at("operator")?;
        let values: Vec<&str> = expr
            .get("values")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(Node::as_str)
            .collect();
        let have = label(key);
        let ok = match op {
            "In" => {
                if values.is_empty() {
                    return None;
                }
                have.is_some_and(|h| values.contains(&h))
            }
            "NotIn" => {
                if values.is_empty() {
                    return None;
                }
                have.is_none_or(|h| !values.contains(&h))
            }
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => return None,
        };
        if !ok {
            return Some(false);
        }
    }
    Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: serde_json::Value) -> NewObject {
        let root = Node::from_json(&v);
        NewObject {
            source: SourceId(0),
            doc: 0,
            base_pointer: String::new(),
            api_version: root.str_at("apiVersion").unwrap().into(),
            kind: root.str_at("kind").unwrap().into(),
            name: root
                .path(&["metadata", "name"])
                .and_then(Node::as_str)
                .unwrap()
                .into(),
            namespace: root
                .path(&["metadata", "namespace"])
                .and_then(Node::as_str)
                .map(Into::into),
            root,
        }
    }

    #[test]
    fn namespace_defaulting_respects_scope_and_crds() {
        let mut inv = Inventory::new();
        inv.add_objects(
            vec![
                obj(json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "p", "labels": {"tier": "web", "app": "p"}}, "spec": {}})),
                obj(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})),
                obj(json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})),
                obj(json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}})),
                obj(json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                    "metadata": {"name": "gadgets.example.com"},
                    "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Gadget"}}})),
            ],
            "team-a",
        );
        let o = inv.objects();
        assert_eq!(o[0].namespace.as_deref(), Some("team-a"));
        assert!(o[0].namespace_defaulted);
        assert_eq!(o[1].namespace, None);
        assert_eq!(o[2].namespace.as_deref(), Some("team-a"));
        assert_eq!(o[3].namespace, None);
        assert_eq!(inv.unknown_kind_count(), 1);
        assert_eq!(inv.custom_resource_count(), 2);
        assert!(inv.get("Pod", Some("team-a"), "p").is_some());
        assert_eq!(inv.with_label("tier", "web").count(), 1);
        assert_eq!(inv.with_pod_label("app", "p").count(), 1);
        assert_eq!(inv.with_pod_label("tier", "db").count(), 0);
        assert_eq!(inv.namespaces(), vec!["n", "team-a"]);
    }

    #[test]
    fn selectors() {
        let labels = Node::from_json(&json!({"app": "web", "tier": "front"}));
        let sel = |v| Node::from_json(&v);
        assert_eq!(selector_matches(None, Some(&labels)), Some(true));
        assert_eq!(selector_matches(Some(&sel(json!({}))), None), Some(true));
        assert_eq!(
            selector_matches(
                Some(&sel(json!({"matchLabels": {"app": "web"}}))),
                Some(&labels)
            ),
            Some(true)
        );
        assert_eq!(
            selector_matches(
                Some(&sel(
                    json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["back"]}]})
                )),
                Some(&labels)
            ),
            Some(true)
        );
        assert_eq!(
            selector_matches(
                Some(&sel(
                    json!({"matchExpressions": [{"key": "x", "operator": "Exists"}]})
                )),
                Some(&labels)
            ),
            Some(false)
        );
        assert_eq!(
            selector_matches(
                Some(&sel(
                    json!({"matchExpressions": [{"key": "x", "operator": "Bogus"}]})
                )),
                Some(&labels)
            ),
            None
        );
    }
}

#[cfg(test)]
mod memo_tests {
    use super::*;

    #[test]
    fn memo_computes_once_and_resets_on_change() {
        let mut inv = Inventory::new();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let a = inv.memo(|| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            42u32
        });
        let b = inv.memo(|| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            7u32
        });
        assert_eq!((*a, *b), (42, 42));
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        inv.add_objects(Vec::new(), "default");
        assert_eq!(*inv.memo(|| 7u32), 7);
    }
}
