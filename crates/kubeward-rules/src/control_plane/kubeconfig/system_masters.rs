//! KW-KCFG-006: client certificates in the system:masters group.

use super::{entries, is_kubeconfig};
use crate::support::x509;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets, ptr};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-KCFG-006",
        name: "kubeconfig-system-masters",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "kubeconfig certificate is in the system:masters group",
        why: "Members of `system:masters` bypass authorization entirely: no RBAC rule, webhook or \
              deletion of a binding can limit or revoke them. A leaked certificate with \
              `O=system:masters` is cluster-admin until it expires, often a year later.",
        fix: "Keep the system:masters certificate (kubeadm's admin.conf) offline as a break-glass \
              credential, and give people certificates or OIDC identities whose groups are bound \
              to cluster-admin (or less) through RBAC, which can be revoked. kubeadm 1.29+ \
              writes `super-admin.conf` for the former and `admin.conf` for the latter.",
        references: &[
            ("kubescape", "C-0246"),
            ("mitre", "T1078"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
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
    for (i, name, user) in entries(o, "users", "user") {
        let Some(data) = user.str_at("client-certificate-data") else {
            continue;
        };
        let Ok(certs) = x509::from_kubeconfig_data(data) else {
            continue; // KW-KCFG-005 reports certificates it cannot read.
        };
        if certs[0].organizations.iter().any(|g| g == "system:masters") {
            out.report(
                o,
                ptr!("/users", i, "user", "client-certificate-data"),
                format!(
                    "user `{name}` authenticates as {} in group system:masters",
                    certs[0].common_name.as_deref().unwrap_or("(no CN)")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::client_cert;
    use super::RULE;
    use kubeward_core::testing::run;

    #[test]
    fn masters() {
        let (admin, _) = client_cert(Some("system:masters"), "kubernetes-admin", (-1, 300));
        let (dev, _) = client_cert(Some("developers"), "jane", (-1, 300));
        let y = format!(
            "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user: {{client-certificate-data: {admin}}}\n- name: jane\n  user: {{client-certificate-data: {dev}}}\n"
        );
        let h = run(&RULE, &y);
        assert_eq!(h.len(), 1);
        assert!(h[0].message.contains("kubernetes-admin"));
    }
}
