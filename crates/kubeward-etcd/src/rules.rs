//! The findings of `kubeward etcd verify`, as rules so that they render through every report
//! format and are listed by `kubeward rules` / `explain`. They are produced by [`findings`]
//! from a [`Report`], not by the scan engine (`Check::Engine`).

use crate::{Counts, Report, ResourceReport};
use kubeward_core::{Check, Finding, Layer, Rule, RuleMeta, Severity, Status};

const DOCS: (&str, &str) = (
    "docs",
    "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/#verifying-that-data-is-encrypted",
);

pub static PLAINTEXT_SECRETS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-151",
        name: "etcd-secrets-plaintext",
        layer: Layer::Data,
        severity: Severity::High,
        title: "Secrets are stored in plaintext in etcd",
        why: "The values read from etcd start with the Kubernetes protobuf magic (`k8s\\0`) or \
              JSON, not with a `k8s:enc:` provider prefix: whatever the API server's \
              configuration says, these Secrets are readable by anyone with an etcd backup, a \
              disk snapshot or an etcd client certificate. Typical causes: no \
              `--encryption-provider-config`, `identity` as first provider, or objects written \
              before encryption was turned on and never rewritten.",
        fix: "Configure encryption (KW-CP-007, KW-CP-101, KW-CP-102), restart the API servers, \
              then rewrite every Secret (`kubectl get secrets -A -o json | kubectl replace -f \
              -`) and run `kubeward etcd verify` again.",
        references: &[
            ("cis", "1.2.27"),
            ("kubescape", "C-0066"),
            ("mitre", "T1552"),
            ("kubeward", "KW-CP-007, KW-CP-101, KW-CP-102"),
            DOCS,
        ],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static PLAINTEXT_CONFIGMAPS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-152",
        name: "etcd-configmaps-plaintext",
        layer: Layer::Data,
        severity: Severity::Low,
        title: "ConfigMaps are stored in plaintext in etcd",
        why: "ConfigMaps often carry connection strings and credentials that belong in Secrets \
              (KW-DAT-002). Stored without encryption they are readable from every etcd backup.",
        fix: "Add `configmaps` to the EncryptionConfiguration entry that encrypts Secrets, \
              restart the API servers and rewrite the ConfigMaps.",
        references: &[
            ("kubeward", "KW-DAT-002, KW-CP-102"),
            ("mitre", "T1552"),
            DOCS,
        ],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static KEYS_MIXED: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-153",
        name: "etcd-encryption-rotation-incomplete",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "Values in etcd are encrypted under more than one key or provider (rotation not finished)",
        why: "After a key rotation every object must be rewritten so that it is encrypted with \
              the new key; until then the old key cannot be removed and a leak of the old key \
              still exposes the objects written with it.",
        fix: "Rewrite the objects of the resource (`kubectl get secrets -A -o json | kubectl \
              replace -f -`), check again with `kubeward etcd verify`, then remove the old key \
              from the EncryptionConfiguration (KW-CP-106).",
        references: &[("kubeward", "KW-CP-106"), DOCS],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static WEAK_PROVIDER: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-154",
        name: "etcd-encryption-weak-provider",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "Values in etcd are encrypted with aescbc, aesgcm or KMS v1",
        why: "`aescbc` is open to padding-oracle attacks, `aesgcm` keys must be rotated every \
              200,000 writes, and KMS v1 is deprecated and disabled by default since Kubernetes \
              1.29; values written with them stay so until rewritten.",
        fix: "Move to a `kms` v2 provider (or `secretbox`), then rewrite the objects.",
        references: &[("kubeward", "KW-CP-103, KW-CP-104, KW-CP-105"), DOCS],
        default_enabled: true,
    },
    check: Check::Engine,
};

pub static UNRECOGNISED: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-155",
        name: "etcd-values-unrecognised",
        layer: Layer::Data,
        severity: Severity::Medium,
        title: "etcd verify could not tell how some values are stored, or found none",
        why: "Values that are neither Kubernetes protobuf, JSON nor a `k8s:enc:` provider \
              prefix were not written by an API server kubeward knows; an empty key prefix \
              usually means the API server uses another `--etcd-prefix`. Either way the check \
              cannot vouch for encryption at rest.",
        fix: "Check the API server's `--etcd-prefix` and pass it with `--prefix`; inspect the \
              keys reported.",
        references: &[DOCS],
        default_enabled: true,
    },
    check: Check::Engine,
};

/// The rules of this crate.
pub fn rules() -> Vec<&'static Rule> {
    vec![
        &PLAINTEXT_SECRETS,
        &PLAINTEXT_CONFIGMAPS,
        &KEYS_MIXED,
        &WEAK_PROVIDER,
        &UNRECOGNISED,
    ]
}

/// `a (3), b (2) and 4 more`, namespaces with the most matching values first.
fn namespaces(r: &ResourceReport, count: impl Fn(&Counts) -> u64) -> String {
    let mut v: Vec<(&String, u64)> = r
        .namespaces
        .iter()
        .map(|(n, c)| (n, count(c)))
        .filter(|(_, c)| *c > 0)
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = v
        .iter()
        .take(5)
        .map(|(n, c)| format!("{n} ({c})"))
        .collect();
    let mut s = shown.join(", ");
    if v.len() > 5 {
        s.push_str(&format!(" and {} more", v.len() - 5));
    }
    s
}

fn finding(rule: &'static Rule, r: &ResourceReport, message: String) -> Finding {
    let mut f = Finding::new(&rule.meta, None, String::new(), message);
    f.key = Some(format!("{}{}", r.key_prefix, rule.meta.id));
    f
}

/// The findings for a report. Values are never part of a message: only counts, provider and
/// key names, and namespaces.
pub fn findings(report: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in &report.resources {
        let c = &r.counts;
        let what = r.resource.as_str();
        if c.total == 0 {
            let mut f = finding(
                &UNRECOGNISED,
                r,
                format!("no keys under {}: nothing to verify", r.key_prefix),
            );
            f.status = Status::Unknown;
            out.push(f);
            continue;
        }
        if c.plaintext() > 0 {
            let rule = if what == "secrets" {
                &PLAINTEXT_SECRETS
            } else {
                &PLAINTEXT_CONFIGMAPS
            };
            let mut f = finding(
                rule,
                r,
                format!(
                    "{} of {} {what} under {} are stored in plaintext ({} protobuf, {} JSON); \
                     namespaces: {}",
                    c.plaintext(),
                    c.total,
                    r.key_prefix,
                    c.plaintext_protobuf,
                    c.plaintext_json,
                    namespaces(r, |n| n.plaintext())
                ),
            );
            if what == "secrets" && c.plaintext() == c.total {
                f.severity = Severity::Critical;
            } else if what != "secrets" && what != "configmaps" {
                f.severity = Severity::Medium;
            }
            out.push(f);
        }
        if c.encrypted.len() > 1 || (!c.encrypted.is_empty() && c.plaintext() > 0) {
            let mut parts: Vec<String> = c
                .encrypted
                .iter()
                .map(|(k, n)| format!("{k} ({n})"))
                .collect();
            if c.plaintext() > 0 {
                parts.push(format!("plaintext ({})", c.plaintext()));
            }
            out.push(finding(
                &KEYS_MIXED,
                r,
                format!(
                    "{what} under {} are stored {} ways: {}",
                    r.key_prefix,
                    parts.len(),
                    parts.join(", ")
                ),
            ));
        }
        let weak: Vec<String> = c
            .encrypted
            .iter()
            .filter(|(k, _)| {
                k.starts_with("aescbc:") || k.starts_with("aesgcm:") || k.starts_with("kms:v1:")
            })
            .map(|(k, n)| format!("{k} ({n})"))
            .collect();
        if !weak.is_empty() {
            out.push(finding(
                &WEAK_PROVIDER,
                r,
                format!(
                    "{what} under {} encrypted with {}",
                    r.key_prefix,
                    weak.join(", ")
                ),
            ));
        }
        if c.unknown > 0 {
            let mut f = finding(
                &UNRECOGNISED,
                r,
                format!(
                    "{} of {} {what} under {} have an unrecognised format; namespaces: {}",
                    c.unknown,
                    c.total,
                    r.key_prefix,
                    namespaces(r, |n| n.unknown)
                ),
            );
            f.status = Status::Unknown;
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::classify;

    fn resource(name: &str, values: &[(&str, &[u8])]) -> ResourceReport {
        let mut r = ResourceReport {
            resource: name.into(),
            key_prefix: format!("/registry/{name}/"),
            ..ResourceReport::default()
        };
        for (ns, v) in values {
            let s = classify(v);
            r.counts.add(&s);
            r.namespaces.entry(ns.to_string()).or_default().add(&s);
        }
        r
    }

    #[test]
    fn metadata_is_complete() {
        for r in rules() {
            kubeward_core::rule::validate_meta(&r.meta).unwrap();
        }
    }

    #[test]
    fn findings_from_counts() {
        let report = Report {
            resources: vec![
                resource(
                    "secrets",
                    &[
                        ("a", b"k8s\0x"),
                        ("a", b"{}"),
                        ("b", b"k8s:enc:aescbc:v1:old:"),
                        ("b", b"k8s:enc:kms:v2:vault:"),
                        ("c", b"??"),
                    ],
                ),
                resource("configmaps", &[]),
            ],
            ..Report::default()
        };
        let f = findings(&report);
        let ids: Vec<&str> = f.iter().map(|f| f.rule.id).collect();
        assert_eq!(
            ids,
            [
                "KW-CP-151",
                "KW-CP-153",
                "KW-CP-154",
                "KW-CP-155",
                "KW-CP-155"
            ]
        );
        assert_eq!(
            f[0].message,
            "2 of 5 secrets under /registry/secrets/ are stored in plaintext (1 protobuf, 1 JSON); namespaces: a (2)"
        );
        assert!(
            f[1].message
                .contains("aescbc:v1:old (1), kms:v2:vault (1), plaintext (2)")
        );
        assert_eq!(f[4].status, Status::Unknown);
        // All encrypted with one kms v2 key: nothing to report.
        let ok = Report {
            resources: vec![resource("secrets", &[("a", b"k8s:enc:kms:v2:vault:")])],
            ..Report::default()
        };
        assert!(findings(&ok).is_empty());
    }
}
