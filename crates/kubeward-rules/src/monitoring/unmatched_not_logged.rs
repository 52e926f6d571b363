//! KW-MON-002: requests no specific rule names are dropped (catch-all `None`, or no catch-all).

use crate::support::audit_policy::{KINDS, Level, policy};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-MON-002",
        name: "audit-policy-catch-all-none",
        layer: Layer::Monitoring,
        severity: Severity::Medium,
        title: "Audit policy drops every request its rules do not name (catch-all None or no catch-all)",
        why: "The API server logs a request at the level of the first rule that matches it and \
              drops requests that no rule matches. A catch-all rule at level `None` (a rule with \
              no selector), or no catch-all at all, means every resource, verb and API the \
              policy's author did not think of (new CRDs, new subresources, an attacker's \
              unusual call) leaves no audit record.",
        fix: "End the policy with a catch-all at `Metadata` (`- level: Metadata`), and drop \
              noisy requests with specific `None` rules before it.",
        references: &[
            ("cis", "3.2.2"),
            ("kubescape", "C-0161"),
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
        return; // KW-MON-001
    }
    match p.rules.iter().find(|r| r.matches_everything()) {
        Some(r) if r.level == Some(Level::None) => {
            let dead = p.rules.len() - r.index - 1;
            out.report(
                ctx.object,
                format!("{}/level", r.pointer()),
                format!(
                    "rules[{}] matches every request at level None: requests the rules before it \
                     do not name are not logged{}",
                    r.index,
                    if dead > 0 {
                        format!(", and the {dead} rule(s) after it never apply")
                    } else {
                        String::new()
                    }
                ),
            );
        }
        Some(_) => {}
        None => {
            out.report(
                ctx.object,
                "/rules",
                "no rule matches every request: requests the rules do not name are not logged \
                 (add a final `- level: Metadata`)",
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
    fn catch_all() {
        let h = run(
            &RULE,
            &policy_yaml(
                "rules:\n- level: Metadata\n  verbs: [create]\n- level: None\n- level: Metadata\n",
            ),
        );
        assert_eq!(pointers(&h), ["/rules/1/level"]);
        assert!(
            h[0].message.contains("1 rule(s) after it never apply"),
            "{h:?}"
        );
        let h = run(
            &RULE,
            &policy_yaml("rules:\n- level: Metadata\n  verbs: [create]\n"),
        );
        assert_eq!(pointers(&h), ["/rules"]);
        assert!(
            run(
                &RULE,
                &policy_yaml(
                    "rules:\n- level: None\n  users: [system:kube-proxy]\n- level: Metadata\n"
                )
            )
            .is_empty()
        );
    }
}
