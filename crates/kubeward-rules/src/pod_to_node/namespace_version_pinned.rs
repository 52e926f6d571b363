//! KW-PSS-203: namespaces that pin an old Pod Security version and so miss newer controls.

use super::pss::labels::{self, Mode};
use kubeward_core::config::{PSS_LATEST_MINOR, PssLevel};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-203",
        name: "namespace-pod-security-version-pinned",
        layer: Layer::PodToNode,
        severity: Severity::Low,
        title: "Namespace pins an old Pod Security version that misses controls",
        why: "`pod-security.kubernetes.io/enforce-version: v1.N` freezes the checks at that \
              release. Controls added later are then not enforced: allowPrivilegeEscalation \
              (restricted, v1.8), the seccompProfile fields (baseline and restricted, v1.19; \
              before that only the deprecated annotations count), capabilities drop ALL \
              (restricted, v1.22), runAsUser ≠ 0 (restricted, v1.23) and probe/lifecycle `host` \
              (baseline, v1.34). Pinning is meant for a controlled upgrade, not forever.",
        fix: "Set `pod-security.kubernetes.io/enforce-version: latest` (or the cluster's current \
              version) after checking with `warn` at the newer version that workloads comply.",
        references: &[
            ("pss", "enforce-version"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Namespace"]),
        run: check,
    },
};

/// Controls that an older pinned version does not enforce: (level that has it, first minor,
/// description).
pub const ADDED: &[(PssLevel, u32, &str)] = &[
    (PssLevel::Restricted, 8, "allowPrivilegeEscalation"),
    (
        PssLevel::Baseline,
        19,
        "seccompProfile_baseline on the seccompProfile fields",
    ),
    (PssLevel::Restricted, 19, "seccompProfile_restricted"),
    (PssLevel::Restricted, 22, "capabilities_restricted"),
    (PssLevel::Restricted, 23, "runAsUser"),
    (PssLevel::Baseline, 34, "hostProbesAndHostLifecycle"),
];

/// The controls of `level` at the newest version that `minor` lacks.
pub fn missing(level: PssLevel, minor: u32) -> Vec<&'static str> {
    ADDED
        .iter()
        .filter(|(l, since, _)| *l <= level && minor < *since)
        .map(|(_, _, d)| *d)
        .collect()
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let ns = ctx.object;
    if !ns.group().is_empty() {
        return;
    }
    let policy = labels::read(ns);
    let enforce = policy.mode(Mode::Enforce);
    if enforce.level == PssLevel::Privileged || enforce.minor >= PSS_LATEST_MINOR {
        return;
    }
    // Only a valid, explicit version pins anything.
    let Some(version) = &enforce.version_label else {
        return;
    };
    let gaps = missing(enforce.level, enforce.minor);
    if gaps.is_empty() {
        return;
    }
    out.report(
        ns,
        labels::label_pointer(&format!("{}enforce-version", labels::PREFIX)),
        format!(
            "namespace {:?} enforces {} pinned at {version}, which does not enforce: {}",
            ns.name.as_str(),
            enforce.level.as_str(),
            gaps.join(", ")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::{RULE, missing};
    use kubeward_core::config::PssLevel;
    use kubeward_core::testing::{pointers, run};

    fn ns(labels: &str) -> String {
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  labels: {labels}\n")
    }

    #[test]
    fn old_pins_are_reported_with_what_they_miss() {
        let hits = run(
            &RULE,
            &ns(
                "{pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: v1.21}",
            ),
        );
        assert_eq!(
            pointers(&hits),
            vec!["/metadata/labels/pod-security.kubernetes.io~1enforce-version"]
        );
        assert!(
            hits[0]
                .message
                .contains("capabilities_restricted, runAsUser, hostProbesAndHostLifecycle"),
            "{}",
            hits[0].message
        );
        let hits = run(
            &RULE,
            &ns(
                "{pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: v1.30}",
            ),
        );
        assert!(hits[0].message.ends_with("hostProbesAndHostLifecycle"));
    }

    #[test]
    fn quiet_for_latest_recent_pins_and_privileged() {
        assert!(run(&RULE, &ns("{pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: latest}")).is_empty());
        assert!(
            run(
                &RULE,
                &ns("{pod-security.kubernetes.io/enforce: restricted}")
            )
            .is_empty()
        );
        assert!(run(&RULE, &ns("{pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: v1.34}")).is_empty());
        assert!(run(&RULE, &ns("{pod-security.kubernetes.io/enforce: privileged, pod-security.kubernetes.io/enforce-version: v1.0}")).is_empty());
        // Audit and warn pins do not weaken enforcement.
        assert!(run(&RULE, &ns("{pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/warn-version: v1.0}")).is_empty());
    }

    #[test]
    fn the_table_matches_the_engine() {
        use crate::pod_to_node::pss::{CHECKS, active_checks};
        use kubeward_core::config::{PSS_LATEST_MINOR, PssProfile};
        // Every check ID the table names exists, and a check missing from an older version at a
        // level appears in the table.
        for level in [PssLevel::Baseline, PssLevel::Restricted] {
            let latest: Vec<_> = active_checks(PssProfile {
                level,
                minor: PSS_LATEST_MINOR,
            })
            .map(|(c, _)| c.id)
            .collect();
            for minor in 0..PSS_LATEST_MINOR {
                let there: Vec<_> = active_checks(PssProfile { level, minor })
                    .map(|(c, _)| c.id)
                    .collect();
                for id in &latest {
                    // procMount_restricted only takes over what procMount did before v1.35.
                    if !there.contains(id) && *id != "procMount_restricted" {
                        assert!(
                            missing(level, minor).iter().any(|m| m.starts_with(id)),
                            "{id} at {level:?} v1.{minor}"
                        );
                    }
                }
            }
        }
        for (_, _, d) in super::ADDED {
            let id = d.split(' ').next().unwrap();
            assert!(CHECKS.iter().any(|c| c.id == id), "{id}");
        }
    }
}
