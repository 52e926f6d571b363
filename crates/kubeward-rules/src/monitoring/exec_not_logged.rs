//! KW-MON-004: exec, attach and port-forward are not logged.

use crate::support::audit_policy::{KINDS, Request, report_unlogged, requests};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-MON-004",
        name: "audit-policy-exec-not-logged",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "Audit policy does not log exec, attach or port-forward into pods",
        why: "`pods/exec`, `pods/attach` and `pods/portforward` are how an intruder with API \
              access runs commands in, or tunnels into, a running workload. If the policy drops \
              them (a `None` rule that matches them, or no rule at all), the audit log cannot \
              show who ran what where.",
        fix: "Log `pods/exec`, `pods/attach` and `pods/portforward` at least at `Metadata` (both \
              `create` and `get`, which newer clients use for WebSocket upgrades), in a rule \
              placed before any `None` rule that could match them.",
        references: &[
            ("cis", "3.2.2"),
            ("mitre", "T1609"),
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
    for sub in ["exec", "attach", "portforward"] {
        let reqs: Vec<Request> = ["create", "get"]
            .iter()
            .flat_map(|v| requests(v, "", "pods", sub, false))
            .collect();
        report_unlogged(ctx, out, &format!("pods/{sub}"), &reqs);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::audit_policy::policy_yaml;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn exec_dropped() {
        let h = run(
            &RULE,
            &policy_yaml(
                "rules:\n- level: None\n  resources: [{group: '', resources: ['pods/*']}]\n  namespaces: [kube-system]\n- level: Metadata\n  resources: [{group: '', resources: [pods/exec]}]\n",
            ),
        );
        assert_eq!(pointers(&h), ["/rules", "/rules", "/rules/0"], "{h:?}");
        let exec = h
            .iter()
            .find(|h| h.message.starts_with("pods/exec"))
            .unwrap();
        assert!(exec.message.contains("in namespace kube-system"), "{h:?}");
        assert!(
            h.iter()
                .any(|h| h.message.starts_with("pods/attach")
                    && h.message.contains("no rule matches"))
        );
    }

    #[test]
    fn logged() {
        let h = run(
            &RULE,
            &policy_yaml(
                "rules:\n- level: None\n  users: [system:kube-proxy]\n- level: Metadata\n",
            ),
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
