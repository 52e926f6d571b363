//! KW-KCFG-005: client certificates expired or about to expire.

use super::{entries, is_kubeconfig};
use crate::support::x509::{self, date, now};
use kubeward_core::{
    Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Status, Targets, ptr,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-KCFG-005",
        name: "kubeconfig-certificate-expiry",
        layer: Layer::ControlPlane,
        severity: Severity::Medium,
        title: "kubeconfig client certificate is expired or expiring",
        why: "An expired client certificate locks its users out at the worst moment (incident \
              response with the break-glass kubeconfig), and teams under pressure then reach for \
              longer-lived credentials. A certificate long past expiry in a kubeconfig is also a \
              sign of credentials nobody rotates.",
        fix: "Rotate the certificate before it expires (`kubeadm certs renew`, or a new CSR \
              through the certificates API) or, better, move the user to short-lived exec/OIDC \
              credentials. Warning window: `settings.cert_expiry_warning_days`.",
        references: &[
            ("cis", "3.1.1"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Config"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if !is_kubeconfig(o) {
        return;
    }
    let now = now();
    let warn = ctx.settings.cert_expiry_warning_days;
    for (i, name, user) in entries(o, "users", "user") {
        if let Some(data) = user.str_at("client-certificate-data") {
            let pointer = ptr!("/users", i, "user", "client-certificate-data");
            match x509::from_kubeconfig_data(data) {
                Ok(certs) => {
                    let c = &certs[0];
                    let days = (c.not_after - now).div_euclid(86_400);
                    if c.not_after <= now {
                        out.report(
                            o,
                            pointer,
                            format!(
                                "user `{name}`: client certificate expired on {}",
                                date(c.not_after)
                            ),
                        )
                        .severity(Severity::High);
                    } else if days < warn {
                        out.report(
                            o,
                            pointer,
                            format!(
                                "user `{name}`: client certificate expires on {} ({})",
                                date(c.not_after),
                                time_left(c.not_after - now)
                            ),
                        );
                    } else if c.not_before > now {
                        out.report(
                            o,
                            pointer,
                            format!(
                                "user `{name}`: client certificate is not valid before {}",
                                date(c.not_before)
                            ),
                        )
                        .severity(Severity::Low);
                    }
                }
                Err(e) => {
                    out.report(
                        o,
                        pointer,
                        format!("user `{name}`: client-certificate-data {e}"),
                    )
                    .status(Status::Unknown);
                }
            }
        } else if let Some(path) = user.str_at("client-certificate") {
            out.report(
                o,
                ptr!("/users", i, "user", "client-certificate"),
                format!(
                    "user `{name}`: the client certificate is in the file {path}, which rules do \
                     not read; check its expiry with `openssl x509 -enddate -noout -in {path}`"
                ),
            )
            .status(Status::Unknown)
            .severity(Severity::Low);
        }
    }
}

/// "in 23 hours", "in 5 days": whole days hide a certificate that expires tomorrow morning.
fn time_left(seconds: i64) -> String {
    let hours = seconds.div_euclid(3_600);
    if hours < 48 {
        let h = hours.max(1);
        if seconds < 3_600 {
            return "in less than an hour".to_string();
        }
        return format!("in {h} hour{}", if h == 1 { "" } else { "s" });
    }
    format!("in {} days", seconds.div_euclid(86_400))
}

#[cfg(test)]
mod tests {
    #[test]
    fn time_left_in_hours_below_two_days() {
        use super::time_left;
        assert_eq!(time_left(23 * 3_600 + 59), "in 23 hours");
        assert_eq!(time_left(3_600), "in 1 hour");
        assert_eq!(time_left(120), "in less than an hour");
        assert_eq!(time_left(47 * 3_600), "in 47 hours");
        assert_eq!(time_left(5 * 86_400 + 7), "in 5 days");
    }

    use super::super::fixtures::client_cert;
    use super::RULE;
    use kubeward_core::testing::run;
    use kubeward_core::{Severity, Status};

    fn kc(cert: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    client-certificate-data: {cert}\n"
        )
    }

    #[test]
    fn expired_expiring_valid() {
        let (expired, _) = client_cert(None, "old", (-400, -3));
        let h = run(&RULE, &kc(&expired));
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].severity, Severity::High);
        assert!(h[0].message.contains("expired on"));

        let (soon, _) = client_cert(None, "soon", (-300, 10));
        let h = run(&RULE, &kc(&soon));
        assert_eq!(h[0].severity, Severity::Medium);
        assert!(h[0].message.contains("expires on"), "{h:?}");

        let (fine, _) = client_cert(None, "fine", (-1, 300));
        assert!(run(&RULE, &kc(&fine)).is_empty());

        let h = run(&RULE, &kc("bm90IGEgY2VydA=="));
        assert_eq!(h[0].status, Status::Unknown);
    }
}
