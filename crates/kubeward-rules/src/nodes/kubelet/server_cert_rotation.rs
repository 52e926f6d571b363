//! KW-NODE-112: kubelet serving certificate rotation is turned off.

use super::{Resolved, Setting, describe, is_kubelet_config, report, undetermined};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-112",
        name: "kubelet-server-cert-rotation",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "kubelet serving certificate rotation is turned off",
        why: "The `RotateKubeletServerCertificate` feature gate (on by default) lets the kubelet \
              renew its serving certificate through the certificates API. Turned off, the \
              serving certificate is never renewed: it expires, and a leaked key stays usable \
              for its whole lifetime.",
        fix: "Remove `RotateKubeletServerCertificate: false` from `featureGates` (and from \
              `--feature-gates`), and set `serverTLSBootstrap: true`.",
        references: &[("cis", "4.2.11"), ("kubescape", "C-0183")],
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
    let s = Setting::of(o, &["featureGates", "RotateKubeletServerCertificate"]);
    match s.resolved() {
        Resolved::Set(n) => {
            let on = n
                .as_bool()
                .or_else(|| n.as_str().and_then(|v| v.parse().ok()));
            if on == Some(false) {
                report(
                    out,
                    &s,
                    KubeletCheck::ServerRotation,
                    format!(
                        "{} turns the RotateKubeletServerCertificate feature gate off{}",
                        describe(o),
                        s.from()
                    ),
                );
            }
        }
        Resolved::Default => {}
        Resolved::Undetermined(r) => undetermined(
            out,
            &s,
            KubeletCheck::ServerRotation,
            "the RotateKubeletServerCertificate feature gate",
            r,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::RULE;
    use kubeward_core::testing::run;

    #[test]
    fn file_flags_defaults_and_configz() {
        let off = "featureGates:\n  RotateKubeletServerCertificate: false\n";
        assert_eq!(run(&RULE, &file(off)).len(), 1);
        assert!(
            run(
                &RULE,
                &file("featureGates:\n  RotateKubeletServerCertificate: true\n")
            )
            .is_empty()
        );
        assert!(run(&RULE, &file("")).is_empty());
        let f = run(
            &RULE,
            &node(
                off,
                &[(
                    "/featureGates/RotateKubeletServerCertificate",
                    "flag --feature-gates=RotateKubeletServerCertificate=false (u)",
                )],
                Some(""),
            ),
        );
        assert!(f[0].message.contains("--feature-gates"));
        assert_eq!(
            run(&RULE, &configz(off, "v1.22.0"))[0]
                .references
                .last()
                .unwrap()
                .1,
            "4.2.12 (cis-1.23)"
        );
    }
}
