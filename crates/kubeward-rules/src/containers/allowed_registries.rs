//! KW-IMG-004: images from registries or repositories outside `settings.allowed_registries`.

use kubeward_core::image::ImageRef;
use kubeward_core::{
    Check, Emitter, InventoryCtx, Layer, PodSpec, Rule, RuleMeta, Severity, Status,
};
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-IMG-004",
        name: "image-registry-not-allowed",
        layer: Layer::Containers,
        severity: Severity::High,
        title: "Image comes from a registry or repository that is not allowed",
        why: "Every image runs code inside the cluster with the pod's identity, secrets and network \
              reach. An image from a public or unknown registry bypasses the organisation's \
              scanning, signing and provenance controls, and a typo-squatted or hijacked \
              repository delivers an attacker's code directly. Without a configured list \
              kubeward cannot tell which registries are trusted and says so once.",
        fix: "Mirror the image into an approved registry, or, if the source is trusted, add its \
              registry/repository prefix to `settings.allowed_registries` in .kubeward.yaml \
              (prefixes match whole path components: `ghcr.io/acme/` does not allow \
              `ghcr.io/acme-evil/`). Enforce the same list at admission.",
        references: &[
            ("cis", "5.5.1"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Threat detection, image scanning",
            ),
            ("mitre", "T1525"),
            ("kubescape", "C-0078"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

/// Docker Hub's names for itself.
const DOCKER_HUB: &[&str] = &["docker.io", "index.docker.io", "registry-1.docker.io"];

/// `registry/repository` as the runtime resolves it: Docker Hub spelled `docker.io`, official
/// images under `library/`, the registry host lower-cased.
pub fn normalized_name(r: &ImageRef<'_>) -> String {
    let reg = r
        .registry
        .map(str::to_ascii_lowercase)
        .filter(|h| !DOCKER_HUB.contains(&h.as_str()))
        .unwrap_or_else(|| "docker.io".to_string());
    if reg == "docker.io" && !r.repository.contains('/') {
        format!("docker.io/library/{}", r.repository)
    } else {
        format!("{reg}/{}", r.repository)
    }
}

/// A configured prefix in the same normal form, without a trailing `/`. `None` for an empty
/// entry. `nginx` means the official image `docker.io/library/nginx`; an organisation on Docker
/// Hub is written `docker.io/bitnami/` or `bitnami/`.
pub fn normalized_prefix(p: &str) -> Option<String> {
    let p = p.trim();
    let p = p
        .strip_prefix("https://")
        .or_else(|| p.strip_prefix("http://"))
        .unwrap_or(p);
    let trailing_slash = p.ends_with('/');
    let p = p.trim_end_matches('/');
    if p.is_empty() {
        return None;
    }
    let (first, rest) = match p.split_once('/') {
        Some((f, r)) => (f, Some(r)),
        None => (p, None),
    };
    let is_host = first.contains('.') || first.contains(':') || first == "localhost";
    if is_host {
        let host = first.to_ascii_lowercase();
        let host = if DOCKER_HUB.contains(&host.as_str()) {
            "docker.io".to_string()
        } else {
            host
        };
        return Some(match rest {
            None => host,
            // `docker.io/nginx` is the official image.
            Some(r) if host == "docker.io" && !r.contains('/') && !trailing_slash => {
                format!("docker.io/library/{r}")
            }
            Some(r) => format!("{host}/{r}"),
        });
    }
    Some(if rest.is_none() && !trailing_slash {
        format!("docker.io/library/{p}")
    } else {
        format!("docker.io/{p}")
    })
}

/// Whether `name` is `prefix` or lies below it at a path-component boundary.
pub fn prefix_matches(prefix: &str, name: &str) -> bool {
    name == prefix || (name.starts_with(prefix) && name.as_bytes().get(prefix.len()) == Some(&b'/'))
}

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let allowed: Option<Vec<(String, String)>> =
        ctx.settings.allowed_registries.as_ref().map(|list| {
            let mut v = Vec::new();
            for (i, p) in list.iter().enumerate() {
                match normalized_prefix(p) {
                    Some(n) => v.push((p.clone(), n)),
                    None => {
                        out.report_global(format!(
                            "settings.allowed_registries[{i}] is empty and is ignored"
                        ))
                        .status(Status::Unknown);
                    }
                }
            }
            v
        });
    let shown = match &allowed {
        Some(list) if list.is_empty() => "the list is empty".to_string(),
        Some(list) => list
            .iter()
            .map(|(raw, _)| raw.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        None => String::new(),
    };
    // Without a list: one finding that says which registries were not checked.
    let mut unchecked: BTreeMap<String, usize> = BTreeMap::new();
    for obj in ctx.inventory.workloads() {
        let Some(pod) = PodSpec::of(obj) else {
            continue;
        };
        for c in pod.containers() {
            let Some((text, Ok(r))) = c.image_ref() else {
                continue;
            };
            match &allowed {
                None => {
                    let reg = r.registry.unwrap_or("docker.io");
                    let reg: std::borrow::Cow<'_, str> =
                        if DOCKER_HUB.iter().any(|h| h.eq_ignore_ascii_case(reg)) {
                            "docker.io".into()
                        } else if reg.bytes().any(|b| b.is_ascii_uppercase()) {
                            reg.to_ascii_lowercase().into()
                        } else {
                            reg.into()
                        };
                    match unchecked.get_mut(reg.as_ref()) {
                        Some(n) => *n += 1,
                        None => {
                            unchecked.insert(reg.into_owned(), 1);
                        }
                    }
                }
                Some(list) => {
                    let name = normalized_name(&r);
                    if list.iter().any(|(_, p)| prefix_matches(p, &name)) {
                        continue;
                    }
                    out.report(
                            obj,
                            c.ptr(&["image"]),
                            format!(
                                "{} uses image `{text}` ({name}), which matches no allowed prefix ({shown})",
                                c.describe(),
                            ),
                        );
                }
            }
        }
    }

    if allowed.is_none() && !unchecked.is_empty() {
        let total: usize = unchecked.values().sum();
        let regs: Vec<String> = unchecked
            .iter()
            .map(|(r, n)| format!("{r} ({n})"))
            .collect();
        out.report_global(format!(
            "settings.allowed_registries is not configured, so the registries of {total} container image{} were not checked: {}",
            if total == 1 { "" } else { "s" },
            regs.join(", ")
        ))
        .status(Status::Unknown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::containers::fixtures::sorted;
    use crate::support::containers::fixtures::{all_kinds, at, pod, pod_yaml};
    use kubeward_core::config::Settings;
    use kubeward_core::testing::{pointers, run_with};
    use serde_json::json;

    fn settings(list: &[&str]) -> Settings {
        Settings {
            allowed_registries: Some(list.iter().map(|s| s.to_string()).collect()),
            ..Settings::default()
        }
    }

    #[test]
    fn names_and_prefixes_are_normalised() {
        let n = |s: &str| normalized_name(&ImageRef::parse(s).unwrap());
        assert_eq!(n("nginx"), "docker.io/library/nginx");
        assert_eq!(n("nginx:1.27"), "docker.io/library/nginx");
        assert_eq!(n("docker.io/nginx"), "docker.io/library/nginx");
        assert_eq!(
            n("index.docker.io/library/nginx"),
            "docker.io/library/nginx"
        );
        assert_eq!(n("bitnami/redis"), "docker.io/bitnami/redis");
        assert_eq!(n("GHCR.io/acme/api:v1"), "ghcr.io/acme/api");
        assert_eq!(n("localhost:5000/x"), "localhost:5000/x");
        let p = |s: &str| normalized_prefix(s).unwrap();
        assert_eq!(p("nginx"), "docker.io/library/nginx");
        assert_eq!(p("docker.io/nginx"), "docker.io/library/nginx");
        assert_eq!(p("bitnami/"), "docker.io/bitnami");
        assert_eq!(p("docker.io/bitnami/"), "docker.io/bitnami");
        assert_eq!(p("ghcr.io/acme/"), "ghcr.io/acme");
        assert_eq!(p("https://Registry.Example.com/"), "registry.example.com");
        assert_eq!(p("docker.io"), "docker.io");
        assert!(normalized_prefix(" / ").is_none());
        assert!(prefix_matches("ghcr.io/acme", "ghcr.io/acme/api"));
        assert!(!prefix_matches("ghcr.io/acme", "ghcr.io/acme-evil/api"));
        assert!(!prefix_matches(
            "registry.example.com",
            "registry.example.com.evil.io/x"
        ));
    }

    #[test]
    fn fires_for_images_outside_the_list() {
        let y = pod_yaml(json!({
            "initContainers": [{"name": "i", "image": "busybox:1.36"}],
            "containers": [
                {"name": "a", "image": "ghcr.io/acme/api:v1"},
                {"name": "b", "image": "ghcr.io/acme-evil/api:v1"},
                {"name": "c", "image": "nginx"},
                {"name": "d", "image": "docker.io/library/nginx:1.27"},
                {"name": "e", "image": "registry.example.com.evil.io/x:1"},
                {"name": "f", "image": "registry.example.com/team/app:3"}
            ],
            "ephemeralContainers": [{"name": "dbg", "image": "docker.io/nicolaka/netshoot"}]
        }));
        let hits = run_with(
            &[&RULE],
            settings(&["ghcr.io/acme/", "nginx", "registry.example.com"]),
            &y,
        );
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/initContainers/0/image",
                "/spec/containers/1/image",
                "/spec/containers/4/image",
                "/spec/ephemeralContainers/0/image",
            ])
        );
        assert!(
            at(&hits, "/spec/containers/1/image")
                .message
                .contains("ghcr.io/acme-evil/api")
        );
        assert!(hits.iter().all(|h| h.status == Status::Fail));
    }

    #[test]
    fn every_workload_kind() {
        let spec = json!({"containers": [{"name": "a", "image": "quay.io/x/y:1"}]});
        for (kind, y, prefix) in all_kinds(&spec, &json!({})) {
            let hits = run_with(&[&RULE], settings(&["ghcr.io/acme/"]), &y);
            assert_eq!(
                sorted(pointers(&hits)),
                sorted(vec![format!("{prefix}/containers/0/image")]),
                "{kind}"
            );
            assert!(run_with(&[&RULE], settings(&["quay.io/x"]), &y).is_empty());
        }
    }

    #[test]
    fn without_a_list_it_says_so_once() {
        let y = format!(
            "{}\n---\n{}",
            pod_yaml(pod(json!([
                {"name": "a", "image": "nginx"},
                {"name": "b", "image": "ghcr.io/a/b:1"},
                {"name": "c", "image": "GHCR.io/a/c:1"}
            ]))),
            pod_yaml(pod(json!([{"name": "c", "image": "nginx:2"}]))).replace("\"p\"", "\"q\"")
        );
        let hits = run_with(&[&RULE], Settings::default(), &y);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].status, Status::Unknown);
        assert_eq!(hits[0].object, "");
        assert!(
            hits[0].message.contains("docker.io (2), ghcr.io (2)"),
            "{}",
            hits[0].message
        );
        // No images at all: nothing to say.
        assert!(
            run_with(
                &[&RULE],
                Settings::default(),
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn an_empty_list_allows_nothing_and_empty_entries_are_reported() {
        let y = pod_yaml(pod(json!([{"name": "a", "image": "nginx"}])));
        let hits = run_with(&[&RULE], settings(&[]), &y);
        assert_eq!(hits.len(), 1);
        assert!(hits[0].message.contains("the list is empty"));
        let hits = run_with(&[&RULE], settings(&["", "nginx"]), &y);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].status, Status::Unknown);
        assert!(hits[0].message.contains("[0] is empty"));
    }
}
