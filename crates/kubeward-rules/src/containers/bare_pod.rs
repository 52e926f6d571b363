//! KW-CTR-016: Pods that no controller owns.

use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-016",
        name: "bare-pod",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "Pod is not managed by a controller",
        why: "A Pod without `ownerReferences` belongs to no Deployment, StatefulSet, DaemonSet or \
              Job: nothing recreates it when its node fails or it is evicted, nothing rolls it \
              forward when its image or configuration is patched, and nobody owns it. Bare pods \
              are often debug or test pods someone forgot (with tools, credentials and broad \
              mounts), and a bare pod is how an attacker with `create pods` plants a workload \
              that no controller's spec reveals. Mirror pods of static pods \
              (`kubernetes.io/config.mirror`) and Helm hook pods (`helm.sh/hook`) are not \
              reported. It needs the whole input and does not run at admission, where a \
              controller's pods and a person's look alike until the object is stored.",
        fix: "Run the workload from a Deployment, StatefulSet, DaemonSet or Job, and delete \
              debug pods when done (or use `kubectl debug` with an ephemeral container).",
        references: &[
            ("kubescape", "C-0073"),
            ("mitre", "T1610"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/workloads/pods/#working-with-pods",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    for p in ctx.inventory.of_kind("Pod") {
        if p.group() != "" {
            continue;
        }
        let owned = p
            .root
            .path(&["metadata", "ownerReferences"])
            .is_some_and(|r| !r.items().is_empty());
        if owned
            || p.annotation("kubernetes.io/config.mirror").is_some()
            || p.annotation("helm.sh/hook").is_some()
        {
            continue;
        }
        out.report(
            p,
            "/metadata",
            format!(
                "Pod {} has no ownerReferences: no controller recreates it when it dies or updates it when it is patched",
                p.name
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn pod(meta: serde_json::Value) -> String {
        let mut m = json!({"name": "debug", "namespace": "team"});
        for (k, v) in meta.as_object().unwrap() {
            m[k] = v.clone();
        }
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": m,
               "spec": {"containers": [{"name": "a", "image": "x"}]}})
        .to_string()
    }

    #[test]
    fn fires_on_bare_pods_only() {
        assert_eq!(pointers(&run(&RULE, &pod(json!({})))), vec!["/metadata"]);
        assert_eq!(run(&RULE, &pod(json!({"ownerReferences": []}))).len(), 1);
        for meta in [
            json!({"ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u", "controller": true}]}),
            json!({"annotations": {"kubernetes.io/config.mirror": "x"}}),
            json!({"annotations": {"helm.sh/hook": "test"}}),
        ] {
            assert!(run(&RULE, &pod(meta.clone())).is_empty(), "{meta}");
        }
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
                       "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}});
        assert!(run(&RULE, &d.to_string()).is_empty());
    }
}
