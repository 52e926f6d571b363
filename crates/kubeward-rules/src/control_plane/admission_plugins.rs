//! KW-CP-005: API server admission plugins.

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-005",
        name: "apiserver-admission-plugins",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "API server admission plugins leave nodes or namespaces unguarded",
        why: "Without NodeRestriction a kubelet may label any Node and change any pod bound to \
              other nodes, so one compromised node steers sensitive workloads onto itself. \
              AlwaysAdmit switches admission control off. Disabling ServiceAccount or \
              NamespaceLifecycle removes token wiring and lets objects be created in namespaces \
              being deleted.",
        fix: "Add NodeRestriction to `--enable-admission-plugins`, remove AlwaysAdmit, and do not \
              list ServiceAccount or NamespaceLifecycle in `--disable-admission-plugins`.",
        references: &[
            ("cis", "1.2.10"),
            ("cis", "1.2.14"),
            ("kubescape", "C-0121"),
            ("kubescape", "C-0123"),
            (
                "docs",
                "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#noderestriction",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_each(ctx, out, Kind::ApiServer, |c, out| {
        // `--admission-control` is the deprecated spelling of the enabled list.
        let (flag, enabled) = if c.is_set("enable-admission-plugins") {
            (
                "enable-admission-plugins",
                c.list("enable-admission-plugins"),
            )
        } else {
            ("admission-control", c.list("admission-control"))
        };
        let disabled = c.list("disable-admission-plugins");
        if !enabled.contains(&"NodeRestriction") || disabled.contains(&"NodeRestriction") {
            out.report(
                c.object,
                c.ptr(if disabled.contains(&"NodeRestriction") {
                    "disable-admission-plugins"
                } else {
                    flag
                }),
                format!(
                    "{} does not enable the NodeRestriction admission plugin",
                    c.describe()
                ),
            );
        }
        if enabled.contains(&"AlwaysAdmit") {
            out.report(
                c.object,
                c.ptr(flag),
                format!("{} enables the AlwaysAdmit admission plugin", c.describe()),
            )
            .severity(Severity::Critical);
        }
        for p in ["ServiceAccount", "NamespaceLifecycle"] {
            if disabled.contains(&p) {
                out.report(
                    c.object,
                    c.ptr("disable-admission-plugins"),
                    format!("{} disables the {p} admission plugin", c.describe()),
                )
                .severity(Severity::Medium);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::components::fixtures::*;
    use kubeward_core::testing::run;

    #[test]
    fn plugins() {
        assert_eq!(run(&RULE, &kubeadm("kube-apiserver", &[])).len(), 1);
        assert!(
            run(
                &RULE,
                &kubeadm(
                    "kube-apiserver",
                    &["--enable-admission-plugins=NodeRestriction"]
                )
            )
            .is_empty()
        );
        let h = run(
            &RULE,
            &rke2(
                "kube-apiserver",
                &[
                    "--enable-admission-plugins=NodeRestriction,AlwaysAdmit",
                    "--disable-admission-plugins=ServiceAccount",
                ],
            ),
        );
        assert_eq!(h.len(), 2, "{h:?}");
        assert!(run(&RULE, &k3s(&[])).is_empty());
        assert_eq!(
            run(
                &RULE,
                &k3s(&["--kube-apiserver-arg=enable-admission-plugins=PodSecurity"])
            )
            .len(),
            1
        );
    }
}
