//! KW-NODE-108: the kubelet overrides its hostname.

use super::{Setting, describe, flag, is_kubelet_config, report};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Status, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-108",
        name: "kubelet-hostname-override",
        layer: Layer::Nodes,
        severity: Severity::Low,
        title: "kubelet overrides its hostname",
        why: "`--hostname-override` makes the node register under a name that differs from its \
              host name; TLS serving certificates issued for the host name then no longer match, \
              which pushes operators to turn certificate verification off between the API server \
              and the kubelet.",
        fix: "Remove `--hostname-override` from the kubelet's command line (some cloud \
              providers need it: then document the exception).",
        references: &[("cis", "4.2.7"), ("kubescape", "C-0179")],
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
    let s = Setting::of(o, &["metadata", "annotations", super::ANN_FLAGS]);
    match flag(o, "hostname-override") {
        Ok(None) => {}
        Ok(Some(v)) => {
            let origin = super::origin(o, "/flags/hostname-override")
                .map(|w| format!(" (from {w})"))
                .unwrap_or_default();
            report(
                out,
                &s,
                KubeletCheck::HostnameOverride,
                format!("{} runs with --hostname-override={v}{origin}", describe(o)),
            );
        }
        Err(reason) => {
            report(
                out,
                &Setting::of(o, &[]),
                KubeletCheck::HostnameOverride,
                format!("{}: {reason}", describe(o)),
            )
            .status(Status::Unknown);
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
    fn flags_file_and_configz() {
        let f = run(
            &RULE,
            &node(
                "",
                &[(
                    "/flags/hostname-override",
                    "flag --hostname-override=web1 (/proc/9/cmdline)",
                )],
                Some("hostname-override=web1\\nnode-ip=10.0.0.1"),
            ),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("web1") && f[0].message.contains("/proc/9/cmdline"));
        assert!(run(&RULE, &node("", &[], Some("node-ip=10.0.0.1"))).is_empty());
        // A file alone, configz, or a node whose command line was not read: unknown.
        assert_eq!(run(&RULE, &file(""))[0].status, Status::Unknown);
        let f = run(&RULE, &configz("", "v1.33.0"));
        assert!(f[0].message.contains("/configz does not show"));
        let f = run(&RULE, &node("", &[], None));
        assert!(f[0].message.contains("command line could not be read"));
    }

    #[test]
    fn flag_tells_why_a_flag_is_unknown() {
        use super::super::{FlagUnknown, flag};
        let objects = |yaml: &str| kubeward_core::testing::load(yaml).inventory;
        let inv = objects(&file(""));
        let o = &inv.objects()[0];
        assert!(matches!(
            flag(o, "hostname-override"),
            Err(FlagUnknown::ConfigFile { flag }) if flag == "hostname-override"
        ));
        let inv = objects(&configz("", "v1.33.0"));
        let o = &inv.objects()[0];
        assert!(matches!(flag(o, "x"), Err(FlagUnknown::Configz { .. })));
        let inv = objects(&node("", &[], Some("node-ip=10.0.0.1")));
        let o = &inv.objects()[0];
        assert_eq!(flag(o, "node-ip"), Ok(Some("10.0.0.1")));
        assert_eq!(flag(o, "hostname-override"), Ok(None));
    }
}
