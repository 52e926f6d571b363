//! KW-NODE-107: kubelet does not manage its iptables utility chains.

use super::{check_bool, is_kubelet_config};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-107",
        name: "kubelet-iptables-util-chains",
        layer: Layer::Nodes,
        severity: Severity::Low,
        title: "kubelet does not manage its iptables utility chains",
        why: "With `makeIPTablesUtilChains: false` the kubelet stops keeping the iptables chains it relies on (KUBE-FIREWALL drops martian packets to localhost services); hand-managed rules drift and leave node-local ports reachable from pods.",
        fix: "Leave `makeIPTablesUtilChains` at its default (true), or set `--make-iptables-util-chains=true`.",
        references: &[("cis", "4.2.6"), ("kubescape", "C-0178")],
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
            &["makeIPTablesUtilChains"],
            KubeletCheck::IptablesChains,
            true,
            true,
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
        let f = run(&RULE, &file("makeIPTablesUtilChains: false\n"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/makeIPTablesUtilChains");
        assert!(run(&RULE, &file("makeIPTablesUtilChains: true\n")).is_empty());
        assert_eq!(run(&RULE, &file("")).len(), 0, "default");
        let f = run(
            &RULE,
            &node(
                "makeIPTablesUtilChains: false\n",
                &[(
                    "/makeIPTablesUtilChains",
                    "flag --make-iptables-util-chains=false (/etc/systemd/system/kubelet.service.d/20-extra.conf:3)",
                )],
                Some(""),
            ),
        );
        assert!(f[0].message.contains("20-extra.conf:3"), "{}", f[0].message);
        assert!(
            run(
                &RULE,
                &node(
                    "makeIPTablesUtilChains: true\n",
                    &[(
                        "/makeIPTablesUtilChains",
                        "flag --make-iptables-util-chains=true (x)"
                    )],
                    Some("")
                )
            )
            .is_empty()
        );
        assert_eq!(
            run(
                &RULE,
                &configz("makeIPTablesUtilChains: false\n", "v1.23.4")
            )
            .len(),
            1
        );
        assert_eq!(run(&RULE, &undetermined(""))[0].status, Status::Unknown);
    }
}
