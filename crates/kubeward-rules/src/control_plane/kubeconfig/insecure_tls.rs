//! KW-KCFG-002: TLS verification switched off.

use super::{entries, is_kubeconfig};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets, ptr};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-KCFG-002",
        name: "kubeconfig-insecure-skip-tls-verify",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "kubeconfig does not verify the API server's certificate",
        why: "`insecure-skip-tls-verify: true` makes kubectl talk to whoever answers at the \
              server address. Anyone on the network path (a rogue Wi-Fi, a poisoned DNS entry) \
              impersonates the API server and collects the bearer token or client session that \
              follows.",
        fix: "Remove `insecure-skip-tls-verify` and set `certificate-authority-data` (or \
              `certificate-authority`) to the cluster's CA.",
        references: &[
            ("mitre", "T1557"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/",
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
    for (i, name, cluster) in entries(o, "clusters", "cluster") {
        if cluster.bool_at("insecure-skip-tls-verify") == Some(true) {
            out.report(
                o,
                ptr!("/clusters", i, "cluster", "insecure-skip-tls-verify"),
                format!("cluster `{name}` skips TLS verification"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn skip_verify() {
        let y = "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster: {server: 'https://a:6443', insecure-skip-tls-verify: true}\n- name: b\n  cluster: {server: 'https://b:6443', insecure-skip-tls-verify: false}\n";
        assert_eq!(
            pointers(&run(&RULE, y)),
            vec!["/clusters/0/cluster/insecure-skip-tls-verify"]
        );
    }
}
