//! KW-CP-007: Secrets are stored unencrypted in etcd.

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-007",
        name: "apiserver-encryption-at-rest",
        layer: Layer::Data,
        severity: Severity::High,
        title: "Secrets are not encrypted at rest in etcd",
        why: "Without `--encryption-provider-config` the API server writes Secrets to etcd as \
              plain base64. Anyone with an etcd backup, a disk snapshot or read access to the \
              etcd data directory reads every token, password and key in the cluster.",
        fix: "Write an EncryptionConfiguration with a `kms` v2 (or `aescbc`/`secretbox`) provider \
              for `secrets`, pass it with `--encryption-provider-config`, then rewrite existing \
              Secrets (`kubectl get secrets -A -o json | kubectl replace -f -`). k3s: \
              `--secrets-encryption`.",
        references: &[
            ("cis", "1.2.27"),
            ("kubescape", "C-0066"),
            ("mitre", "T1552"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_each(ctx, out, Kind::ApiServer, |c, out| {
        if !c.is_set("encryption-provider-config") {
            out.report(
                c.object,
                c.ptr("encryption-provider-config"),
                format!(
                    "{} has no --encryption-provider-config{}",
                    c.describe(),
                    if c.style == crate::support::components::Style::K3s {
                        " (start k3s with --secrets-encryption)"
                    } else {
                        ""
                    }
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
    fn encryption() {
        assert_eq!(run(&RULE, &kubeadm("kube-apiserver", &[])).len(), 1);
        assert!(
            run(
                &RULE,
                &rke2(
                    "kube-apiserver",
                    &["--encryption-provider-config=/etc/enc.yaml"]
                )
            )
            .is_empty()
        );
        let h = run(&RULE, &k3s(&[]));
        assert!(h[0].message.contains("--secrets-encryption"), "{h:?}");
        assert!(run(&RULE, &k3s(&["--secrets-encryption"])).is_empty());
    }
}
