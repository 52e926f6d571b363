//! KW-CP-008: API server audit logging.

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-008",
        name: "apiserver-audit-log",
        layer: Layer::Monitoring,
        severity: Severity::High,
        title: "API server does not write an audit log",
        why: "The audit log is the only record of who read which Secret, who exec'd into which \
              pod and who bound cluster-admin. Without `--audit-policy-file` and a destination \
              (`--audit-log-path` or `--audit-webhook-config-file`) an intrusion through the API \
              leaves no trace to detect or investigate.",
        fix: "Pass `--audit-policy-file` with a policy that records at least Metadata for every \
              request and RequestResponse for Secrets, RBAC and pods/exec, and \
              `--audit-log-path` (or `--audit-webhook-config-file`) to ship the events off the \
              node.",
        references: &[
            ("cis", "1.2.16"),
            ("cis", "3.2.1"),
            ("kubescape", "C-0067"),
            ("mitre", "T1562.008"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_each(ctx, out, Kind::ApiServer, |c, out| {
        if !c.is_set("audit-policy-file") {
            out.report(
                c.object,
                c.ptr("audit-policy-file"),
                format!(
                    "{} has no --audit-policy-file, so no audit events are recorded",
                    c.describe()
                ),
            );
            return;
        }
        let path = c.value("audit-log-path").filter(|v| !v.trim().is_empty());
        if path.is_none() && !c.is_set("audit-webhook-config-file") {
            out.report(
                c.object,
                c.ptr("audit-log-path"),
                format!(
                    "{} has an audit policy but neither --audit-log-path nor \
                     --audit-webhook-config-file, so the events go nowhere",
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
    fn audit() {
        assert_eq!(run(&RULE, &kubeadm("kube-apiserver", &[])).len(), 1);
        let h = run(
            &RULE,
            &rke2("kube-apiserver", &["--audit-policy-file=/etc/audit.yaml"]),
        );
        assert!(h[0].message.contains("go nowhere"));
        assert!(
            run(
                &RULE,
                &kubeadm(
                    "kube-apiserver",
                    &[
                        "--audit-policy-file=/p",
                        "--audit-log-path=/var/log/audit.log"
                    ]
                )
            )
            .is_empty()
        );
        assert!(
            run(
                &RULE,
                &k3s(&[
                    "--kube-apiserver-arg=audit-policy-file=/p",
                    "--kube-apiserver-arg=audit-webhook-config-file=/w"
                ])
            )
            .is_empty()
        );
        assert_eq!(run(&RULE, &k3s(&[])).len(), 1);
    }
}
