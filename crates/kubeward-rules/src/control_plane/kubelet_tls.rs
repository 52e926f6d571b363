//! KW-CP-011: API server → kubelet TLS.

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-011",
        name: "apiserver-kubelet-tls",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "API server does not authenticate to kubelets or verify them",
        why: "`kubectl exec`, `logs` and `port-forward` go from the API server to the kubelet. \
              Without a client certificate the kubelet cannot require authentication; without \
              `--kubelet-certificate-authority` the API server does not check who answers, so \
              anyone who can intercept node traffic sees and injects exec sessions.",
        fix: "Set `--kubelet-client-certificate` and `--kubelet-client-key` (kubeadm does) and \
              `--kubelet-certificate-authority` to the CA that signs kubelet serving \
              certificates (enable kubelet serving-certificate rotation and approval).",
        references: &[
            ("cis", "1.2.4"),
            ("cis", "1.2.5"),
            ("kubescape", "C-0116"),
            ("kubescape", "C-0117"),
            ("mitre", "T1557"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_each(ctx, out, Kind::ApiServer, |c, out| {
        let missing: Vec<&str> = [
            "kubelet-client-certificate",
            "kubelet-client-key",
            "kubelet-certificate-authority",
        ]
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
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::components::fixtures::*;
    use kubeward_core::testing::run;

    #[test]
    fn kubelet_tls() {
        let h = run(
            &RULE,
            &kubeadm(
                "kube-apiserver",
                &[
                    "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
                    "--kubelet-client-key=/k",
                ],
            ),
        );
        assert_eq!(h.len(), 1);
        assert!(h[0].message.contains("--kubelet-certificate-authority"));
        assert!(
            run(
                &RULE,
                &rke2(
                    "kube-apiserver",
                    &[
                        "--kubelet-client-certificate=/c",
                        "--kubelet-client-key=/k",
                        "--kubelet-certificate-authority=/ca"
                    ]
                )
            )
            .is_empty()
        );
        assert!(run(&RULE, &k3s(&[])).is_empty());
    }
}
