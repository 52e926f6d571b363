//! KW-CP-012: etcd client TLS (API server → etcd, and the etcd server's client port).

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-012",
        name: "etcd-client-tls",
        layer: Layer::ControlPlane,
        severity: Severity::Critical,
        title: "etcd's client port is not protected by mutual TLS",
        why: "etcd holds every object of the cluster, Secrets included. If etcd does not require \
              client certificates from a dedicated CA (or hands out self-signed ones with \
              `--auto-tls`), anyone who reaches port 2379 reads and rewrites the whole cluster, \
              bypassing authentication, RBAC and admission. The API server must present a client \
              certificate and verify etcd's.",
        fix: "etcd: `--cert-file`, `--key-file`, `--client-cert-auth=true`, `--trusted-ca-file` \
              (a CA used only for etcd), no `--auto-tls`. kube-apiserver: `--etcd-certfile`, \
              `--etcd-keyfile`, `--etcd-cafile`, and `https://` in `--etcd-servers`.",
        references: &[
            ("cis", "2.1"),
            ("cis", "2.2"),
            ("cis", "2.3"),
            ("cis", "2.7"),
            ("kubescape", "C-0153"),
            ("kubescape", "C-0154"),
            ("kubescape", "C-0155"),
            ("kubescape", "C-0140"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_each(ctx, out, Kind::ApiServer, |c, out| {
        if c.style == crate::support::components::Style::K3s {
            // k3s talks to its datastore (kine/sqlite or embedded etcd) itself.
            return;
        }
        let missing: Vec<&str> = ["etcd-certfile", "etcd-keyfile", "etcd-cafile"]
            .into_iter()
            .filter(|f| !c.is_set(f))
            .collect();
        if !missing.is_empty() {
            out.report(
                c.object,
                c.ptr(missing[0]),
                format!(
                    "{} does not set {} for its connection to etcd",
                    c.describe(),
                    missing
                        .iter()
                        .map(|m| format!("--{m}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if let Some(servers) = c.value("etcd-servers") {
            if servers.split(',').any(|s| s.trim().starts_with("http://")) {
                out.report(
                    c.object,
                    c.ptr("etcd-servers"),
                    format!("{} talks to etcd over plain http ({servers})", c.describe()),
                );
            }
        }
    });
    check_each(ctx, out, Kind::Etcd, |c, out| {
        let missing: Vec<&str> = ["cert-file", "key-file", "trusted-ca-file"]
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
        if !c.is_true("client-cert-auth") {
            out.report(
                c.object,
                c.ptr("client-cert-auth"),
                format!(
                    "{} does not set --client-cert-auth=true, so any client may connect",
                    c.describe()
                ),
            );
        }
        if c.is_true("auto-tls") {
            out.report(
                c.object,
                c.ptr("auto-tls"),
                format!(
                    "{} sets --auto-tls (self-signed certificates)",
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
    fn etcd_server_and_apiserver_side() {
        let good = [
            "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
            "--key-file=/etc/kubernetes/pki/etcd/server.key",
            "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
            "--client-cert-auth=true",
        ];
        assert!(run(&RULE, &kubeadm("etcd", &good)).is_empty());
        let h = run(
            &RULE,
            &rke2(
                "etcd",
                &["--cert-file=/c", "--key-file=/k", "--auto-tls=true"],
            ),
        );
        assert_eq!(h.len(), 3, "{h:?}");
        let h = run(
            &RULE,
            &kubeadm("kube-apiserver", &["--etcd-servers=http://127.0.0.1:2379"]),
        );
        assert_eq!(h.len(), 2);
        assert!(
            run(
                &RULE,
                &kubeadm(
                    "kube-apiserver",
                    &[
                        "--etcd-servers=https://127.0.0.1:2379",
                        "--etcd-certfile=/c",
                        "--etcd-keyfile=/k",
                        "--etcd-cafile=/ca"
                    ]
                )
            )
            .is_empty()
        );
        assert!(run(&RULE, &k3s(&[])).is_empty());
    }
}
