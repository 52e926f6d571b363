//! KW-NODE-110: the kubelet serves with a self-signed certificate.

use super::{Resolved, Setting, describe, is_kubelet_config, report, undetermined};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-110",
        name: "kubelet-serving-certificate",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "kubelet serves its API with a self-signed certificate",
        why: "Without `tlsCertFile`/`tlsPrivateKeyFile` and without `serverTLSBootstrap`, the \
              kubelet generates a self-signed serving certificate. The API server (and metrics \
              collectors) cannot verify it, so they connect with verification off and a machine \
              in the middle can read exec sessions and logs.",
        fix: "Set `serverTLSBootstrap: true` and approve kubelet serving CSRs (then start the API \
              server with `--kubelet-certificate-authority`), or give the kubelet a CA-signed \
              certificate with `tlsCertFile` and `tlsPrivateKeyFile`.",
        references: &[("cis", "4.2.9"), ("kubescape", "C-0181")],
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
    let cert = Setting::of(o, &["tlsCertFile"]);
    let key = Setting::of(o, &["tlsPrivateKeyFile"]);
    let boot = Setting::of(o, &["serverTLSBootstrap"]);
    let set = |s: &Setting<'_>| -> Result<bool, String> {
        match s.resolved() {
            Resolved::Set(n) => {
                Ok(n.as_str().is_some_and(|v| !v.trim().is_empty()) || n.as_bool() == Some(true))
            }
            Resolved::Default => Ok(false),
            Resolved::Undetermined(r) => Err(r.to_string()),
        }
    };
    match (set(&cert), set(&key), set(&boot)) {
        (_, _, Ok(true)) | (Ok(true), Ok(true), _) => {}
        (Ok(c), Ok(k), Ok(false)) => {
            let what = match (c, k) {
                (false, false) => "neither tlsCertFile nor tlsPrivateKeyFile",
                (true, false) => "tlsCertFile without tlsPrivateKeyFile",
                _ => "tlsPrivateKeyFile without tlsCertFile",
            };
            report(
                out,
                &cert,
                KubeletCheck::TlsCert,
                format!(
                    "{} sets {what} and not serverTLSBootstrap: it serves a self-signed certificate",
                    describe(o)
                ),
            );
        }
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => undetermined(
            out,
            &cert,
            KubeletCheck::TlsCert,
            "the serving certificate",
            &r,
        ),
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
        assert_eq!(run(&RULE, &file("")).len(), 1);
        assert!(run(&RULE, &file("serverTLSBootstrap: true\n")).is_empty());
        assert!(
            run(
                &RULE,
                &file("tlsCertFile: /a.crt\ntlsPrivateKeyFile: /a.key\n")
            )
            .is_empty()
        );
        let f = run(&RULE, &file("tlsCertFile: /a.crt\n"));
        assert!(f[0].message.contains("without tlsPrivateKeyFile"));
        assert!(
            run(
                &RULE,
                &node(
                    "tlsCertFile: /a.crt\ntlsPrivateKeyFile: /a.key\nserverTLSBootstrap: false\n",
                    &[("/tlsCertFile", "flag --tls-cert-file=/a.crt (u)")],
                    Some("")
                )
            )
            .is_empty()
        );
        assert_eq!(
            run(&RULE, &configz("serverTLSBootstrap: false\n", "v1.33.0")).len(),
            1
        );
        assert_eq!(run(&RULE, &undetermined(""))[0].status, Status::Unknown);
    }
}
