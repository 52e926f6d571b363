//! KW-KCFG-003: API server reached over plain HTTP.

use super::{entries, is_kubeconfig};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets, ptr};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-KCFG-003",
        name: "kubeconfig-plain-http",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "kubeconfig reaches the API server over plain HTTP",
        why: "An `http://` server address sends every request, and the credentials with it, in \
              clear text. An API server that answers plain HTTP on a non-loopback address is \
              usually an unauthenticated insecure port or a proxy (`kubectl proxy`) that adds \
              its own credentials.",
        fix: "Use the API server's `https://` address with its CA in \
              `certificate-authority-data`.",
        references: &[("mitre", "T1040"), ("kubescape", "C-0005")],
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
        let Some(server) = cluster.str_at("server") else {
            continue;
        };
        if server.to_ascii_lowercase().starts_with("http://") {
            let host = server["http://".len()..]
                .split(['/', ':'])
                .next()
                .unwrap_or("");
            let local = host == "localhost" || host.starts_with("127.") || host == "[::1]";
            let f = out.report(
                o,
                ptr!("/clusters", i, "cluster", "server"),
                format!("cluster `{name}` uses plain http ({server})"),
            );
            if local {
                // Loopback (`kubectl proxy`) never leaves the machine.
                f.severity(Severity::Low);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::Severity;
    use kubeward_core::testing::run;

    #[test]
    fn http() {
        let y = "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster: {server: 'http://10.0.0.1:8080'}\n- name: p\n  cluster: {server: 'http://127.0.0.1:8001'}\n- name: s\n  cluster: {server: 'https://10.0.0.1:6443'}\n";
        let h = run(&RULE, y);
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].severity, Severity::High);
        assert_eq!(h[1].severity, Severity::Low);
    }
}
