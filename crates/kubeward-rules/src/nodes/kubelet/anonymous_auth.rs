//! KW-NODE-101: the kubelet accepts anonymous requests.

use super::{Resolved, Setting, describe, is_kubelet_config, report, undetermined};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-101",
        name: "kubelet-anonymous-auth",
        layer: Layer::Nodes,
        severity: Severity::Critical,
        title: "kubelet accepts anonymous requests",
        why: "With anonymous authentication on, a request to the kubelet API (port 10250) without \
              credentials is served as `system:anonymous`. Combined with an AlwaysAllow \
              authorizer this is remote code execution in every pod of the node (`/exec`, \
              `/run`); even with Webhook authorization it exposes the node to any future \
              binding of the anonymous user.",
        fix: "Set `authentication.anonymous.enabled: false` in the kubelet configuration file \
              (or `--anonymous-auth=false`) and restart the kubelet.",
        references: &[
            ("cis", "4.2.1"),
            ("kubescape", "C-0069"),
            ("mitre", "T1190"),
            (
                "docs",
                "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
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
    let s = Setting::of(o, &["authentication", "anonymous", "enabled"]);
    match s.resolved() {
        Resolved::Set(n) => {
            if n.as_bool() != Some(false) {
                report(
                    out,
                    &s,
                    KubeletCheck::AnonymousAuth,
                    format!("{} allows anonymous requests{}", describe(o), s.from()),
                );
            }
        }
        // The v1beta1 default is false.
        Resolved::Default => {}
        Resolved::Undetermined(r) => undetermined(
            out,
            &s,
            KubeletCheck::AnonymousAuth,
            "anonymous authentication",
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
        // From a file.
        let f = run(
            &RULE,
            &file("authentication:\n  anonymous:\n    enabled: true\n"),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/authentication/anonymous/enabled");
        assert!(
            run(
                &RULE,
                &file("authentication:\n  anonymous:\n    enabled: false\n")
            )
            .is_empty()
        );
        // Default of a file: false.
        assert!(run(&RULE, &file("readOnlyPort: 0\n")).is_empty());
        // A flag overriding the file, as the node source writes it.
        let f = run(
            &RULE,
            &node(
                "authentication:\n  anonymous:\n    enabled: true\n",
                &[(
                    "/authentication/anonymous/enabled",
                    "flag --anonymous-auth=true (/proc/1/cmdline)",
                )],
                Some(""),
            ),
        );
        assert!(
            f[0].message.contains("flag --anonymous-auth=true"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].references
                .contains(&("cis", "4.2.1 (cis-1.12)".into()))
        );
        // configz.
        let f = run(
            &RULE,
            &configz(
                "authentication:\n  anonymous:\n    enabled: true\n",
                "v1.24.3",
            ),
        );
        assert!(f[0].message.contains("node node-a"));
        // Not readable.
        let f = run(&RULE, &undetermined(""));
        assert_eq!(f[0].status, Status::Unknown);
        assert!(f[0].message.contains("permission denied"));
    }
}
