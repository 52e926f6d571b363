//! KW-MON-007: the RequestReceived stage is logged.

use crate::support::audit_policy::{KINDS, Level, policy};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-MON-007",
        name: "audit-policy-request-received",
        layer: Layer::Monitoring,
        severity: Severity::Low,
        title: "Audit policy does not omit the RequestReceived stage",
        why: "Every request is logged once when it arrives (RequestReceived) and again when it \
              completes (ResponseComplete), with the same metadata. The first event doubles the \
              volume without adding information; when the webhook or log backend falls behind, \
              the API server drops events once its buffer is full, so the duplicate volume costs \
              real events.",
        fix: "Add `omitStages: [RequestReceived]` at the top of the policy (it applies to every \
              rule) or to each logging rule.",
        references: &[
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
    if p.omit_stages.contains(&"RequestReceived") {
        return;
    }
    let logging: Vec<String> = p
        .rules
        .iter()
        .filter(|r| {
            r.level.is_some_and(|l| l > Level::None) && !r.omit_stages.contains(&"RequestReceived")
        })
        .map(|r| r.index.to_string())
        .collect();
    if logging.is_empty() {
        return;
    }
    let pointer = if ctx.object.root.get("omitStages").is_some() {
        "/omitStages"
    } else {
        ""
    };
    out.report(
        ctx.object,
        pointer,
        format!(
            "RequestReceived is logged by rules[{}]: add `omitStages: [RequestReceived]` to the \
             policy",
            logging.join("], rules[")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::audit_policy::policy_yaml;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn stages() {
        let h = run(
            &RULE,
            &policy_yaml(
                "rules:\n- level: None\n  users: [x]\n- level: Request\n  verbs: [create]\n  omitStages: [RequestReceived]\n- level: Metadata\n",
            ),
        );
        assert_eq!(pointers(&h), [""]);
        assert!(h[0].message.contains("rules[2]"), "{h:?}");
        assert!(
            run(
                &RULE,
                &policy_yaml("omitStages: [RequestReceived]\nrules:\n- level: Metadata\n")
            )
            .is_empty()
        );
    }
}
