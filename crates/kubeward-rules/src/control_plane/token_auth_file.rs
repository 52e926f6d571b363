//! KW-CP-004: static token file.

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-004",
        name: "apiserver-token-auth-file",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "API server accepts static tokens from a file",
        why: "Tokens in `--token-auth-file` never expire, are stored in clear text on the control \
              plane nodes, and can only be changed by restarting the API server. A leaked token \
              stays valid until someone edits the file.",
        fix: "Remove `--token-auth-file` and authenticate people with OIDC or client \
              certificates from a short-lived issuer, and workloads with service account tokens.",
        references: &[
            ("cis", "1.2.2"),
            ("kubescape", "C-0114"),
            ("mitre", "T1552"),
            (
                "docs",
                "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#static-token-file",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_each(ctx, out, Kind::ApiServer, |c, out| {
        if c.is_set("token-auth-file") {
            out.report(
                c.object,
                c.ptr("token-auth-file"),
                format!("{} sets --token-auth-file", c.describe()),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::components::fixtures::*;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn fires_only_when_set() {
        let h = run(
            &RULE,
            &rke2("kube-apiserver", &["--token-auth-file=/etc/tokens.csv"]),
        );
        assert_eq!(pointers(&h), vec!["/spec/containers/0/args/0"]);
        assert!(run(&RULE, &kubeadm("kube-apiserver", &[])).is_empty());
        assert_eq!(
            run(
                &RULE,
                &k3s(&["--kube-apiserver-arg=token-auth-file=/t.csv"])
            )
            .len(),
            1
        );
    }
}
