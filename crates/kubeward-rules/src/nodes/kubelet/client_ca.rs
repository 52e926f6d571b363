//! KW-NODE-103: the kubelet has no client CA, so it cannot authenticate client certificates.

use super::{Resolved, Setting, describe, is_kubelet_config, report, undetermined};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-103",
        name: "kubelet-client-ca",
        layer: Layer::Nodes,
        severity: Severity::High,
        title: "kubelet has no client CA file for certificate authentication",
        why: "Without `authentication.x509.clientCAFile` the kubelet cannot verify the API \
              server's client certificate; clusters then fall back to anonymous or token access \
              to the kubelet API, and the connection from the API server to the kubelet is not \
              mutually authenticated.",
        fix: "Set `authentication.x509.clientCAFile` (or `--client-ca-file`) to the cluster CA \
              (kubeadm: /etc/kubernetes/pki/ca.crt).",
        references: &[
            ("cis", "4.2.3"),
            ("kubescape", "C-0174"),
            ("mitre", "T1557"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["KubeletConfiguration"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if !is_kubelet_config(o) {
        return;
    }
    let s = Setting::of(o, &["authentication", "x509", "clientCAFile"]);
    let missing = match s.resolved() {
        Resolved::Set(n) => n.as_str().is_none_or(|v| v.trim().is_empty()),
        Resolved::Default => true,
        Resolved::Undetermined(r) => {
            undetermined(out, &s, KubeletCheck::ClientCa, "the client CA file", r);
            return;
        }
    };
    if missing {
        report(
            out,
            &s,
            KubeletCheck::ClientCa,
            format!(
                "{} sets no client CA file (authentication.x509.clientCAFile){}",
                describe(o),
                s.from()
            ),
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
        assert_eq!(run(&RULE, &file("")).len(), 1, "default: none");
        assert_eq!(
            run(
                &RULE,
                &file("authentication:\n  x509:\n    clientCAFile: \"\"\n")
            )
            .len(),
            1
        );
        assert!(
            run(
                &RULE,
                &file("authentication:\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\n")
            )
            .is_empty()
        );
        assert!(
            run(
                &RULE,
                &node(
                    "authentication:\n  x509:\n    clientCAFile: /ca.crt\n",
                    &[(
                        "/authentication/x509/clientCAFile",
                        "flag --client-ca-file=/ca.crt (unit)"
                    )],
                    Some("")
                )
            )
            .is_empty()
        );
        assert_eq!(
            run(&RULE, &configz("authentication: {}\n", "v1.30.0")).len(),
            1
        );
        assert_eq!(run(&RULE, &undetermined(""))[0].status, Status::Unknown);
    }
}
