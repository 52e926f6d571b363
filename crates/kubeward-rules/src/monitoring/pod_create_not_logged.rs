//! KW-MON-006: pod creation is not logged.

use crate::support::audit_policy::{KINDS, report_unlogged, requests};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-MON-006",
        name: "audit-policy-pod-create-not-logged",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "Audit policy does not log pod creation",
        why: "Creating a privileged or hostPath pod is the shortest way from API access to a \
              node. If pod creation is dropped by the policy, neither the event nor (below \
              `Request`) the pod spec that shows the escape is in the audit log.",
        fix: "Log `create` on `pods` at `Request` or `RequestResponse` (so detection rules can \
              see the spec), before any `None` rule that could match it.",
        references: &[
            ("cis", "3.2.2"),
            ("mitre", "T1610"),
            ("kubeward", "KW-CP-008 (--audit-policy-file)"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(KINDS),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let reqs = requests("create", "", "pods", "", false);
    report_unlogged(ctx, out, "pod creation", &reqs);
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::audit_policy::policy_yaml;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn pods_dropped() {
        let h = run(
            &RULE,
            &policy_yaml(
                "rules:\n- level: None\n  userGroups: [system:serviceaccounts]\n- level: Metadata\n",
            ),
        );
        assert_eq!(pointers(&h), ["/rules/0"], "{h:?}");
        assert!(
            h[0].message.contains("system:serviceaccount:apps:default"),
            "{h:?}"
        );
        assert!(h[0].message.contains("and 2 more"), "{h:?}");
        assert!(run(&RULE, &policy_yaml("rules:\n- level: Request\n")).is_empty());
    }
}
