//! Request bodies: the scan's own per-object rules run on them, and the secrets a pod mounts
//! are learned from them.

use compact_str::CompactString;
use kubeward_core::config::Settings;
use kubeward_core::inventory::{NewObject, Source, SourceKind};
use kubeward_core::rule::{Check, Emitter, ObjectCtx, Rule, Targets};
use kubeward_core::{Finding, Inventory, Node, PodSpec, Status};
use serde_json::Value;

/// Resources whose bodies carry a pod spec.
pub const WORKLOAD_RESOURCES: &[&str] = &[
    "pods",
    "deployments",
    "daemonsets",
    "statefulsets",
    "replicasets",
    "replicationcontrollers",
    "jobs",
    "cronjobs",
    "podtemplates",
];

/// Runs `rules` (per-object rules; others are skipped) on one object given as JSON. Returns
/// the failing findings.
pub fn run_rules(
    rules: &[&'static Rule],
    settings: &Settings,
    body: &Value,
    namespace: Option<&str>,
) -> Vec<Finding> {
    let str_at = |p: &str| body.pointer(p).and_then(Value::as_str).unwrap_or("");
    let root = Node::from_json(body);
    let mut inventory = Inventory::new();
    let source = inventory.add_source(Source {
        name: "audit".into(),
        path: None,
        kind: SourceKind::Runtime,
        text: None,
    });
    let ns = str_at("/metadata/namespace");
    let ns = if ns.is_empty() {
        namespace.unwrap_or("default")
    } else {
        ns
    };
    let name = match str_at("/metadata/name") {
        "" => str_at("/metadata/generateName"),
        n => n,
    };
    inventory.add_objects(
        vec![NewObject {
            source,
            doc: 0,
            base_pointer: String::new(),
            api_version: CompactString::from(str_at("/apiVersion")),
            kind: CompactString::from(str_at("/kind")),
            name: CompactString::from(name),
            namespace: Some(CompactString::from(ns)),
            root,
        }],
        ns,
    );
    let object = &inventory.objects()[0];
    let pod = PodSpec::of(object);
    let ctx = ObjectCtx {
        object,
        pod: pod.as_ref(),
        inventory: &inventory,
        settings,
    };
    let mut out = Vec::new();
    for rule in rules {
        if let Check::Object { targets, run } = rule.check {
            let applies = match targets {
                Targets::All => true,
                Targets::PodSpecs => pod.is_some(),
                Targets::Kinds(kinds) => kinds.contains(&object.kind.as_str()),
            };
            if applies {
                run(&ctx, &mut Emitter::new(&rule.meta, &mut out));
            }
        }
    }
    out.retain(|f| f.status == Status::Fail);
    out
}

/// The pod spec inside a workload body.
pub fn pod_spec(body: &Value) -> Option<&Value> {
    let p = match body.get("kind").and_then(Value::as_str)? {
        "Pod" => "/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        "PodTemplate" => "/template/spec",
        _ => "/spec/template/spec",
    };
    body.pointer(p)
}

/// The service account of a pod spec and the Secrets it references (volumes, projected
/// volumes, env, envFrom, imagePullSecrets).
pub fn secret_refs(spec: &Value) -> (String, Vec<String>) {
    let sa = spec
        .get("serviceAccountName")
        .or_else(|| spec.get("serviceAccount"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .to_string();
    let mut names = Vec::new();
    let mut push = |v: Option<&Value>| {
        if let Some(n) = v.and_then(Value::as_str) {
            if !n.is_empty() && !names.iter().any(|x| x == n) {
                names.push(n.to_string());
            }
        }
    };
    let arr = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    for vol in arr(spec.get("volumes")) {
        push(vol.pointer("/secret/secretName"));
        for src in arr(vol.pointer("/projected/sources")) {
            push(src.pointer("/secret/name"));
        }
    }
    for s in arr(spec.get("imagePullSecrets")) {
        push(s.get("name"));
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for c in arr(spec.get(list)) {
            for e in arr(c.get("env")) {
                push(e.pointer("/valueFrom/secretKeyRef/name"));
            }
            for e in arr(c.get("envFrom")) {
                push(e.pointer("/secretRef/name"));
            }
        }
    }
    (sa, names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_references() {
        let pod = serde_json::json!({"kind": "Pod", "spec": {
            "serviceAccountName": "api",
            "volumes": [{"secret": {"secretName": "tls"}}, {"projected": {"sources": [{"secret": {"name": "ca"}}]}}],
            "imagePullSecrets": [{"name": "pull"}],
            "containers": [{"env": [{"valueFrom": {"secretKeyRef": {"name": "db"}}}], "envFrom": [{"secretRef": {"name": "tls"}}]}]
        }});
        let (sa, names) = secret_refs(pod_spec(&pod).unwrap());
        assert_eq!(sa, "api");
        assert_eq!(names, ["tls", "ca", "pull", "db"]);
    }
}
