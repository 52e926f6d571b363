//! KW-PSS-003: privileged containers.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-003",
        name: "privileged-container",
        layer: Layer::PodToNode,
        severity: Severity::Critical,
        title: "Container runs privileged",
        why: "A privileged container has every capability, sees every host device and is not \
              confined by seccomp or AppArmor: root in it is root on the node. One compromised \
              process is enough to take over the node and every pod on it.",
        fix: "Remove `securityContext.privileged: true`. Grant the single capability the workload \
              needs instead (`capabilities.add`), or move node-level work to a dedicated, \
              reviewed DaemonSet in an isolated namespace.",
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
            ("polaris", "privilegeEscalationAllowed"),
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
        let privileged = c.security_context().and_then(|sc| sc.bool_at("privileged"));
        if privileged == Some(true) {
            out.report(
                ctx.object,
                c.ptr(&["securityContext", "privileged"]),
                format!("{} runs privileged", c.describe()),
            )
            .reference("pss", "privileged");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

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
        assert!(hits[1].message.contains("container \"b\""));
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
    fn quiet_when_not_privileged_or_not_a_workload() {
        assert!(run(&RULE, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: x}]}\n").is_empty());
        // A quoted "true" is a string the API server would refuse for a boolean field.
        assert!(run(&RULE, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: x, securityContext: {privileged: 'true'}}]}\n").is_empty());
        assert!(
            run(
                &RULE,
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {privileged: 'true'}\n"
            )
            .is_empty()
        );
    }
}
