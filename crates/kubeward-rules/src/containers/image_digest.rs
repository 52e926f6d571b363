//! KW-IMG-002: images pinned by a tag but not by a digest.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-IMG-002",
        name: "image-not-pinned-by-digest",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "Image is pinned by a tag, not by a digest",
        why: "A tag is a movable name: whoever can push to the repository (or compromises the \
              registry or a mirror) can point `app:1.4.2` at different content, and nodes that \
              pull later run it while the manifest under review stays the same. A digest names \
              the content itself, so what was scanned, signed and approved is what runs. Images \
              without a tag or tagged `latest` are reported by KW-IMG-001 instead.",
        fix: "Reference the image by digest (`registry/app:1.4.2@sha256:...`; the tag is kept for \
              people, the digest is what the runtime pulls) and let the release pipeline or a \
              bot such as Renovate update it.",
        references: &[
            ("checkov", "CKV_K8S_43"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Threat detection, image scanning",
            ),
            ("mitre", "T1525"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/containers/images/#image-names",
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
        // Malformed references are reported (as unknown) by KW-IMG-001.
        let Some((text, Ok(r))) = c.image_ref() else {
            continue;
        };
        match (r.tag, r.digest) {
            (Some(tag), None) if tag != "latest" => {
                out.report(
                    ctx.object,
                    c.ptr(&["image"]),
                    format!(
                        "{} uses image `{text}`: tag `{tag}` can be moved to other content; pin it with @sha256:...",
                        c.describe()
                    ),
                );
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::sorted;
    use crate::support::containers::fixtures::{all_kinds, pod};
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    fn digest() -> String {
        format!("sha256:{}", "c".repeat(64))
    }

    #[test]
    fn fires_for_tag_only_images_in_every_container_list_and_kind() {
        let spec = json!({
            "initContainers": [{"name": "i", "image": "busybox:1.36"}],
            "containers": [
                {"name": "a", "image": "ghcr.io/acme/api:v1.2.3"},
                {"name": "b", "image": format!("ghcr.io/acme/api:v1@{}", digest())},
                {"name": "c", "image": format!("ghcr.io/acme/api@{}", digest())},
                {"name": "d", "image": "nginx"},
                {"name": "e", "image": "nginx:latest"}
            ],
            "ephemeralContainers": [{"name": "dbg", "image": "localhost:5000/debug:2"}]
        });
        for (kind, y, prefix) in all_kinds(&spec, &json!({})) {
            let hits = run(&RULE, &y);
            assert_eq!(
                sorted(pointers(&hits)),
                sorted(vec![
                    format!("{prefix}/initContainers/0/image"),
                    format!("{prefix}/containers/0/image"),
                    format!("{prefix}/ephemeralContainers/0/image"),
                ]),
                "{kind}"
            );
        }
    }

    #[test]
    fn quiet_for_digests_latest_and_malformed() {
        let y = crate::support::containers::fixtures::pod_yaml(pod(json!([
            {"name": "a", "image": format!("nginx@{}", digest())},
            {"name": "b", "image": "nginx:latest"},
            {"name": "c", "image": "nginx:"},
            {"name": "d"}
        ])));
        assert!(run(&RULE, &y).is_empty());
    }
}
