//! KW-CP-003: API server authorization mode.

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity, Status};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-003",
        name: "apiserver-authorization-mode",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "API server authorization is not Node,RBAC",
        why: "`AlwaysAllow` (the default when `--authorization-mode` is not given) lets every \
              authenticated request do anything: any service account token is cluster-admin. \
              Without the Node authorizer a kubelet's credentials can read every Secret in the \
              cluster, not only those of its own pods; without RBAC no least-privilege role \
              applies.",
        fix: "Set `--authorization-mode=Node,RBAC` (add Webhook after them if you use one) and \
              never AlwaysAllow.",
        references: &[
            ("cis", "1.2.6"),
            ("cis", "1.2.7"),
            ("cis", "1.2.8"),
            ("kubescape", "C-0118"),
            ("kubescape", "C-0119"),
            ("kubescape", "C-0120"),
            (
                "docs",
                "https://kubernetes.io/docs/reference/access-authn-authz/authorization/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_each(ctx, out, Kind::ApiServer, |c, out| {
        let modes = c.list("authorization-mode");
        if modes.is_empty() {
            if c.is_set("authorization-config") {
                out.report(
                    c.object,
                    c.ptr("authorization-config"),
                    format!(
                        "{} reads its authorizers from --authorization-config, which the API \
                         does not show",
                        c.describe()
                    ),
                )
                .status(Status::Unknown);
            } else {
                out.report(
                    c.object,
                    c.ptr("authorization-mode"),
                    format!(
                        "{} does not set --authorization-mode, so every authenticated request is \
                         allowed (AlwaysAllow)",
                        c.describe()
                    ),
                )
                .severity(Severity::Critical);
            }
            return;
        }
        // One flag, one finding: AlwaysAllow and the missing authorizers are said together.
        let always_allow = modes.contains(&"AlwaysAllow");
        let missing: Vec<&str> = ["Node", "RBAC"]
            .into_iter()
            .filter(|m| !modes.contains(m))
            .collect();
        if !always_allow && missing.is_empty() {
            return;
        }
        let mut problems = Vec::new();
        if always_allow {
            problems
                .push("includes AlwaysAllow (every authenticated request is allowed)".to_string());
        }
        if !missing.is_empty() {
            problems.push(format!("lacks {}", missing.join(" and ")));
        }
        let f = out.report(
            c.object,
            c.ptr("authorization-mode"),
            format!(
                "{} --authorization-mode={} {}",
                c.describe(),
                modes.join(","),
                problems.join(" and ")
            ),
        );
        if always_allow {
            f.severity(Severity::Critical);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::components::fixtures::*;
    use kubeward_core::Severity;
    use kubeward_core::testing::run;

    #[test]
    fn modes() {
        let h = run(&RULE, &kubeadm("kube-apiserver", &[]));
        assert_eq!(h[0].severity, Severity::Critical);
        let h = run(
            &RULE,
            &rke2("kube-apiserver", &["--authorization-mode=AlwaysAllow,RBAC"]),
        );
        assert_eq!(h.len(), 1, "one finding for one flag: {h:?}");
        assert_eq!(h[0].severity, Severity::Critical);
        assert!(h[0].message.contains("includes AlwaysAllow"));
        assert!(h[0].message.contains("lacks Node"));
        let h = run(
            &RULE,
            &kubeadm("kube-apiserver", &["--authorization-mode=RBAC"]),
        );
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].severity, Severity::High);
        assert!(h[0].message.contains("lacks Node"));
        assert!(
            run(
                &RULE,
                &kubeadm("kube-apiserver", &["--authorization-mode=Node,RBAC"])
            )
            .is_empty()
        );
        assert!(run(&RULE, &k3s(&[])).is_empty());
        assert_eq!(
            run(
                &RULE,
                &k3s(&["--kube-apiserver-arg=authorization-mode=RBAC"])
            )[0]
            .pointer,
            "/spec/containers/0/args/1"
        );
    }
}
