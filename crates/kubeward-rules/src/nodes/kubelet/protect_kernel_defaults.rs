//! KW-NODE-106: kubelet may change kernel settings it depends on.

use super::{check_bool, is_kubelet_config};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-106",
        name: "kubelet-protect-kernel-defaults",
        layer: Layer::Nodes,
        severity: Severity::Low,
        title: "kubelet may change kernel settings it depends on",
        why: "Without `protectKernelDefaults: true` the kubelet silently changes kernel tunables (overcommit, panic on OOM) to what it needs instead of failing; a node whose hardened kernel settings were overwritten no longer matches its baseline.",
        fix: "Set the kernel parameters the kubelet needs in the node image (vm.overcommit_memory=1, kernel.panic=10, kernel.panic_on_oops=1) and set `protectKernelDefaults: true` (`--protect-kernel-defaults`).",
        references: &[
            ("cis", "4.2.6 (cis-1.6 to cis-1.24)"),
            ("kubescape", "C-0177"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["KubeletConfiguration"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    if is_kubelet_config(ctx.object) {
        check_bool(
            ctx.object,
            out,
            &["protectKernelDefaults"],
            KubeletCheck::ProtectKernelDefaults,
            true,
            false,
        );
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
        let f = run(&RULE, &file("protectKernelDefaults: false\n"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/protectKernelDefaults");
        assert!(run(&RULE, &file("protectKernelDefaults: true\n")).is_empty());
        assert_eq!(run(&RULE, &file("")).len(), 1, "default");
        let f = run(
            &RULE,
            &node(
                "protectKernelDefaults: false\n",
                &[(
                    "/protectKernelDefaults",
                    "flag --protect-kernel-defaults=false (/etc/systemd/system/kubelet.service.d/20-extra.conf:3)",
                )],
                Some(""),
            ),
        );
        assert!(f[0].message.contains("20-extra.conf:3"), "{}", f[0].message);
        assert!(
            run(
                &RULE,
                &node(
                    "protectKernelDefaults: true\n",
                    &[(
                        "/protectKernelDefaults",
                        "flag --protect-kernel-defaults=true (x)"
                    )],
                    Some("")
                )
            )
            .is_empty()
        );
        assert_eq!(
            run(&RULE, &configz("protectKernelDefaults: false\n", "v1.23.4")).len(),
            1
        );
        assert_eq!(run(&RULE, &undetermined(""))[0].status, Status::Unknown);
    }
}
