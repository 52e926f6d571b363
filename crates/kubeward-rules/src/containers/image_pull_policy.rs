//! KW-IMG-003: tag-pinned images that are not pulled on every start.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Status, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-IMG-003",
        name: "image-pull-policy-not-always",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "Tag-pinned image is not pulled with `imagePullPolicy: Always`",
        why: "With `IfNotPresent` (the default for any tag other than `latest`) or `Never`, a node \
              runs whatever it cached under that tag: nodes drift apart when the tag is moved, \
              and any pod scheduled on the node can start a private image that is already \
              cached there without holding the pull secret, because the registry is never \
              asked. Digest-pinned images are exempt: their content cannot change.",
        fix: "Pin the image by digest, or set `imagePullPolicy: Always` (pulls are cheap: only \
              the manifest is fetched when the layers are cached). In multi-tenant clusters, \
              also enable the AlwaysPullImages admission plugin.",
        references: &[
            ("cis", "1.2.11"),
            ("checkov", "CKV_K8S_15"),
            ("kube-score", "container-image-pull-policy"),
            ("polaris", "pullPolicyNotAlways"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/containers/images/#imagepullpolicy-defaulting",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    for c in pod.containers() {
        let Some((text, Ok(r))) = c.image_ref() else {
            continue;
        };
        if r.digest.is_some() {
            continue;
        }
        let tag = r.effective_tag().unwrap_or("latest");
        match c.node.get("imagePullPolicy") {
            None => {
                // The API server defaults the policy from the tag.
                if tag != "latest" {
                    out.report(
                        ctx.object,
                        c.ptr(&["image"]),
                        format!(
                            "{} uses image `{text}` without imagePullPolicy, which defaults to IfNotPresent for tag `{tag}`",
                            c.describe()
                        ),
                    );
                }
            }
            Some(p) => match p.as_str() {
                Some("Always") => {}
                Some(policy @ ("IfNotPresent" | "Never")) => {
                    out.report(
                        ctx.object,
                        c.ptr(&["imagePullPolicy"]),
                        format!(
                            "{} pulls image `{text}` with imagePullPolicy {policy}: a node runs whatever it cached as `{tag}`",
                            c.describe()
                        ),
                    );
                }
                _ => {
                    out.report(
                        ctx.object,
                        c.ptr(&["imagePullPolicy"]),
                        format!(
                            "{}: imagePullPolicy {p} is not Always, IfNotPresent or Never; the API server rejects it",
                            c.describe()
                        ),
                    )
                    .status(Status::Unknown);
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::sorted;
    use crate::support::containers::fixtures::{all_kinds, pod, pod_yaml};
    use kubeward_core::Status;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn defaulting_follows_the_tag() {
        let y = pod_yaml(pod(json!([
            {"name": "a", "image": "nginx:1.27"},                  // defaults to IfNotPresent
            {"name": "b", "image": "nginx"},                       // defaults to Always
            {"name": "c", "image": "nginx:latest"},                // defaults to Always
            {"name": "d", "image": "nginx:1.27", "imagePullPolicy": "Always"},
            {"name": "e", "image": "nginx:1.27", "imagePullPolicy": "Never"},
            {"name": "f", "image": "nginx:latest", "imagePullPolicy": "IfNotPresent"},
            {"name": "g", "image": format!("nginx@sha256:{}", "d".repeat(64)), "imagePullPolicy": "IfNotPresent"},
            {"name": "h", "image": "nginx:1.27", "imagePullPolicy": "Sometimes"}
        ])));
        let hits = run(&RULE, &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/containers/0/image",
                "/spec/containers/4/imagePullPolicy",
                "/spec/containers/5/imagePullPolicy",
                "/spec/containers/7/imagePullPolicy",
            ])
        );
        assert!(hits[0].message.contains("defaults to IfNotPresent"));
        assert_eq!(hits[3].status, Status::Unknown);
    }

    #[test]
    fn every_kind_and_container_list() {
        let spec = json!({
            "initContainers": [{"name": "i", "image": "busybox:1.36"}],
            "containers": [{"name": "a", "image": "app:2", "imagePullPolicy": "Always"}],
            "ephemeralContainers": [{"name": "e", "image": "debug:1", "imagePullPolicy": "IfNotPresent"}]
        });
        for (kind, y, prefix) in all_kinds(&spec, &json!({})) {
            assert_eq!(
                sorted(pointers(&run(&RULE, &y))),
                sorted(vec![
                    format!("{prefix}/initContainers/0/image"),
                    format!("{prefix}/ephemeralContainers/0/imagePullPolicy"),
                ]),
                "{kind}"
            );
        }
    }
}
