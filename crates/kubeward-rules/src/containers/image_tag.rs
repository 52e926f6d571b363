//! KW-IMG-001: images without a tag, or tagged `latest`.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-IMG-001",
        name: "image-tag-latest",
        layer: Layer::Containers,
        severity: Severity::Medium,
        title: "Image has no tag or uses `latest`",
        why: "`latest` (which is also what an untagged image means) points at whatever was pushed \
              last: nodes may run different code, a rollback does not roll back, and whoever can \
              push to the repository changes what runs in the cluster without any change to the \
              manifest under review.",
        fix: "Pin the image to a digest (`image: registry/app@sha256:...`), or at least to an \
              immutable version tag, and let your release process update it.",
        references: &[
            ("cis", "5.5.1"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Threat detection, image scanning",
            ),
            ("mitre", "T1525"),
            ("checkov", "CKV_K8S_14"),
            ("kube-score", "container-image-tag"),
            ("polaris", "tagNotSpecified"),
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
        let Some((text, parsed)) = c.image_ref() else {
            continue;
        };
        match parsed {
            Ok(r) if r.digest.is_none() => {
                let msg = match r.tag {
                    None => format!(
                        "{} uses image `{text}` without a tag, which means `latest`",
                        c.describe()
                    ),
                    Some("latest") => format!("{} uses image `{text}`", c.describe()),
                    Some(_) => continue,
                };
                out.report(ctx.object, c.ptr(&["image"]), msg);
            }
            Ok(_) => {}
            Err(e) => {
                out.report(
                    ctx.object,
                    c.ptr(&["image"]),
                    format!("{}: cannot tell which image runs: {e}", c.describe()),
                )
                .status(kubeward_core::Status::Unknown);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::sorted;
    use kubeward_core::Status;
    use kubeward_core::testing::{pointers, run};

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n";

    #[test]
    fn fires_on_missing_or_latest_tags() {
        let hits = run(
            &RULE,
            &format!(
                "{POD}  - {{name: a, image: nginx}}\n  - {{name: b, image: 'registry:5000/x:latest'}}\n  - {{name: c, image: 'nginx:1.27'}}\n  - {{name: d, image: 'nginx@sha256:{}'}}\n  - {{name: e, image: 'nginx:latest@sha256:{}'}}\n",
                "a".repeat(64),
                "b".repeat(64)
            ),
        );
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec!["/spec/containers/0/image", "/spec/containers/1/image"])
        );
        assert!(hits[0].message.contains("without a tag"));
    }

    #[test]
    fn every_workload_kind_and_container_list() {
        use crate::support::containers::fixtures::{all_kinds, sorted};
        let spec = serde_json::json!({
            "initContainers": [{"name": "i", "image": "busybox"}],
            "containers": [{"name": "a", "image": "nginx:1.27"}],
            "ephemeralContainers": [{"name": "e", "image": "debug:latest"}]
        });
        for (kind, y, p) in all_kinds(&spec, &serde_json::json!({})) {
            assert_eq!(
                sorted(pointers(&run(&RULE, &y))),
                sorted(vec![
                    format!("{p}/initContainers/0/image"),
                    format!("{p}/ephemeralContainers/0/image"),
                ]),
                "{kind}"
            );
        }
    }

    #[test]
    fn a_registry_port_is_not_a_tag() {
        let hits = run(
            &RULE,
            &format!("{POD}  - {{name: a, image: 'localhost:5000/app'}}\n"),
        );
        assert_eq!(hits.len(), 1);
        assert!(hits[0].message.contains("without a tag"));
    }

    #[test]
    fn malformed_image_is_unknown_not_pass() {
        let hits = run(&RULE, &format!("{POD}  - {{name: a, image: 'nginx:'}}\n"));
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].status, Status::Unknown);
    }
}
