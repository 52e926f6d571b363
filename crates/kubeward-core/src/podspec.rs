//! The one way to reach pod specs and their containers.
//!
//! Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob and
//! PodTemplate all carry a pod spec at a different place. [`PodSpec::of`] finds it once per
//! object; rules then walk containers, init containers and ephemeral containers through
//! [`PodSpec::containers`] and build pointers with [`PodSpec::ptr`] and [`Container::ptr`], so
//! every finding points at the right field of the right kind.

use crate::object::Object;
use crate::tree::{Node, PointerToken};

/// Where the pod spec of each kind lives: (kind, pod metadata pointer, pod spec pointer).
const LOCATIONS: &[(&str, &str, &str)] = &[
    ("Pod", "/metadata", "/spec"),
    (
        "Deployment",
        "/spec/template/metadata",
        "/spec/template/spec",
    ),
    (
        "StatefulSet",
        "/spec/template/metadata",
        "/spec/template/spec",
    ),
    (
        "DaemonSet",
        "/spec/template/metadata",
        "/spec/template/spec",
    ),
    (
        "ReplicaSet",
        "/spec/template/metadata",
        "/spec/template/spec",
    ),
    (
        "ReplicationController",
        "/spec/template/metadata",
        "/spec/template/spec",
    ),
    ("Job", "/spec/template/metadata", "/spec/template/spec"),
    (
        "CronJob",
        "/spec/jobTemplate/spec/template/metadata",
        "/spec/jobTemplate/spec/template/spec",
    ),
    ("PodTemplate", "/template/metadata", "/template/spec"),
];

/// Custom resources of well-known projects that embed a pod spec: (API group, kind, pod
/// metadata pointer, pod spec pointer, project). Tekton's `podTemplate` holds only pod-level
/// fields (no containers), so only pod-level rules find anything there.
const CUSTOM_LOCATIONS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "argoproj.io",
        "Rollout",
        "/spec/template/metadata",
        "/spec/template/spec",
        "Argo Rollouts",
    ),
    (
        "keda.sh",
        "ScaledJob",
        "/spec/jobTargetRef/template/metadata",
        "/spec/jobTargetRef/template/spec",
        "KEDA",
    ),
    (
        "serving.knative.dev",
        "Service",
        "/spec/template/metadata",
        "/spec/template/spec",
        "Knative Serving",
    ),
    (
        "serving.knative.dev",
        "Configuration",
        "/spec/template/metadata",
        "/spec/template/spec",
        "Knative Serving",
    ),
    (
        "serving.knative.dev",
        "Revision",
        "/metadata",
        "/spec",
        "Knative Serving",
    ),
    (
        "tekton.dev",
        "TaskRun",
        "/spec/podTemplate/metadata",
        "/spec/podTemplate",
        "Tekton",
    ),
    (
        "tekton.dev",
        "PipelineRun",
        "/spec/taskRunTemplate/podTemplate/metadata",
        "/spec/taskRunTemplate/podTemplate",
        "Tekton",
    ),
];

/// Where other custom resources are looked at for a pod spec, by shape: a mapping there with a
/// `containers` list of mappings is taken for a pod spec (and findings say it was a guess).
const SHAPES: &[(&str, &str)] = &[
    ("/spec/template/metadata", "/spec/template/spec"),
    (
        "/spec/jobTemplate/spec/template/metadata",
        "/spec/jobTemplate/spec/template/spec",
    ),
    ("/spec/podTemplate/metadata", "/spec/podTemplate/spec"),
    ("/spec/podTemplate/metadata", "/spec/podTemplate"),
    ("/spec/podSpec/metadata", "/spec/podSpec"),
];

/// How the pod spec of an object was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// A built-in workload kind (Pod, Deployment, ...).
    BuiltIn,
    /// A custom resource of a known project (Argo Rollout, Knative Service, ...).
    KnownCustom(&'static str),
    /// A custom resource with a pod-spec-shaped field: a heuristic.
    Shape,
}

/// The pointer of the pod spec in objects of `kind`, if the kind carries one.
pub fn spec_pointer(kind: &str) -> Option<&'static str> {
    LOCATIONS.iter().find(|(k, _, _)| *k == kind).map(|l| l.2)
}

/// The kinds that carry a pod spec.
pub const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "PodTemplate",
];

/// Which list a container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    /// The pod spec field that holds this list.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    /// How a message names a container of this list.
    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::Init => "init container",
            ContainerKind::Regular => "container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// The pod spec of an object.
#[derive(Clone, Copy, Debug)]
pub struct PodSpec<'a> {
    pub object: &'a Object,
    /// The pod's metadata (for templates, the template's metadata), if written.
    pub meta: Option<&'a Node>,
    pub meta_ptr: &'static str,
    pub spec: &'a Node,
    pub spec_ptr: &'static str,
    /// Built-in kind, known custom resource, or a guess from the shape.
    pub found: Found,
}

/// One container of a pod spec.
#[derive(Clone, Copy, Debug)]
pub struct Container<'a> {
    pub kind: ContainerKind,
    pub index: usize,
    pub node: &'a Node,
    spec_ptr: &'static str,
}

impl<'a> PodSpec<'a> {
    /// The pod spec of `object`, if its kind carries one and the spec is a mapping.
    pub fn of(object: &'a Object) -> Option<PodSpec<'a>> {
        // The pointers are static and need no unescaping: walk them directly (this runs for
        // every object in several analyses).
        let walk = |ptr: &str| {
            let mut cur = &object.root;
            for key in ptr.split('/').skip(1) {
                cur = cur.get(key)?;
            }
            Some(cur)
        };
        let make = |meta_ptr: &'static str, spec_ptr: &'static str, found: Found| {
            let spec = walk(spec_ptr).filter(|n| n.as_map().is_some())?;
            Some(PodSpec {
                object,
                meta: walk(meta_ptr),
                meta_ptr,
                spec,
                spec_ptr,
                found,
            })
        };
        let group = object.group();
        // Built-in groups have no dot (core, apps, batch, extensions) or end in `.k8s.io`; only
        // other groups are custom resources worth a look.
        let builtin_group = !group.contains('.') || group.ends_with(".k8s.io");
        if builtin_group {
            let (_, meta_ptr, spec_ptr) = LOCATIONS.iter().find(|(k, _, _)| *k == object.kind)?;
            return make(meta_ptr, spec_ptr, Found::BuiltIn);
        }
        if let Some((.., meta_ptr, spec_ptr, project)) = CUSTOM_LOCATIONS
            .iter()
            .find(|(g, k, ..)| *k == object.kind && *g == group)
        {
            return make(meta_ptr, spec_ptr, Found::KnownCustom(project));
        }
        SHAPES.iter().find_map(|(meta_ptr, spec_ptr)| {
            let spec = walk(spec_ptr)?;
            let containers = spec.get("containers")?.as_seq()?;
            if containers.is_empty() || containers.iter().any(|c| c.as_map().is_none()) {
                return None;
            }
            make(meta_ptr, spec_ptr, Found::Shape)
        })
    }

    /// Said after findings on a custom resource's pod spec, so a reader knows why kubeward
    /// looked there; empty for built-in kinds.
    pub fn found_note(&self) -> String {
        match self.found {
            // A known project's kind is checked like a built-in one: nothing to explain.
            Found::BuiltIn | Found::KnownCustom(_) => String::new(),
            Found::Shape => format!(
                " [heuristic: {} is not a known workload kind; {} has the shape of a pod spec]",
                self.object.kind, self.spec_ptr
            ),
        }
    }

    /// Init containers, then containers, then ephemeral containers, in order.
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + 'a {
        let spec = self.spec;
        let spec_ptr = self.spec_ptr;
        [
            ContainerKind::Init,
            ContainerKind::Regular,
            ContainerKind::Ephemeral,
        ]
        .into_iter()
        .flat_map(move |kind| {
            spec.get(kind.field())
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .filter(|(_, n)| n.as_map().is_some())
                .map(move |(index, node)| Container {
                    kind,
                    index,
                    node,
                    spec_ptr,
                })
        })
    }

    /// A pointer below the pod spec: `pod.ptr(&["securityContext", "runAsUser"])`.
    pub fn ptr(&self, tokens: &[&str]) -> String {
        let mut p = String::from(self.spec_ptr);
        for t in tokens {
            p.push('/');
            t.push_to(&mut p);
        }
        p
    }

    /// A pointer below the pod metadata.
    pub fn meta_ptr(&self, tokens: &[&str]) -> String {
        let mut p = String::from(self.meta_ptr);
        for t in tokens {
            p.push('/');
            t.push_to(&mut p);
        }
        p
    }

    /// The pod's annotations (template annotations for workloads).
    pub fn annotations(&self) -> Option<&'a Node> {
        self.meta.and_then(|m| m.get("annotations"))
    }

    /// The pod's labels (template labels for workloads).
    pub fn labels(&self) -> Option<&'a Node> {
        self.meta.and_then(|m| m.get("labels"))
    }

    /// The pod-level securityContext, if written.
    pub fn security_context(&self) -> Option<&'a Node> {
        self.spec.get("securityContext")
    }

    /// Volumes with their index.
    pub fn volumes(&self) -> impl Iterator<Item = (usize, &'a Node)> + 'a {
        self.spec
            .get("volumes")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
    }

    /// `spec.os.name == "windows"`.
    pub fn is_windows(&self) -> bool {
        self.spec.path(&["os", "name"]).and_then(Node::as_str) == Some("windows")
    }
}

impl<'a> Container<'a> {
    pub fn name(&self) -> &'a str {
        self.node.str_at("name").unwrap_or("")
    }

    /// A pointer below this container:
    /// `c.ptr(&["securityContext", "privileged"])` →
    /// `/spec/template/spec/containers/0/securityContext/privileged`.
    pub fn ptr(&self, tokens: &[&str]) -> String {
        let mut p = String::with_capacity(64);
        p.push_str(self.spec_ptr);
        p.push('/');
        p.push_str(self.kind.field());
        p.push('/');
        self.index.push_to(&mut p);
        for t in tokens {
            p.push('/');
            t.push_to(&mut p);
        }
        p
    }

    /// The container's securityContext, if written.
    pub fn security_context(&self) -> Option<&'a Node> {
        self.node.get("securityContext")
    }

    /// The items of a list field of the container (`env`, `envFrom`, `volumeMounts`, ...) with
    /// their index; empty when the field is absent or not a list.
    pub fn items(&self, field: &str) -> impl Iterator<Item = (usize, &'a Node)> + use<'a> {
        self.node
            .get(field)
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
    }

    /// The `image` text and its parse, when the container names an image as a string.
    pub fn image_ref(
        &self,
    ) -> Option<(
        &'a str,
        Result<crate::image::ImageRef<'a>, crate::image::ImageRefError>,
    )> {
        let text = self.node.str_at("image")?;
        Some((text, crate::image::ImageRef::parse(text)))
    }

    /// `"container \"web\""`, `"init container \"setup\""`, for messages.
    pub fn describe(&self) -> String {
        format!("{} \"{}\"", self.kind.noun(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Inventory, NewObject, SourceId};
    use serde_json::json;

    fn one(v: serde_json::Value) -> Inventory {
        crate::testing::json_inventory(&v, "x", None)
    }

    fn found(v: serde_json::Value) -> Option<(Found, &'static str, Vec<String>)> {
        let inv = one(v);
        let o = &inv.objects()[0];
        let p = PodSpec::of(o)?;
        let names = p.containers().map(|c| c.name().to_string()).collect();
        Some((p.found, p.spec_ptr, names))
    }

    #[test]
    fn pod_specs_of_well_known_custom_resources() {
        let tpl = json!({"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}});
        let cases = [
            (
                json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "spec": {"template": tpl}}),
                "/spec/template/spec",
                "Argo Rollouts",
            ),
            (
                json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob", "spec": {"jobTargetRef": {"template": tpl}}}),
                "/spec/jobTargetRef/template/spec",
                "KEDA",
            ),
            (
                json!({"apiVersion": "serving.knative.dev/v1", "kind": "Service", "spec": {"template": tpl}}),
                "/spec/template/spec",
                "Knative Serving",
            ),
            (
                json!({"apiVersion": "serving.knative.dev/v1", "kind": "Revision", "spec": {"containers": [{"name": "c", "image": "x"}]}}),
                "/spec",
                "Knative Serving",
            ),
        ];
        for (obj, ptr, project) in cases {
            let got = found(obj.clone()).unwrap_or_else(|| panic!("{obj}"));
            assert_eq!(
                got,
                (Found::KnownCustom(project), ptr, vec!["c".to_string()])
            );
        }
        // Tekton's podTemplate has pod-level fields only.
        let t = found(json!({"apiVersion": "tekton.dev/v1", "kind": "TaskRun",
            "spec": {"podTemplate": {"hostNetwork": true}}}))
        .unwrap();
        assert_eq!(
            t,
            (Found::KnownCustom("Tekton"), "/spec/podTemplate", vec![])
        );
        // A core Service has no pod spec; neither has a Knative Service without a template.
        assert!(
            found(json!({"apiVersion": "v1", "kind": "Service", "spec": {"template": tpl}}))
                .is_none()
        );
        assert!(
            found(json!({"apiVersion": "serving.knative.dev/v1", "kind": "Service", "spec": {}}))
                .is_none()
        );
    }

    #[test]
    fn other_custom_resources_by_shape_only() {
        let shaped = found(json!({"apiVersion": "example.com/v1", "kind": "Widget",
            "spec": {"podTemplate": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}}))
        .unwrap();
        assert_eq!(
            shaped,
            (
                Found::Shape,
                "/spec/podTemplate/spec",
                vec!["c".to_string()]
            )
        );
        // A look-alike `Deployment` of another group is a guess too, not a built-in.
        let lookalike = found(json!({"apiVersion": "acme.io/v1", "kind": "Deployment",
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}}))
        .unwrap();
        assert_eq!(lookalike.0, Found::Shape);
        // Old API groups of built-in kinds stay built-in.
        let old = found(
            json!({"apiVersion": "extensions/v1beta1", "kind": "Deployment",
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}}),
        )
        .unwrap();
        assert_eq!(old.0, Found::BuiltIn);
        // Not the shape: no containers list, an empty one, or items that are not mappings.
        for spec in [
            json!({"template": {"spec": {"replicas": 1}}}),
            json!({"template": {"spec": {"containers": []}}}),
            json!({"template": {"spec": {"containers": ["a"]}}}),
        ] {
            assert!(
                found(json!({"apiVersion": "example.com/v1", "kind": "Widget", "spec": spec}))
                    .is_none()
            );
        }
        // Built-in kinds without a pod spec are never guessed at.
        assert!(
            found(
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}})
            )
            .is_none()
        );
    }

    #[test]
    fn inventory_lists_custom_workloads_after_the_built_in_ones() {
        let mut inv = Inventory::new();
        let mk = |kind: &str, api: &str, spec: serde_json::Value| {
            let root = Node::from_json(&json!({"apiVersion": api, "kind": kind, "spec": spec}));
            NewObject {
                source: SourceId(0),
                doc: 0,
                base_pointer: String::new(),
                api_version: api.into(),
                kind: kind.into(),
                name: kind.to_ascii_lowercase().into(),
                namespace: Some("ns".into()),
                root,
            }
        };
        let tpl = json!({"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}});
        inv.add_objects(
            vec![
                mk("Rollout", "argoproj.io/v1alpha1", tpl.clone()),
                mk("ConfigMap", "v1", json!({})),
                mk("Deployment", "apps/v1", tpl.clone()),
            ],
            "default",
        );
        let kinds: Vec<&str> = inv.workloads().map(|o| o.kind.as_str()).collect();
        assert_eq!(kinds, vec!["Deployment", "Rollout"]);
    }

    #[test]
    fn every_workload_kind_reaches_its_containers() {
        let spec = json!({"initContainers": [{"name": "i"}], "containers": [{"name": "a"}, {"name": "b"}],
                          "ephemeralContainers": [{"name": "e"}]});
        let cases = [
            ("v1", "Pod", json!({"spec": spec}), "/spec"),
            (
                "apps/v1",
                "Deployment",
                json!({"spec": {"template": {"spec": spec}}}),
                "/spec/template/spec",
            ),
            (
                "apps/v1",
                "StatefulSet",
                json!({"spec": {"template": {"spec": spec}}}),
                "/spec/template/spec",
            ),
            (
                "apps/v1",
                "DaemonSet",
                json!({"spec": {"template": {"spec": spec}}}),
                "/spec/template/spec",
            ),
            (
                "apps/v1",
                "ReplicaSet",
                json!({"spec": {"template": {"spec": spec}}}),
                "/spec/template/spec",
            ),
            (
                "v1",
                "ReplicationController",
                json!({"spec": {"template": {"spec": spec}}}),
                "/spec/template/spec",
            ),
            (
                "batch/v1",
                "Job",
                json!({"spec": {"template": {"spec": spec}}}),
                "/spec/template/spec",
            ),
            (
                "batch/v1",
                "CronJob",
                json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
                "/spec/jobTemplate/spec/template/spec",
            ),
            (
                "v1",
                "PodTemplate",
                json!({"template": {"spec": spec}}),
                "/template/spec",
            ),
        ];
        for (av, kind, mut body, prefix) in cases {
            body["apiVersion"] = json!(av);
            body["kind"] = json!(kind);
            let inv = one(body);
            let pod = PodSpec::of(&inv.objects()[0]).unwrap_or_else(|| panic!("{kind}"));
            let cs: Vec<_> = pod.containers().collect();
            assert_eq!(cs.len(), 4, "{kind}");
            assert_eq!(cs[0].kind, ContainerKind::Init);
            assert_eq!(
                cs[0].ptr(&["image"]),
                format!("{prefix}/initContainers/0/image")
            );
            assert_eq!(
                cs[2].ptr(&["securityContext", "privileged"]),
                format!("{prefix}/containers/1/securityContext/privileged")
            );
            assert_eq!(cs[3].ptr(&[]), format!("{prefix}/ephemeralContainers/0"));
            assert_eq!(cs[3].name(), "e");
            // The pointers resolve in the object.
            assert!(inv.objects()[0].root.locate(&cs[2].ptr(&["name"])).complete);
        }
    }

    #[test]
    fn objects_without_a_pod_spec() {
        let inv = one(json!({"apiVersion": "v1", "kind": "Service", "spec": {}}));
        assert!(PodSpec::of(&inv.objects()[0]).is_none());
        let inv = one(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": "oops"}}),
        );
        assert!(PodSpec::of(&inv.objects()[0]).is_none());
    }

    #[test]
    fn container_list_fields_and_image() {
        let inv = one(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [
                {"name": "a", "image": "nginx:1.27", "env": [{"name": "X"}, {"name": "Y"}], "ports": "oops"},
                {"name": "b", "image": "bad image"},
                {"name": "c"}]}}),
        );
        let pod = PodSpec::of(&inv.objects()[0]).unwrap();
        let cs: Vec<_> = pod.containers().collect();
        let env: Vec<_> = cs[0]
            .items("env")
            .map(|(i, e)| (i, e.str_at("name")))
            .collect();
        assert_eq!(env, vec![(0, Some("X")), (1, Some("Y"))]);
        assert_eq!(cs[0].items("ports").count(), 0, "not a list");
        assert_eq!(cs[0].items("envFrom").count(), 0, "absent");
        let (text, r) = cs[0].image_ref().unwrap();
        assert_eq!((text, r.unwrap().tag), ("nginx:1.27", Some("1.27")));
        assert!(cs[1].image_ref().unwrap().1.is_err());
        assert!(cs[2].image_ref().is_none());
    }
}
