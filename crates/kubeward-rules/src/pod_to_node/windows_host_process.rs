//! KW-PSS-001 (`windowsHostProcess`): Windows HostProcess containers.

use super::pss::{Invalid, PssCheck, Sink, Version, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-001",
        name: "windows-host-process",
        layer: Layer::PodToNode,
        severity: Severity::Critical,
        title: "Windows container runs as a HostProcess container",
        why: "A Windows HostProcess container runs directly on the node, outside any container \
              isolation, with the node's network and file system and, usually, as SYSTEM: it is \
              the Windows equivalent of a privileged container. Setting \
              `windowsOptions.hostProcess: true` at pod level makes every container of the pod one. \
              Pod Security Standards: baseline, every version.",
        fix: "Remove `windowsOptions.hostProcess: true` from the pod and container security \
              contexts. Node administration belongs in a dedicated, reviewed DaemonSet in a \
              namespace that enforces the privileged level only for it.",
        references: &[
            ("pss", "windowsHostProcess"),
            ("mitre", "T1611"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/configure-pod-container/create-hostprocess-pod/",
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
    id: "windowsHostProcess",
    level: PssLevel::Baseline,
    versions: &[Version {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
    rule: &RULE,
};

/// `windowsOptions.hostProcess` must be unset or false, at pod level and in every container.
fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    let _ = pod_level(pod, s);
    for c in pod.containers() {
        let _ = container(&c, s);
    }
}

fn pod_level(pod: &PodSpec<'_>, s: &mut Sink) -> Result<(), Invalid> {
    let sc = s.pod_sc(pod)?;
    let wo = s.map(sc, "windowsOptions", || {
        pod.ptr(&["securityContext", "windowsOptions"])
    })?;
    let p = || pod.ptr(&["securityContext", "windowsOptions", "hostProcess"]);
    if s.bool(wo, "hostProcess", p)? == Some(true) {
        s.fail(
            p(),
            "the pod-level securityContext sets `windowsOptions.hostProcess: true`, which makes \
             every container of the pod a HostProcess container"
                .to_string(),
        );
    }
    Ok(())
}

fn container(c: &Container<'_>, s: &mut Sink) -> Result<(), Invalid> {
    let sc = s.container_sc(c)?;
    let wo = s.map(sc, "windowsOptions", || {
        c.ptr(&["securityContext", "windowsOptions"])
    })?;
    let p = || c.ptr(&["securityContext", "windowsOptions", "hostProcess"]);
    if s.bool(wo, "hostProcess", p)? == Some(true) {
        s.fail(
            p(),
            format!(
                "{} sets `securityContext.windowsOptions.hostProcess: true`",
                c.describe()
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn pod_level_and_container_level_are_separate_places() {
        let hits = run(
            &RULE,
            &pod(
                "  os: {name: windows}\n  securityContext: {windowsOptions: {hostProcess: true}}\n  initContainers: [{name: i, image: x, securityContext: {windowsOptions: {hostProcess: true}}}]\n  containers: [{name: a, image: x}]\n  ephemeralContainers: [{name: e, image: x, securityContext: {windowsOptions: {hostProcess: true}}}]\n",
            ),
        );
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/securityContext/windowsOptions/hostProcess",
                "/spec/initContainers/0/securityContext/windowsOptions/hostProcess",
                "/spec/ephemeralContainers/0/securityContext/windowsOptions/hostProcess",
            ]
        );
        assert!(hits[0].message.contains("pod-level"));
        assert!(hits[1].message.contains("init container \"i\""));
    }

    #[test]
    fn quiet_when_false_or_unset() {
        assert!(run(&RULE, &pod("  securityContext: {windowsOptions: {hostProcess: false, runAsUserName: x}}\n  containers: [{name: a, image: x, securityContext: {windowsOptions: {hostProcess: false}}}]\n")).is_empty());
        assert!(run(&RULE, &pod("  containers: [{name: a, image: x}]\n")).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{securityContext: {windowsOptions: {hostProcess: true}}, containers: [{name: a, image: x}]}",
        ) {
            let hits = run(&RULE, &y);
            assert_eq!(hits.len(), 1, "{kind}");
            assert!(
                hits[0]
                    .pointer
                    .ends_with("spec/securityContext/windowsOptions/hostProcess")
            );
        }
    }

    #[test]
    fn not_at_privileged_level() {
        let y = pod(
            "  containers: [{name: a, image: x, securityContext: {windowsOptions: {hostProcess: true}}}]\n",
        );
        assert!(at(&RULE, "privileged:latest", &y).is_empty());
        assert_eq!(at(&RULE, "baseline:v1.0", &y).len(), 1);
    }
}
