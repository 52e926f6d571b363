//! KW-NODE-102: the kubelet authorizes every request (AlwaysAllow).

use super::{Resolved, Setting, describe, is_kubelet_config, report, undetermined};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-102",
        name: "kubelet-authorization-always-allow",
        layer: Layer::Nodes,
        severity: Severity::Critical,
        title: "kubelet authorizes every authenticated request (AlwaysAllow)",
        why: "With `authorization.mode: AlwaysAllow` any caller the kubelet authenticates (and \
              every anonymous caller, when anonymous auth is on) may exec into pods, read their \
              logs and secrets and run commands through the kubelet API, bypassing RBAC.",
        fix: "Set `authorization.mode: Webhook` in the kubelet configuration (or \
              `--authorization-mode=Webhook`), so the kubelet asks the API server \
              (SubjectAccessReview) for each request.",
        references: &[
            ("cis", "4.2.2"),
            ("kubescape", "C-0173"),
            ("mitre", "T1609"),
            (
                "docs",
                "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/#kubelet-authorization",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["KubeletConfiguration"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if !is_kubelet_config(o) {
        return;
    }
    let s = Setting::of(o, &["authorization", "mode"]);
    match s.resolved() {
        Resolved::Set(n) => {
            let mode = n.as_str().unwrap_or("");
            if !mode.eq_ignore_ascii_case("Webhook") {
                report(
                    out,
                    &s,
                    KubeletCheck::Authorization,
                    format!(
                        "{} uses authorization mode `{mode}`{}",
                        describe(o),
                        s.from()
                    ),
                );
            }
        }
        // The v1beta1 default is Webhook.
        Resolved::Default => {}
        Resolved::Undetermined(r) => undetermined(
            out,
            &s,
            KubeletCheck::Authorization,
            "the authorization mode",
            r,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::RULE;
    use kubeward_core::Status;
    use kubeward_core::testing::run;

    #[test]
    fn file_flags_defaults_and_configz() {
        let f = run(&RULE, &file("authorization:\n  mode: AlwaysAllow\n"));
        assert_eq!(f[0].pointer, "/authorization/mode");
        assert!(run(&RULE, &file("authorization:\n  mode: Webhook\n")).is_empty());
        assert!(run(&RULE, &file("")).is_empty());
        // Flags only, no --config: the node source writes the flag default AlwaysAllow.
        let f = run(
            &RULE,
            &node(
                "authorization:\n  mode: AlwaysAllow\n",
                &[(
                    "/authorization/mode",
                    "default of --authorization-mode (no --config)",
                )],
                Some(""),
            ),
        );
        assert!(f[0].message.contains("default of --authorization-mode"));
        let f = run(
            &RULE,
            &configz("authorization:\n  mode: AlwaysAllow\n", "v1.33.0"),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(run(&RULE, &undetermined(""))[0].status, Status::Unknown);
    }
}
