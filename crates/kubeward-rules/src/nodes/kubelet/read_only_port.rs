//! KW-NODE-104: the kubelet serves the unauthenticated read-only port.

use super::{Resolved, Setting, describe, is_kubelet_config, report, undetermined};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-104",
        name: "kubelet-read-only-port",
        layer: Layer::Nodes,
        severity: Severity::High,
        title: "kubelet serves the unauthenticated read-only port",
        why: "The read-only port (10255) answers without authentication or authorization: \
              anyone who reaches the node lists its pods with their environment, images, \
              volumes and service account names, and reads metrics — the reconnaissance that \
              precedes an attack on the node.",
        fix: "Set `readOnlyPort: 0` in the kubelet configuration (or `--read-only-port=0`).",
        references: &[
            ("cis", "4.2.4"),
            ("kubescape", "C-0175"),
            ("mitre", "T1613"),
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
    let s = Setting::of(o, &["readOnlyPort"]);
    match s.resolved() {
        Resolved::Set(n) => {
            let port = n
                .as_i64()
                .or_else(|| n.as_str().and_then(|v| v.trim().parse().ok()));
            if port != Some(0) {
                report(
                    out,
                    &s,
                    KubeletCheck::ReadOnlyPort,
                    format!(
                        "{} serves the read-only port {}{}",
                        describe(o),
                        port.map_or_else(|| "(unreadable value)".to_string(), |p| p.to_string()),
                        s.from()
                    ),
                );
            }
        }
        // The v1beta1 default is 0.
        Resolved::Default => {}
        Resolved::Undetermined(r) => {
            undetermined(out, &s, KubeletCheck::ReadOnlyPort, "the read-only port", r)
        }
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
        let f = run(&RULE, &file("readOnlyPort: 10255\n"));
        assert!(f[0].message.contains("10255"));
        assert!(run(&RULE, &file("readOnlyPort: 0\n")).is_empty());
        assert!(run(&RULE, &file("")).is_empty());
        let f = run(
            &RULE,
            &node(
                "readOnlyPort: 10255\n",
                &[(
                    "/readOnlyPort",
                    "flag --read-only-port=10255 (/etc/default/kubelet:1)",
                )],
                Some(""),
            ),
        );
        assert!(f[0].message.contains("/etc/default/kubelet:1"));
        assert_eq!(
            run(&RULE, &configz("readOnlyPort: 10255\n", "v1.29.2")).len(),
            1
        );
        assert!(run(&RULE, &configz("readOnlyPort: 0\n", "v1.29.2")).is_empty());
        assert_eq!(run(&RULE, &undetermined(""))[0].status, Status::Unknown);
    }
}
