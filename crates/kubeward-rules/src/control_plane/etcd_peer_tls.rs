//! KW-CP-013: etcd peer TLS.

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-013",
        name: "etcd-peer-tls",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "etcd members do not authenticate each other",
        why: "etcd members replicate the whole cluster state over the peer port (2380). Without \
              peer certificates and `--peer-client-cert-auth`, anyone who reaches that port can \
              join the cluster as a member or read the replication stream.",
        fix: "Set `--peer-cert-file`, `--peer-key-file`, `--peer-trusted-ca-file` and \
              `--peer-client-cert-auth=true`, and remove `--peer-auto-tls`.",
        references: &[
            ("cis", "2.4"),
            ("cis", "2.5"),
            ("cis", "2.6"),
            ("kubescape", "C-0156"),
            ("kubescape", "C-0157"),
            ("kubescape", "C-0158"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_each(ctx, out, Kind::Etcd, |c, out| {
        let missing: Vec<&str> = ["peer-cert-file", "peer-key-file"]
            .into_iter()
            .filter(|f| !c.is_set(f))
            .collect();
        if !missing.is_empty() {
            out.report(
                c.object,
                c.ptr(missing[0]),
                format!(
                    "{} does not set {}",
                    c.describe(),
                    missing
                        .iter()
                        .map(|m| format!("--{m}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if !c.is_true("peer-client-cert-auth") {
            out.report(
                c.object,
                c.ptr("peer-client-cert-auth"),
                format!("{} does not set --peer-client-cert-auth=true", c.describe()),
            );
        }
        if c.is_true("peer-auto-tls") {
            out.report(
                c.object,
                c.ptr("peer-auto-tls"),
                format!(
                    "{} sets --peer-auto-tls (self-signed peer certificates)",
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
    use kubeward_core::testing::run;

    #[test]
    fn peer() {
        assert!(
            run(
                &RULE,
                &kubeadm(
                    "etcd",
                    &[
                        "--peer-cert-file=/p.crt",
                        "--peer-key-file=/p.key",
                        "--peer-client-cert-auth=true"
                    ]
                )
            )
            .is_empty()
        );
        assert_eq!(
            run(&RULE, &rke2("etcd", &["--peer-auto-tls=true"])).len(),
            3
        );
        assert!(run(&RULE, &kubeadm("kube-apiserver", &[])).is_empty());
    }
}
