//! KW-CP-017: admission webhook timeouts above 10 seconds.

use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets, ptr};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-017",
        name: "webhook-timeout",
        layer: Layer::ControlPlane,
        severity: Severity::Low,
        title: "Admission webhook timeout is above 10 seconds",
        why: "Every matching API request waits for the webhook up to `timeoutSeconds`. Long \
              timeouts (up to 30 s) let a slow or stalled webhook tie up API server request \
              slots and make `kubectl` and controllers time out first, so a struggling webhook \
              degrades the whole control plane.",
        fix: "Keep `timeoutSeconds` at 10 or less (the default) and make the webhook answer \
              quickly; scale it instead of waiting longer.",
        references: &[(
            "docs",
            "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#timeouts",
        )],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&[
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
        ]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    for (i, w) in o
        .root
        .get("webhooks")
        .map(|n| n.items())
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        if let Some(t) = w.get("timeoutSeconds").and_then(|n| n.as_i64()) {
            if t > 10 {
                out.report(
                    o,
                    ptr!("/webhooks", i, "timeoutSeconds"),
                    format!(
                        "webhook {} waits up to {t} s",
                        w.str_at("name").unwrap_or("(unnamed)")
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn timeout() {
        let y = "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: m}\nwebhooks:\n- {name: a.example.com, timeoutSeconds: 30}\n- {name: b.example.com, timeoutSeconds: 10}\n- {name: c.example.com}\n";
        assert_eq!(pointers(&run(&RULE, y)), vec!["/webhooks/0/timeoutSeconds"]);
    }
}
