//! Pods of Argo Workflows templates, seen as Pods so the pod rules check them.
//!
//! A `Workflow`, `WorkflowTemplate`, `ClusterWorkflowTemplate` (group `argoproj.io`) or a
//! `CronWorkflow` (under `spec.workflowSpec`) holds a list of templates; each `container`,
//! `script` or `containerSet` template runs one pod. Its containers come from the template
//! (`container` or `script`, `containerSet.containers`, `initContainers`, `sidecars`), its
//! pod-level fields from the template, then `spec.templateDefaults`, then the workflow spec
//! (the first that writes a field wins), its volumes from the workflow spec and the template
//! together, and its labels and annotations from `spec.podMetadata` overridden by the
//! template's `metadata`. Templates of other types (steps, dag, resource, suspend, http,
//! plugin, data) run no user pod and are skipped.
//!
//! [`template_pods`] builds, per pod-running template, a virtual Pod-shaped object whose nodes
//! are clones of the written ones (spans kept) and a pointer table; the engine runs the pod
//! rules on it and moves every finding back onto the real object with
//! [`TemplatePod::real_pointer`], so a finding points at
//! `/spec/templates/2/container/securityContext/privileged` with the right file and line.

use crate::object::Object;
use crate::podspec::{Found, PodSpec};
use crate::tree::{Key, Map, Node, PointerToken, Value};

/// The project name findings carry in [`Found::KnownCustom`].
pub const PROJECT: &str = "Argo Workflows";

/// Pod-level fields: (pod spec field, template field, workflow spec field).
const POD_FIELDS: &[(&str, Option<&str>, &str)] = &[
    (
        "securityContext",
        Some("securityContext"),
        "securityContext",
    ),
    (
        "serviceAccountName",
        Some("serviceAccountName"),
        "serviceAccountName",
    ),
    (
        "automountServiceAccountToken",
        Some("automountServiceAccountToken"),
        "automountServiceAccountToken",
    ),
    ("hostAliases", Some("hostAliases"), "hostAliases"),
    ("nodeSelector", Some("nodeSelector"), "nodeSelector"),
    ("affinity", Some("affinity"), "affinity"),
    ("tolerations", Some("tolerations"), "tolerations"),
    ("schedulerName", Some("schedulerName"), "schedulerName"),
    (
        "priorityClassName",
        Some("priorityClassName"),
        "podPriorityClassName",
    ),
    ("hostNetwork", None, "hostNetwork"),
    ("dnsPolicy", None, "dnsPolicy"),
    ("dnsConfig", None, "dnsConfig"),
    ("imagePullSecrets", None, "imagePullSecrets"),
];

/// Where the workflow spec of an Argo Workflows object is, if `object` is one.
pub fn workflow_spec_pointer(object: &Object) -> Option<&'static str> {
    if object.group() != "argoproj.io" {
        return None;
    }
    match object.kind.as_str() {
        "Workflow" | "WorkflowTemplate" | "ClusterWorkflowTemplate" => Some("/spec"),
        "CronWorkflow" => Some("/spec/workflowSpec"),
        _ => None,
    }
}

/// Where an Argo Workflows object carries pod annotations: `(pointer of the annotations
/// mapping, node, scope)`. The scope is `None` for `spec.podMetadata` (every template's pod)
/// and the template's pointer for a template's `metadata` (that template's pod only).
pub fn pod_annotations(object: &Object) -> Vec<(String, &Node, Option<String>)> {
    let mut out = Vec::new();
    let Some(wf_ptr) = workflow_spec_pointer(object) else {
        return out;
    };
    let keys: Vec<&str> = wf_ptr.split('/').skip(1).collect();
    let Some(wf) = object.root.path(&keys) else {
        return out;
    };
    if let Some(a) = wf.path(&["podMetadata", "annotations"]) {
        out.push((join(wf_ptr, &[&"podMetadata", &"annotations"]), a, None));
    }
    for (i, t) in wf
        .get("templates")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        if let Some(a) = t.path(&["metadata", "annotations"]) {
            let t_ptr = join(wf_ptr, &[&"templates", &i]);
            out.push((join(&t_ptr, &[&"metadata", &"annotations"]), a, Some(t_ptr)));
        }
    }
    out
}

/// The pod one template runs, as a virtual Pod.
#[derive(Debug)]
pub struct TemplatePod {
    /// The virtual object: the real object's identity (ID, source, kind, name, namespace) with
    /// a Pod-shaped root `{metadata, spec}`.
    pub object: Object,
    /// The template's `name` (its index when unnamed).
    pub template: String,
    /// (virtual pointer prefix, real pointer prefix), longest prefix first.
    map: Vec<(String, String)>,
}

impl TemplatePod {
    /// The pod spec of the virtual object.
    pub fn pod_spec(&self) -> Option<PodSpec<'_>> {
        let spec = self.object.root.get("spec")?;
        Some(PodSpec {
            object: &self.object,
            meta: self.object.root.get("metadata"),
            meta_ptr: "/metadata",
            spec,
            spec_ptr: "/spec",
            found: Found::KnownCustom(PROJECT),
        })
    }

    /// The pointer into the real object for a pointer into the virtual one.
    pub fn real_pointer(&self, virtual_ptr: &str) -> String {
        for (from, to) in &self.map {
            if let Some(rest) = virtual_ptr.strip_prefix(from.as_str()) {
                if rest.is_empty() || rest.starts_with('/') {
                    return format!("{to}{rest}");
                }
            }
        }
        virtual_ptr.to_string()
    }
}

fn join(base: &str, tokens: &[&dyn PointerToken]) -> String {
    let mut p = String::from(base);
    for t in tokens {
        p.push('/');
        t.push_to(&mut p);
    }
    p
}

/// A container node for the virtual pod: Argo names a template's only container `main` when
/// the manifest does not.
fn container_node(node: &Node, default_name: Option<&str>) -> Node {
    let mut node = node.clone();
    if let (Some(name), Value::Map(m)) = (default_name, &mut node.value) {
        if m.get("name").and_then(Node::as_str).is_none() {
            m.insert(
                Key {
                    name: "name".into(),
                    span: node.span,
                },
                Node::new(Value::Str(name.into()), node.span),
            );
        }
    }
    node
}

/// The pods the templates of an Argo Workflows object run; empty for any other object.
pub fn template_pods(object: &Object) -> Vec<TemplatePod> {
    let Some(wf_ptr) = workflow_spec_pointer(object) else {
        return Vec::new();
    };
    let keys: Vec<&str> = wf_ptr.split('/').skip(1).collect();
    let Some(wf) = object.root.path(&keys).filter(|n| n.as_map().is_some()) else {
        return Vec::new();
    };
    let defaults = wf.get("templateDefaults").filter(|n| n.as_map().is_some());
    let Some(templates) = wf.get("templates").and_then(Node::as_seq) else {
        return Vec::new();
    };
    templates
        .iter()
        .enumerate()
        .filter_map(|(i, t)| template_pod(object, wf_ptr, wf, defaults, i, t))
        .collect()
}

fn template_pod(
    object: &Object,
    wf_ptr: &str,
    wf: &Node,
    defaults: Option<&Node>,
    index: usize,
    t: &Node,
) -> Option<TemplatePod> {
    t.as_map()?;
    let t_ptr = join(wf_ptr, &[&"templates", &index]);
    let mut map: Vec<(String, String)> = Vec::new();
    let span = t.span;
    let mut spec = Map::new();
    let key = |name: &str| Key {
        name: name.into(),
        span,
    };

    // Containers: the main one (container or script) or the container set, then sidecars.
    let mut containers: Vec<Node> = Vec::new();
    for field in ["container", "script"] {
        if let Some(c) = t.get(field).filter(|n| n.as_map().is_some()) {
            map.push((
                format!("/spec/containers/{}", containers.len()),
                join(&t_ptr, &[&field]),
            ));
            containers.push(container_node(c, Some("main")));
        }
    }
    if let Some(set) = t
        .path(&["containerSet", "containers"])
        .and_then(Node::as_seq)
    {
        for (j, c) in set.iter().enumerate().filter(|(_, c)| c.as_map().is_some()) {
            map.push((
                format!("/spec/containers/{}", containers.len()),
                join(&t_ptr, &[&"containerSet", &"containers", &j]),
            ));
            containers.push(container_node(c, None));
        }
    }
    if containers.is_empty() {
        // steps, dag, resource, suspend, http, plugin, data: no user pod.
        return None;
    }
    if let Some(side) = t.get("sidecars").and_then(Node::as_seq) {
        for (j, c) in side
            .iter()
            .enumerate()
            .filter(|(_, c)| c.as_map().is_some())
        {
            map.push((
                format!("/spec/containers/{}", containers.len()),
                join(&t_ptr, &[&"sidecars", &j]),
            ));
            containers.push(container_node(c, None));
        }
    }
    spec.insert(key("containers"), Node::new(Value::Seq(containers), span));
    map.push(("/spec/containers".into(), t_ptr.clone()));
    if let Some(init) = t.get("initContainers").filter(|n| n.as_seq().is_some()) {
        spec.insert(key("initContainers"), init.clone());
    }
    map.push((
        "/spec/initContainers".into(),
        join(&t_ptr, &[&"initContainers"]),
    ));

    // Pod-level fields: the template, then templateDefaults, then the workflow spec.
    for (pod_field, t_field, wf_field) in POD_FIELDS {
        let from_template = t_field.and_then(|f| {
            t.get(f)
                .filter(|n| !n.is_null())
                .map(|n| (n, join(&t_ptr, &[&f])))
        });
        let from_defaults = || {
            let f = (*t_field)?;
            defaults?
                .get(f)
                .filter(|n| !n.is_null())
                .map(|n| (n, join(wf_ptr, &[&"templateDefaults", &f])))
        };
        let from_wf = || {
            wf.get(wf_field)
                .filter(|n| !n.is_null())
                .map(|n| (n, join(wf_ptr, &[wf_field])))
        };
        let virt = format!("/spec/{pod_field}");
        match from_template.or_else(from_defaults).or_else(from_wf) {
            Some((node, real)) => {
                spec.insert(key(pod_field), node.clone());
                map.push((virt, real));
            }
            // Absent everywhere: a finding about the missing field points at the template.
            None => map.push((virt, join(&t_ptr, &[&t_field.unwrap_or(pod_field)]))),
        }
    }

    // Volumes: the workflow's, then the template's.
    let mut volumes: Vec<Node> = Vec::new();
    for (base, list) in [
        (join(wf_ptr, &[&"volumes"]), wf.get("volumes")),
        (join(&t_ptr, &[&"volumes"]), t.get("volumes")),
    ] {
        for (j, v) in list.map(Node::items).unwrap_or(&[]).iter().enumerate() {
            map.push((
                format!("/spec/volumes/{}", volumes.len()),
                join(&base, &[&j]),
            ));
            volumes.push(v.clone());
        }
    }
    if !volumes.is_empty() {
        spec.insert(key("volumes"), Node::new(Value::Seq(volumes), span));
    }
    let volumes_at = if t.get("volumes").is_some() || wf.get("volumes").is_none() {
        join(&t_ptr, &[&"volumes"])
    } else {
        join(wf_ptr, &[&"volumes"])
    };
    map.push(("/spec/volumes".into(), volumes_at));
    map.push(("/spec".into(), t_ptr.clone()));

    // Metadata: the object's name and namespace, labels and annotations from podMetadata
    // overridden by the template's metadata.
    let mut meta = Map::new();
    if let Some(real) = object.metadata().and_then(Node::as_map) {
        for f in ["name", "namespace"] {
            if let Some((k, v)) = real.get_entry(f) {
                meta.insert(k.clone(), v.clone());
                map.push((format!("/metadata/{f}"), format!("/metadata/{f}")));
            }
        }
    }
    for field in ["labels", "annotations"] {
        let mut merged = Map::new();
        let sources = [
            (
                join(wf_ptr, &[&"podMetadata", &field]),
                wf.path(&["podMetadata", field]),
            ),
            (
                join(&t_ptr, &[&"metadata", &field]),
                t.path(&["metadata", field]),
            ),
        ];
        let mut at = join(&t_ptr, &[&"metadata", &field]);
        for (base, node) in &sources {
            let Some(m) = node.and_then(Node::as_map) else {
                continue;
            };
            at = base.clone();
            for (k, v) in m.entries() {
                merged.insert(k.clone(), v.clone());
                map.push((
                    join("/metadata", &[&field, &k.name.as_str()]),
                    join(base, &[&k.name.as_str()]),
                ));
            }
        }
        if !merged.is_empty() {
            meta.insert(key(field), Node::new(Value::Map(merged), span));
        }
        map.push((join("/metadata", &[&field]), at));
    }
    map.push(("/metadata".into(), join(&t_ptr, &[&"metadata"])));

    // Longest prefix first; a later entry for the same prefix (an overriding label) wins.
    map.reverse();
    map.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));

    let mut root = Map::new();
    root.insert(key("metadata"), Node::new(Value::Map(meta), span));
    root.insert(key("spec"), Node::new(Value::Map(spec), span));
    let template = t
        .str_at("name")
        .map(str::to_string)
        .unwrap_or_else(|| index.to_string());
    Some(TemplatePod {
        object: Object {
            id: object.id,
            source: object.source,
            doc: object.doc,
            base_pointer: object.base_pointer.clone(),
            api_version: object.api_version.clone(),
            kind: object.kind.clone(),
            name: object.name.clone(),
            namespace: object.namespace.clone(),
            namespace_defaulted: object.namespace_defaulted,
            root: Node::new(Value::Map(root), object.root.span),
        },
        template,
        map,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Inventory, NewObject, SourceId};
    use serde_json::json;

    fn inv(v: serde_json::Value) -> Inventory {
        crate::testing::json_inventory(&v, "wf", Some("ci"))
    }

    #[test]
    fn one_pod_per_container_template_and_pointers_back() {
        let inv = inv(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": "wf"},
            "spec": {
                "hostNetwork": true,
                "securityContext": {"runAsNonRoot": true},
                "volumes": [{"name": "w", "emptyDir": {}}],
                "podMetadata": {"labels": {"a": "wf", "b": "wf"}},
                "templates": [
                    {"name": "main", "steps": [[{"name": "s", "template": "build"}]]},
                    {"name": "build", "container": {"image": "x", "securityContext": {"privileged": true}},
                     "sidecars": [{"name": "side", "image": "y"}],
                     "initContainers": [{"name": "init", "image": "z"}],
                     "volumes": [{"name": "t", "hostPath": {"path": "/"}}],
                     "metadata": {"labels": {"b": "t"}},
                     "securityContext": {"runAsUser": 0}},
                    {"name": "py", "script": {"image": "python", "source": "print(1)"}},
                    {"name": "set", "containerSet": {"containers": [{"name": "a"}, {"name": "b"}]}},
                    {"name": "res", "resource": {"action": "create"}}
                ]
            }
        }));
        let pods = template_pods(&inv.objects()[0]);
        let names: Vec<&str> = pods.iter().map(|p| p.template.as_str()).collect();
        assert_eq!(names, ["build", "py", "set"]);
        let build = &pods[0];
        let pod = build.pod_spec().unwrap();
        let cs: Vec<_> = pod.containers().map(|c| (c.name(), c.ptr(&[]))).collect();
        assert_eq!(
            cs,
            [
                ("init", "/spec/initContainers/0".to_string()),
                ("main", "/spec/containers/0".to_string()),
                ("side", "/spec/containers/1".to_string()),
            ]
        );
        let real = |p: &str| build.real_pointer(p);
        assert_eq!(
            real("/spec/containers/0/securityContext/privileged"),
            "/spec/templates/1/container/securityContext/privileged"
        );
        assert_eq!(
            real("/spec/containers/1/image"),
            "/spec/templates/1/sidecars/0/image"
        );
        assert_eq!(
            real("/spec/initContainers/0/image"),
            "/spec/templates/1/initContainers/0/image"
        );
        // The template's securityContext wins over the workflow's.
        assert_eq!(
            pod.security_context()
                .unwrap()
                .get("runAsUser")
                .and_then(Node::as_i64),
            Some(0)
        );
        assert_eq!(
            real("/spec/securityContext/runAsUser"),
            "/spec/templates/1/securityContext/runAsUser"
        );
        assert_eq!(real("/spec/hostNetwork"), "/spec/hostNetwork");
        assert_eq!(real("/spec/volumes/0/emptyDir"), "/spec/volumes/0/emptyDir");
        assert_eq!(
            real("/spec/volumes/1/hostPath/path"),
            "/spec/templates/1/volumes/0/hostPath/path"
        );
        assert_eq!(real("/metadata/labels/a"), "/spec/podMetadata/labels/a");
        assert_eq!(
            real("/metadata/labels/b"),
            "/spec/templates/1/metadata/labels/b"
        );
        assert_eq!(pod.labels().unwrap().str_at("b"), Some("t"));
        assert_eq!(real("/spec/dnsPolicy"), "/spec/templates/1/dnsPolicy");
        assert_eq!(real("/spec"), "/spec/templates/1");
        assert_eq!(real("/metadata/name"), "/metadata/name");
        // Every translated pointer of a written field resolves in the real object.
        let o = &inv.objects()[0];
        for p in [
            "/spec/containers/0/securityContext/privileged",
            "/spec/volumes/1/hostPath/path",
            "/metadata/labels/b",
        ] {
            assert!(o.root.locate(&real(p)).complete, "{p}");
        }
        // script and containerSet.
        assert_eq!(
            pods[1].real_pointer("/spec/containers/0/image"),
            "/spec/templates/2/script/image"
        );
        assert_eq!(
            pods[2].real_pointer("/spec/containers/1/name"),
            "/spec/templates/3/containerSet/containers/1/name"
        );
        // The workflow's securityContext applies where the template writes none.
        assert_eq!(
            pods[1].real_pointer("/spec/securityContext/runAsNonRoot"),
            "/spec/securityContext/runAsNonRoot"
        );
    }

    #[test]
    fn cron_workflows_templates_and_other_kinds() {
        let tpl = json!({"templates": [{"name": "t", "container": {"image": "x"}}]});
        let cron = inv(
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow",
            "spec": {"schedule": "* * * * *", "workflowSpec": tpl}}),
        );
        let pods = template_pods(&cron.objects()[0]);
        assert_eq!(
            pods[0].real_pointer("/spec/containers/0/image"),
            "/spec/workflowSpec/templates/0/container/image"
        );
        for kind in ["WorkflowTemplate", "ClusterWorkflowTemplate"] {
            let i = inv(json!({"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "spec": tpl}));
            assert_eq!(template_pods(&i.objects()[0]).len(), 1, "{kind}");
        }
        // Another group, a Rollout, broken shapes: nothing.
        for v in [
            json!({"apiVersion": "example.com/v1", "kind": "Workflow", "spec": tpl}),
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "spec": tpl}),
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "spec": {"templates": "x"}}),
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "spec": {"templates": ["x", {"container": "y"}]}}),
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "spec": tpl}),
        ] {
            assert!(
                template_pods(&inv(v.clone()).objects()[0]).is_empty(),
                "{v}"
            );
        }
    }

    #[test]
    fn cluster_workflow_templates_are_cluster_scoped_without_their_crd() {
        let mut inv = Inventory::new();
        let mk = |kind: &str| {
            let root = Node::from_json(&json!({"apiVersion": "argoproj.io/v1alpha1", "kind": kind,
                "spec": {"templates": [{"name": "t", "container": {"image": "x"}}]}}));
            NewObject {
                source: SourceId(0),
                doc: 0,
                base_pointer: String::new(),
                api_version: "argoproj.io/v1alpha1".into(),
                kind: kind.into(),
                name: "n".into(),
                namespace: None,
                root,
            }
        };
        inv.add_objects(
            vec![mk("ClusterWorkflowTemplate"), mk("WorkflowTemplate")],
            "default",
        );
        let pods: Vec<_> = inv.objects().iter().flat_map(template_pods).collect();
        assert_eq!(pods[0].object.namespace(), None);
        assert_eq!(pods[1].object.namespace(), Some("default"));
    }

    #[test]
    fn template_defaults_sit_between_template_and_workflow() {
        let i = inv(
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "spec": {"serviceAccountName": "wf", "templateDefaults": {"serviceAccountName": "d"},
                     "templates": [{"name": "a", "container": {"image": "x"}},
                                   {"name": "b", "container": {"image": "x"}, "serviceAccountName": "t"}]}}),
        );
        let pods = template_pods(&i.objects()[0]);
        let sa = |p: &TemplatePod| {
            p.pod_spec()
                .unwrap()
                .spec
                .str_at("serviceAccountName")
                .map(str::to_string)
        };
        assert_eq!(sa(&pods[0]).as_deref(), Some("d"));
        assert_eq!(
            pods[0].real_pointer("/spec/serviceAccountName"),
            "/spec/templateDefaults/serviceAccountName"
        );
        assert_eq!(sa(&pods[1]).as_deref(), Some("t"));
    }
}
