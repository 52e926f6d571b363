//! KW-DAT-103: image pull Secrets holding credentials for public registries.

use crate::support::secret_values::{is_secret, secret_type, values};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-DAT-103",
        name: "public-registry-pull-credentials",
        layer: Layer::Data,
        severity: Severity::Low,
        title: "Image pull Secret holds an account credential for a public registry",
        why: "A docker config Secret for Docker Hub, GitHub Container Registry, Quay or another \
              public registry usually holds a person's or an organisation's account token, often \
              with push rights, to raise pull limits or reach a private repository. Everyone who \
              can read Secrets in the namespace can use it, and it ties the cluster's image \
              supply to an account outside the organisation's control.",
        fix: "Pull through a registry mirror or pull-through cache that the organisation runs \
              (and allow only it in `settings.allowed_registries`), or use a read-only, \
              repository-scoped robot token for the one repository needed.",
        references: &[
            ("mitre", "T1552.007"),
            ("nsa", "Kubernetes Hardening Guide: Secrets"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Secret"]),
        run: check,
    },
};

/// Public registries: (host as written in `auths`, normalised; the name shown).
const PUBLIC: &[(&str, &str)] = &[
    ("docker.io", "Docker Hub"),
    ("index.docker.io", "Docker Hub"),
    ("registry-1.docker.io", "Docker Hub"),
    ("registry.hub.docker.com", "Docker Hub"),
    ("ghcr.io", "GitHub Container Registry"),
    ("quay.io", "Quay.io"),
    ("registry.gitlab.com", "GitLab Container Registry"),
    ("public.ecr.aws", "Amazon ECR Public"),
];

/// `https://index.docker.io/v1/` → `index.docker.io`.
fn host(entry: &str) -> String {
    let e = entry
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    e.split('/').next().unwrap_or("").to_ascii_lowercase()
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    let ty = secret_type(o);
    if !is_secret(o)
        || !matches!(
            ty,
            "kubernetes.io/dockerconfigjson" | "kubernetes.io/dockercfg"
        )
    {
        return;
    }
    for v in values(o) {
        if v.key != ".dockerconfigjson" && v.key != ".dockercfg" {
            continue;
        }
        let Some(text) = &v.text else { continue };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
            continue;
        };
        // .dockerconfigjson nests the entries under `auths`; the legacy .dockercfg does not.
        let auths = json.get("auths").unwrap_or(&json);
        let Some(map) = auths.as_object() else {
            continue;
        };
        let mut found: Vec<String> = Vec::new();
        for (entry, cred) in map {
            let has_cred = ["auth", "password", "identitytoken"].iter().any(|k| {
                cred.get(k)
                    .and_then(|x| x.as_str())
                    .is_some_and(|s| !s.is_empty())
            });
            if !has_cred {
                continue;
            }
            let h = host(entry);
            if let Some((_, name)) = PUBLIC.iter().find(|(p, _)| *p == h) {
                let s = format!("{name} ({h})");
                if !found.contains(&s) {
                    found.push(s);
                }
            }
        }
        if !found.is_empty() {
            out.report(
                o,
                v.pointer.clone(),
                format!(
                    "pull Secret {} holds account credentials for the public registr{} {}",
                    o.name,
                    if found.len() == 1 { "y" } else { "ies" },
                    found.join(", ")
                ),
            )
            .redact_source();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::secret_values::fixtures::secret;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn public_registries_in_auths() {
        let cfg = r#"{"auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"}, "registry.example.com": {"auth": "dXNlcjpwYXNz"}, "ghcr.io": {"username": "u", "password": "p"}}}"#;
        let y = secret(
            Some("kubernetes.io/dockerconfigjson"),
            &[(".dockerconfigjson", cfg)],
            &[],
        );
        let hits = run(&RULE, &y);
        assert_eq!(pointers(&hits), vec!["/data/.dockerconfigjson"]);
        let m = &hits[0].message;
        assert!(m.contains("Docker Hub (index.docker.io)"), "{m}");
        assert!(m.contains("GitHub Container Registry (ghcr.io)"), "{m}");
        assert!(
            !m.contains("registry.example.com") && !m.contains("dXNlcjpwYXNz"),
            "{m}"
        );
    }

    #[test]
    fn private_registries_empty_entries_and_legacy_format() {
        let private =
            r#"{"auths": {"registry.example.com": {"auth": "dXNlcjpwYXNz"}, "quay.io": {}}}"#;
        let y = secret(
            Some("kubernetes.io/dockerconfigjson"),
            &[(".dockerconfigjson", private)],
            &[],
        );
        assert!(run(&RULE, &y).is_empty());
        let legacy = r#"{"quay.io": {"auth": "dXNlcjpwYXNz"}}"#;
        let y = secret(
            Some("kubernetes.io/dockercfg"),
            &[],
            &[(".dockercfg", legacy)],
        );
        assert_eq!(pointers(&run(&RULE, &y)), vec!["/stringData/.dockercfg"]);
        // Other Secret types are not pull Secrets.
        let y = secret(None, &[(".dockerconfigjson", legacy)], &[]);
        assert!(run(&RULE, &y).is_empty());
    }
}
