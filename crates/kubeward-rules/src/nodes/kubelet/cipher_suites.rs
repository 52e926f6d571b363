//! KW-NODE-113: the kubelet accepts weak TLS cipher suites.

use super::{Resolved, Setting, describe, is_kubelet_config, report, undetermined};
use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-113",
        name: "kubelet-tls-cipher-suites",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "kubelet accepts weak or unrestricted TLS cipher suites",
        why: "Without `tlsCipherSuites` the kubelet accepts Go's default list for TLS 1.2, which \
              still includes CBC-mode and RSA key-exchange suites; suites without forward \
              secrecy let a recorded session be decrypted once the key leaks.",
        fix: "Set `tlsCipherSuites` to AEAD suites with forward secrecy: \
              TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, \
              TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, \
              TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, \
              TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 (TLS 1.3 suites are not configurable \
              and always strong), or set `tlsMinVersion: VersionTLS13`.",
        references: &[("cis", "4.2.12"), ("kubescape", "C-0184")],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["KubeletConfiguration"]),
        run: check,
    },
};

/// Whether a suite is an AEAD suite with forward secrecy (ECDHE with GCM or ChaCha20), or a
/// TLS 1.3 suite.
fn strong(suite: &str) -> bool {
    let s = suite.trim();
    (s.starts_with("TLS_ECDHE_") && (s.contains("_GCM_") || s.contains("CHACHA20_POLY1305")))
        || matches!(
            s,
            "TLS_AES_128_GCM_SHA256" | "TLS_AES_256_GCM_SHA384" | "TLS_CHACHA20_POLY1305_SHA256"
        )
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if !is_kubelet_config(o) {
        return;
    }
    let min = Setting::of(o, &["tlsMinVersion"]);
    if let Resolved::Set(n) = min.resolved() {
        if n.as_str() == Some("VersionTLS13") {
            return;
        }
    }
    let s = Setting::of(o, &["tlsCipherSuites"]);
    match s.resolved() {
        Resolved::Set(n) => {
            let suites: Vec<&str> = match n.as_seq() {
                Some(seq) => seq.iter().filter_map(|x| x.as_str()).collect(),
                None => n
                    .as_str()
                    .map(|v| v.split(',').collect())
                    .unwrap_or_default(),
            };
            let weak: Vec<&str> = suites.iter().copied().filter(|x| !strong(x)).collect();
            if suites.is_empty() {
                report(
                    out,
                    &s,
                    KubeletCheck::CipherSuites,
                    format!(
                        "{} sets an empty tlsCipherSuites: Go's default suites apply{}",
                        describe(o),
                        s.from()
                    ),
                )
                .severity(Severity::Low);
            } else if !weak.is_empty() {
                report(
                    out,
                    &s,
                    KubeletCheck::CipherSuites,
                    format!(
                        "{} accepts weak cipher suites: {}{}",
                        describe(o),
                        weak.join(", "),
                        s.from()
                    ),
                );
            }
        }
        Resolved::Default => {
            report(
                out,
                &s,
                KubeletCheck::CipherSuites,
                format!(
                    "{} does not restrict tlsCipherSuites: Go's default suites for TLS 1.2 apply, \
                     including CBC and non-forward-secret ones",
                    describe(o)
                ),
            )
            .severity(Severity::Low);
        }
        Resolved::Undetermined(r) => undetermined(
            out,
            &s,
            KubeletCheck::CipherSuites,
            "the TLS cipher suites",
            r,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::RULE;
    use kubeward_core::Severity;
    use kubeward_core::testing::run;

    #[test]
    fn file_flags_defaults_and_configz() {
        let f = run(&RULE, &file(""));
        assert_eq!(f[0].severity, Severity::Low);
        assert!(
            run(
                &RULE,
                &file("tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]\n")
            )
            .is_empty()
        );
        let f = run(
            &RULE,
            &file(
                "tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA]\n",
            ),
        );
        assert!(f[0].message.contains("TLS_RSA_WITH_AES_128_CBC_SHA"));
        assert!(!f[0].message.contains("ECDHE"));
        assert!(run(&RULE, &file("tlsMinVersion: VersionTLS13\n")).is_empty());
        let f = run(
            &RULE,
            &node(
                "tlsCipherSuites: [TLS_RSA_WITH_3DES_EDE_CBC_SHA]\n",
                &[(
                    "/tlsCipherSuites",
                    "flag --tls-cipher-suites=TLS_RSA_WITH_3DES_EDE_CBC_SHA (u)",
                )],
                Some(""),
            ),
        );
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(
            run(&RULE, &configz("tlsCipherSuites: []\n", "v1.33.0")).len(),
            1
        );
    }
}
