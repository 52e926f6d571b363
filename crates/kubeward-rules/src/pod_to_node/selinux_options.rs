//! KW-PSS-008 (`seLinuxOptions`): custom SELinux type, user or role.

use super::pss::{Invalid, PssCheck, Sink, Version, q, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, Node, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-008",
        name: "selinux-custom-options",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Pod or container sets a custom SELinux type, user or role",
        why: "SELinux confines container processes to the `container_t` family of types. Another \
              type (such as `spc_t`, the 'super privileged container' type, or `unconfined_t`), \
              or a custom SELinux user or role, lifts that confinement and lets the process act \
              on node files and processes as the node's own services do. Pod Security \
              Standards: baseline; the type must be empty, container_t, container_init_t or \
              container_kvm_t (from v1.31 also container_engine_t), and user and role must be \
              empty. The level is not restricted.",
        fix: "Remove `seLinuxOptions.type`, `.user` and `.role` (keep `level` if you use MCS \
              categories), or use one of the container types.",
        references: &[
            ("pss", "seLinuxOptions"),
            ("cis", "5.7.2"),
            ("mitre", "T1562.001"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#assign-selinux-labels-to-a-container",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "seLinuxOptions",
    level: PssLevel::Baseline,
    versions: &[
        Version {
            since: 0,
            check: v1_0,
            overrides: &[],
        },
        Version {
            since: 31,
            check: v1_31,
            overrides: &[],
        },
    ],
    rule: &RULE,
};

const TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const TYPES_1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    check(pod, s, TYPES_1_0)
}

fn v1_31(pod: &PodSpec<'_>, s: &mut Sink) {
    check(pod, s, TYPES_1_31)
}

/// Pod-level and containers' `seLinuxOptions`: type in `types`, user and role empty.
fn check(pod: &PodSpec<'_>, s: &mut Sink, types: &[&str]) {
    let _ = pod_level(pod, s, types);
    for c in pod.containers() {
        let _ = container(&c, s, types);
    }
}

fn pod_level(pod: &PodSpec<'_>, s: &mut Sink, types: &[&str]) -> Result<(), Invalid> {
    let sc = s.pod_sc(pod)?;
    let ptr = |rest: &[&str]| {
        let mut t = vec!["securityContext", "seLinuxOptions"];
        t.extend_from_slice(rest);
        pod.ptr(&t)
    };
    let opts = s.map(sc, "seLinuxOptions", || ptr(&[]))?;
    options(
        s,
        opts,
        ptr,
        types,
        "the pod-level securityContext",
        " (inherited by every container that does not set its own)",
    );
    Ok(())
}

fn container(c: &Container<'_>, s: &mut Sink, types: &[&str]) -> Result<(), Invalid> {
    let sc = s.container_sc(c)?;
    let ptr = |rest: &[&str]| {
        let mut t = vec!["securityContext", "seLinuxOptions"];
        t.extend_from_slice(rest);
        c.ptr(&t)
    };
    let opts = s.map(sc, "seLinuxOptions", || ptr(&[]))?;
    options(s, opts, ptr, types, &c.describe(), "");
    Ok(())
}

fn options(
    s: &mut Sink,
    opts: Option<&Node>,
    ptr: impl Fn(&[&str]) -> String,
    types: &[&str],
    who: &str,
    inherited: &str,
) {
    if opts.is_none() {
        return;
    }
    if let Ok(Some(t)) = s.str(opts, "type", || ptr(&["type"])) {
        if !types.contains(&t) {
            let allowed: Vec<&str> = types.iter().copied().filter(|t| !t.is_empty()).collect();
            s.fail(
                ptr(&["type"]),
                format!(
                    "{who} sets SELinux type {}{inherited} (allowed: {})",
                    q(t),
                    allowed.join(", ")
                ),
            );
        }
    }
    for field in ["user", "role"] {
        if let Ok(Some(v)) = s.str(opts, field, || ptr(&[field])) {
            if !v.is_empty() {
                s.fail(
                    ptr(&[field]),
                    format!(
                        "{who} sets SELinux {field} {}{inherited}; it must be empty",
                        q(v)
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn each_bad_field_at_each_level() {
        let hits = run(
            &RULE,
            &pod(
                "  securityContext: {seLinuxOptions: {type: spc_t, level: 's0:c1,c2'}}\n  initContainers: [{name: i, image: x, securityContext: {seLinuxOptions: {user: system_u, role: system_r}}}]\n  containers: [{name: a, image: x, securityContext: {seLinuxOptions: {type: container_t}}}]\n  ephemeralContainers: [{name: e, image: x, securityContext: {seLinuxOptions: {type: unconfined_t}}}]\n",
            ),
        );
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/securityContext/seLinuxOptions/type",
                "/spec/initContainers/0/securityContext/seLinuxOptions/role",
                "/spec/initContainers/0/securityContext/seLinuxOptions/user",
                "/spec/ephemeralContainers/0/securityContext/seLinuxOptions/type",
            ]
        );
        assert!(hits[0].message.contains("pod-level") && hits[0].message.contains("\"spc_t\""));
        assert!(hits[1].message.contains("init container \"i\""));
    }

    #[test]
    fn container_engine_t_is_allowed_from_v1_31() {
        let y = pod(
            "  containers: [{name: a, image: x, securityContext: {seLinuxOptions: {type: container_engine_t}}}]\n",
        );
        assert_eq!(at(&RULE, "baseline:v1.30", &y).len(), 1);
        assert!(at(&RULE, "baseline:v1.31", &y).is_empty());
        assert!(at(&RULE, "restricted", &y).is_empty());
    }

    #[test]
    fn quiet_for_container_types_and_levels() {
        assert!(run(&RULE, &pod("  securityContext: {seLinuxOptions: {level: 's0:c123,c456'}}\n  containers: [{name: a, image: x, securityContext: {seLinuxOptions: {type: container_init_t, user: '', role: ''}}}]\n")).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{securityContext: {seLinuxOptions: {role: sysadm_r}}, containers: [{name: a, image: x}]}",
        ) {
            assert_eq!(run(&RULE, &y).len(), 1, "{kind}");
        }
    }
}
