//! KW-PSS-003 (`privileged`): privileged containers.

use super::pss::{Invalid, PssCheck, Sink, Version, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-003",
        name: "privileged-container",
        layer: Layer::PodToNode,
        severity: Severity::Critical,
        title: "Container runs privileged",
        why: "A privileged container has every capability, sees every host device and is not \
              confined by seccomp or AppArmor: root in it is root on the node. One compromised \
              process is enough to take over the node and every pod on it. Pod Security \
              Standards: baseline, every version.",
        fix: "Remove `securityContext.privileged: true` (or set it to false). Grant the single \
              capability the workload needs instead (`capabilities.add`), or move node-level work \
              to a dedicated, reviewed DaemonSet in a namespace that enforces the privileged \
              level only for it.",
        references: &[
            ("pss", "privileged"),
            ("cis", "5.2.2"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, non-root and unprivileged containers",
            ),
            ("mitre", "T1611"),
            ("checkov", "CKV_K8S_16"),
            ("kube-score", "container-security-context-privileged"),
            ("polaris", "runAsPrivileged"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "privileged",
    level: PssLevel::Baseline,
    versions: &[Version {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
    rule: &RULE,
};

/// Containers' `securityContext.privileged` must be unset or false.
fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    for c in pod.containers() {
        let _ = container(&c, s);
    }
}

fn container(c: &Container<'_>, s: &mut Sink) -> Result<(), Invalid> {
    let sc = s.container_sc(c)?;
    let p = || c.ptr(&["securityContext", "privileged"]);
    if s.bool(sc, "privileged", p)? == Some(true) {
        s.fail(
            p(),
            format!("{} sets `securityContext.privileged: true`", c.describe()),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::Status;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn custom_resources_with_pod_templates_are_checked() {
        // An Argo Rollout is checked like the Deployment it replaces.
        let hits = run(
            &RULE,
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  template:\n    spec:\n\
             \x20     containers: [{name: a, image: x, securityContext: {privileged: true}}]\n",
        );
        assert_eq!(
            pointers(&hits),
            vec!["/spec/template/spec/containers/0/securityContext/privileged"]
        );
        assert!(
            !hits[0].message.contains("heuristic"),
            "{}",
            hits[0].message
        );
        // Another custom kind with a pod-spec-shaped field is checked, and says it was a guess.
        let hits = run(
            &RULE,
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  podSpec:\n\
             \x20   containers: [{name: a, image: x, securityContext: {privileged: true}}]\n",
        );
        assert_eq!(
            pointers(&hits),
            vec!["/spec/podSpec/containers/0/securityContext/privileged"]
        );
        assert!(
            hits[0]
                .message
                .ends_with("[heuristic: Widget is not a known workload kind; /spec/podSpec has the shape of a pod spec]"),
            "{}",
            hits[0].message
        );
    }

    #[test]
    fn fires_on_every_container_list_and_yaml_1_1_spellings() {
        let hits = run(
            &RULE,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n\
             \x20     initContainers: [{name: i, image: x, securityContext: {privileged: yes}}]\n\
             \x20     containers:\n      - {name: a, image: x, securityContext: {privileged: false}}\n\
             \x20     - {name: b, image: x, securityContext: {privileged: true}}\n\
             \x20     ephemeralContainers: [{name: e, image: x, securityContext: {privileged: On}}]\n",
        );
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/template/spec/initContainers/0/securityContext/privileged",
                "/spec/template/spec/containers/1/securityContext/privileged",
                "/spec/template/spec/ephemeralContainers/0/securityContext/privileged",
            ]
        );
        assert_eq!(hits[0].line, 7);
        assert!(hits[0].message.contains("init container \"i\""));
        assert!(hits[1].message.contains("container \"b\""));
        assert!(hits[2].message.contains("ephemeral container \"e\""));
        assert_eq!(hits[0].references, vec![("pss", "privileged".to_string())]);
    }

    #[test]
    fn duplicate_key_keeps_the_last_value() {
        let y = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext:\n      privileged: false\n      privileged: true\n";
        assert_eq!(run(&RULE, y).len(), 1);
        let y = y.replace(
            "privileged: false\n      privileged: true",
            "privileged: true\n      privileged: false",
        );
        assert!(run(&RULE, &y).is_empty());
    }

    #[test]
    fn pod_level_privileged_does_not_exist_and_is_not_inherited() {
        // `privileged` is not a PodSecurityContext field; a scanner that "inherits" it reports a
        // false positive. The API server drops it; so do we.
        let y = pod("  securityContext: {privileged: true}\n  containers: [{name: a, image: x}]\n");
        assert!(run(&RULE, &y).is_empty());
    }

    #[test]
    fn wrong_type_is_unknown_not_silent() {
        // A quoted "true" is a string the API server refuses for a boolean field.
        let hits = run(
            &RULE,
            &pod("  containers: [{name: a, image: x, securityContext: {privileged: 'true'}}]\n"),
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].status, Status::Unknown);
        assert!(
            hits[0].message.contains("not a boolean"),
            "{}",
            hits[0].message
        );
        let hits = run(
            &RULE,
            &pod("  containers: [{name: a, image: x, securityContext: [privileged]}]\n"),
        );
        assert_eq!(hits[0].status, Status::Unknown);
        assert_eq!(hits[0].pointer, "/spec/containers/0/securityContext");
    }

    #[test]
    fn quiet_when_not_privileged_or_not_a_workload() {
        assert!(run(&RULE, &pod("  containers: [{name: a, image: x}]\n")).is_empty());
        assert!(
            run(
                &RULE,
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {privileged: 'true'}\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in
            every_kind("{containers: [{name: a, image: x, securityContext: {privileged: true}}]}")
        {
            let hits = run(&RULE, &y);
            assert_eq!(hits.len(), 1, "{kind}");
            assert!(
                hits[0]
                    .pointer
                    .ends_with("/containers/0/securityContext/privileged"),
                "{kind}"
            );
        }
    }

    #[test]
    fn applies_at_baseline_and_restricted_only() {
        let y = pod("  containers: [{name: a, image: x, securityContext: {privileged: true}}]\n");
        assert_eq!(at(&RULE, "baseline:v1.0", &y).len(), 1);
        assert_eq!(at(&RULE, "restricted:latest", &y).len(), 1);
        assert!(at(&RULE, "privileged", &y).is_empty());
    }
}
