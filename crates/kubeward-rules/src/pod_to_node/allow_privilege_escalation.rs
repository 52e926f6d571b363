//! KW-PSS-102 (`allowPrivilegeEscalation`): containers that may gain privileges.

use super::pss::{Invalid, PssCheck, Sink, Version, is_windows, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-102",
        name: "privilege-escalation-allowed",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Container does not set allowPrivilegeEscalation: false",
        why: "Unless `allowPrivilegeEscalation` is explicitly false, the container's processes \
              run without the `no_new_privs` flag: a setuid binary or file capability in the \
              image can raise a compromised process to root or add capabilities. The default is \
              true, so leaving it unset is a failure. Pod Security Standards: restricted, from \
              v1.8; from v1.25 Windows pods (`spec.os.name: windows`) are exempt. The field does \
              not exist at pod level.",
        fix: "Set `securityContext.allowPrivilegeEscalation: false` in every container, init \
              container and ephemeral container.",
        references: &[
            ("pss", "allowPrivilegeEscalation"),
            ("cis", "5.2.6"),
            ("checkov", "CKV_K8S_20"),
            (
                "kube-score",
                "container-security-context-privilege-escalation",
            ),
            ("polaris", "privilegeEscalationAllowed"),
            ("mitre", "T1548.001"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "allowPrivilegeEscalation",
    level: PssLevel::Restricted,
    versions: &[
        Version {
            since: 8,
            check: v1_8,
            overrides: &[],
        },
        Version {
            since: 25,
            check: v1_25,
            overrides: &[],
        },
    ],
    rule: &RULE,
};

fn v1_8(pod: &PodSpec<'_>, s: &mut Sink) {
    for c in pod.containers() {
        let _ = container(&c, s);
    }
}

fn v1_25(pod: &PodSpec<'_>, s: &mut Sink) {
    if is_windows(pod) {
        return;
    }
    v1_8(pod, s);
}

fn container(c: &Container<'_>, s: &mut Sink) -> Result<(), Invalid> {
    let sc = s.container_sc(c)?;
    let p = || c.ptr(&["securityContext", "allowPrivilegeEscalation"]);
    match s.bool(sc, "allowPrivilegeEscalation", p)? {
        Some(false) => {}
        Some(true) => {
            s.fail(
                p(),
                format!("{} sets `allowPrivilegeEscalation: true`", c.describe()),
            );
        }
        None => {
            s.fail(
                p(),
                format!(
                    "{} does not set `allowPrivilegeEscalation: false` (it defaults to true)",
                    c.describe()
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::pointers;

    const SPEC: &str = "  initContainers: [{name: i, image: x}]\n  containers: [{name: a, image: x, securityContext: {allowPrivilegeEscalation: false}}, {name: b, image: x, securityContext: {allowPrivilegeEscalation: true}}]\n  ephemeralContainers: [{name: e, image: x, securityContext: {runAsUser: 1000}}]\n";

    #[test]
    fn unset_and_true_both_fail() {
        let hits = at(&RULE, "restricted", &pod(SPEC));
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/initContainers/0/securityContext/allowPrivilegeEscalation",
                "/spec/containers/1/securityContext/allowPrivilegeEscalation",
                "/spec/ephemeralContainers/0/securityContext/allowPrivilegeEscalation",
            ]
        );
        assert!(hits[0].message.contains("does not set"));
        assert!(
            hits[1]
                .message
                .contains("sets `allowPrivilegeEscalation: true`")
        );
        // The missing field is shown where the container (or its securityContext) is written.
        assert_eq!(hits[0].line, 5);
    }

    #[test]
    fn not_inherited_from_a_pod_level_field_that_does_not_exist() {
        let y = pod(
            "  securityContext: {allowPrivilegeEscalation: false}\n  containers: [{name: a, image: x}]\n",
        );
        assert_eq!(at(&RULE, "restricted", &y).len(), 1);
    }

    #[test]
    fn versions_and_windows() {
        let y = pod(SPEC);
        assert!(at(&RULE, "restricted:v1.7", &y).is_empty());
        assert_eq!(at(&RULE, "restricted:v1.8", &y).len(), 3);
        assert!(at(&RULE, "baseline", &y).is_empty());
        let w = pod(&format!("  os: {{name: windows}}\n{SPEC}"));
        assert_eq!(at(&RULE, "restricted:v1.24", &w).len(), 3);
        assert!(at(&RULE, "restricted:v1.25", &w).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind("{containers: [{name: a, image: x}]}") {
            assert_eq!(at(&RULE, "restricted", &y).len(), 1, "{kind}");
        }
        for (kind, y) in every_kind(
            "{containers: [{name: a, image: x, securityContext: {allowPrivilegeEscalation: false}}]}",
        ) {
            assert!(at(&RULE, "restricted", &y).is_empty(), "{kind}");
        }
    }
}
