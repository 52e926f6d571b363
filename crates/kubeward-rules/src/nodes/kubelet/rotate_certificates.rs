//! KW-NODE-111: kubelet does not rotate its client certificate.

use super::{check_bool, is_kubelet_config};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-111",
        name: "kubelet-rotate-certificates",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "kubelet does not rotate its client certificate",
        why: "Without `rotateCertificates: true` the kubelet keeps the client certificate it bootstrapped with until it expires: a stolen kubelet credential stays valid for its whole lifetime, and an expired one takes the node down.",
        fix: "Set `rotateCertificates: true` (`--rotate-certificates`) so the kubelet renews its client certificate through the certificates API before it expires.",
        references: &[("cis", "4.2.10"), ("kubescape", "C-0182")],
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
            &["rotateCertificates"],
            KubeletCheck::RotateCertificates,
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
        let f = run(&RULE, &file("rotateCertificates: false\n"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/rotateCertificates");
        assert!(run(&RULE, &file("rotateCertificates: true\n")).is_empty());
        assert_eq!(run(&RULE, &file("")).len(), 1, "default");
        let f = run(
            &RULE,
            &node(
                "rotateCertificates: false\n",
                &[(
                    "/rotateCertificates",
                    "flag --rotate-certificates=false (/etc/systemd/system/kubelet.service.d/20-extra.conf:3)",
                )],
                Some(""),
            ),
        );
        assert!(f[0].message.contains("20-extra.conf:3"), "{}", f[0].message);
        assert!(
            run(
                &RULE,
                &node(
                    "rotateCertificates: true\n",
                    &[("/rotateCertificates", "flag --rotate-certificates=true (x)")],
                    Some("")
                )
            )
            .is_empty()
        );
        assert_eq!(
            run(&RULE, &configz("rotateCertificates: false\n", "v1.23.4")).len(),
            1
        );
        assert_eq!(run(&RULE, &undetermined(""))[0].status, Status::Unknown);
    }
}
