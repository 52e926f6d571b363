//! KW-MON-001: an audit policy without rules, or with rules the API server rejects.

use crate::support::audit_policy::{KINDS, policy};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-MON-001",
        name: "audit-policy-empty",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "Audit policy has no rules, or a rule without a valid level",
        why: "An audit policy with an empty `rules` list is rejected by the API server, and a \
              rule without a level (None, Metadata, Request, RequestResponse) makes the whole \
              file invalid: the API server does not start with it, and a cluster that is \
              \"fixed\" by dropping the flag records nothing at all.",
        fix: "Give the policy at least a final catch-all rule (`- level: Metadata`), and a valid \
              `level` on every rule.",
        references: &[
            ("cis", "3.2.1"),
            ("kubescape", "C-0160"),
            ("mitre", "T1562.008"),
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
    let Some(p) = policy(ctx.object) else { return };
    if p.rules.is_empty() {
        let pointer = if ctx.object.root.get("rules").is_some() {
            "/rules"
        } else {
            ""
        };
        out.report(
            ctx.object,
            pointer,
            "the policy has no rules: the API server rejects it, and nothing would be logged",
        );
        return;
    }
    for r in &p.rules {
        if r.level.is_none() {
            let (pointer, what) = match r.node.get("level") {
                Some(l) => (
                    format!("{}/level", r.pointer()),
                    format!("`{l}` is not an audit level"),
                ),
                None => (r.pointer(), "the rule has no level".to_string()),
            };
            out.report(
                ctx.object,
                pointer,
                format!(
                    "rules[{}]: {what} (None, Metadata, Request or RequestResponse): the API \
                     server rejects the policy",
                    r.index
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::audit_policy::policy_yaml;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn empty_and_invalid() {
        assert_eq!(
            pointers(&run(&RULE, &policy_yaml("rules: []\n"))),
            ["/rules"]
        );
        assert_eq!(
            pointers(&run(&RULE, &policy_yaml("omitStages: []\n"))),
            [""]
        );
        let h = run(
            &RULE,
            &policy_yaml("rules:\n- level: Everything\n- resources: []\n- level: Metadata\n"),
        );
        assert_eq!(pointers(&h), ["/rules/0/level", "/rules/1"]);
        assert!(run(&RULE, &policy_yaml("rules:\n- level: Metadata\n")).is_empty());
    }
}
