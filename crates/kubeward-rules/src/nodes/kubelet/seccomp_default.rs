//! KW-NODE-114: kubelet does not apply the RuntimeDefault seccomp profile by default.

use super::{check_bool, is_kubelet_config};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-114",
        name: "kubelet-seccomp-default",
        layer: Layer::Nodes,
        severity: Severity::Low,
        title: "kubelet does not apply the RuntimeDefault seccomp profile by default",
        why: "With `seccompDefault` off, every container that does not ask for a seccomp profile runs Unconfined: the whole syscall surface of the kernel, including the calls behind most container-escape exploits, is reachable from it.",
        fix: "Set `seccompDefault: true` (`--seccomp-default`) so the container runtime's default profile applies to every container without one; test workloads that need extra syscalls and give them a Localhost profile.",
        references: &[
            ("cis", "4.2.14"),
            (
                "docs",
                "https://kubernetes.io/docs/tutorials/security/seccomp/#enable-the-use-of-runtimedefault-as-the-default-seccomp-profile-for-all-workloads",
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
    if is_kubelet_config(ctx.object) {
        check_bool(
            ctx.object,
            out,
            &["seccompDefault"],
            KubeletCheck::SeccompDefault,
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
        let f = run(&RULE, &file("seccompDefault: false\n"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/seccompDefault");
        assert!(run(&RULE, &file("seccompDefault: true\n")).is_empty());
        assert_eq!(run(&RULE, &file("")).len(), 1, "default");
        let f = run(
            &RULE,
            &node(
                "seccompDefault: false\n",
                &[(
                    "/seccompDefault",
                    "flag --seccomp-default=false (/etc/systemd/system/kubelet.service.d/20-extra.conf:3)",
                )],
                Some(""),
            ),
        );
        assert!(f[0].message.contains("20-extra.conf:3"), "{}", f[0].message);
        assert!(
            run(
                &RULE,
                &node(
                    "seccompDefault: true\n",
                    &[("/seccompDefault", "flag --seccomp-default=true (x)")],
                    Some("")
                )
            )
            .is_empty()
        );
        assert_eq!(
            run(&RULE, &configz("seccompDefault: false\n", "v1.23.4")).len(),
            1
        );
        assert_eq!(run(&RULE, &undetermined(""))[0].status, Status::Unknown);
    }
}
