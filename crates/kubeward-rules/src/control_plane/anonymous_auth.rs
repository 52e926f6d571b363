//! KW-CP-002: the API server accepts anonymous requests.

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity, Status};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-002",
        name: "apiserver-anonymous-auth",
        layer: Layer::ControlPlane,
        // Default RBAC lets anonymous users see only health and discovery endpoints; the
        // danger is the next binding to system:anonymous or system:unauthenticated.
        severity: Severity::Medium,
        title: "API server accepts anonymous requests",
        why: "With `--anonymous-auth` left at its default (true), every request without \
              credentials is served as `system:anonymous` in group `system:unauthenticated`. \
              One careless binding to those subjects, or an authorizer that allows them, opens \
              the API to anyone who can reach the port; scanners find such servers within hours.",
        fix: "Start kube-apiserver with `--anonymous-auth=false` (kubeadm: \
              `apiServer.extraArgs` in the ClusterConfiguration; k3s: \
              `--kube-apiserver-arg=anonymous-auth=false`). Health checks that need anonymous \
              access can use an AuthenticationConfiguration that allows it only for /livez, \
              /readyz and /healthz.",
        references: &[
            ("cis", "1.2.1"),
            ("kubescape", "C-0113"),
            ("mitre", "T1078"),
            (
                "docs",
                "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_each(ctx, out, Kind::ApiServer, |c, out| {
        if c.is_false("anonymous-auth") {
            return;
        }
        if c.is_true("anonymous-auth") {
            out.report(
                c.object,
                c.ptr("anonymous-auth"),
                format!("{} sets --anonymous-auth=true", c.describe()),
            )
            .severity(Severity::High);
        } else if c.is_set("authentication-config") {
            out.report(
                c.object,
                c.ptr("authentication-config"),
                format!(
                    "{} reads anonymous-access settings from --authentication-config, which the \
                     API does not show",
                    c.describe()
                ),
            )
            .status(Status::Unknown);
        } else {
            out.report(
                c.object,
                c.ptr("anonymous-auth"),
                format!(
                    "{} does not set --anonymous-auth=false (the default is true)",
                    c.describe()
                ),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::components::fixtures::*;
    use kubeward_core::Status;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn kubeadm_rke2_k3s() {
        let h = run(
            &RULE,
            &kubeadm("kube-apiserver", &["--advertise-address=10.0.0.1"]),
        );
        assert_eq!(pointers(&h), vec!["/spec/containers/0/command"]);
        assert!(h[0].message.contains("default is true"));
        assert!(
            run(
                &RULE,
                &kubeadm("kube-apiserver", &["--anonymous-auth=false"])
            )
            .is_empty()
        );
        let h = run(&RULE, &rke2("kube-apiserver", &["--anonymous-auth=true"]));
        assert_eq!(pointers(&h), vec!["/spec/containers/0/args/0"]);
        // k3s turns anonymous auth off unless told otherwise.
        assert!(run(&RULE, &k3s(&[])).is_empty());
        let h = run(&RULE, &k3s(&["--kube-apiserver-arg=anonymous-auth=true"]));
        assert_eq!(pointers(&h), vec!["/spec/containers/0/args/1"]);
        let h = run(
            &RULE,
            &kubeadm(
                "kube-apiserver",
                &["--authentication-config=/etc/k/authn.yaml"],
            ),
        );
        assert_eq!(h[0].status, Status::Unknown);
    }

    #[test]
    fn quiet_without_a_control_plane_in_manifests() {
        assert!(run(&RULE, &kubeadm("kube-scheduler", &[])).is_empty());
    }
}
