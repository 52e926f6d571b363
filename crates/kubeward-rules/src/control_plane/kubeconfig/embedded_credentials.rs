//! KW-KCFG-001: private keys, static tokens and passwords written into a kubeconfig.

use super::{entries, is_kubeconfig};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets, ptr};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-KCFG-001",
        name: "kubeconfig-embedded-credentials",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "kubeconfig holds a private key, static token or password",
        why: "A kubeconfig with `client-key-data`, `token` or `password` is a long-lived \
              credential in a file that gets copied to laptops, CI variables, chat messages and \
              backups. Client certificates cannot be revoked before they expire, and static \
              tokens rarely expire at all.",
        fix: "Use an exec credential plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`, \
              `kubelogin`, an OIDC plugin) that fetches short-lived tokens, or keep the \
              credential in a secret store; delete embedded keys and tokens and revoke them.",
        references: &[
            ("mitre", "T1552.001"),
            ("cis", "3.1.1"),
            (
                "docs",
                "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Config"]),
        run: check,
    },
};

/// Credential fields, what they are, and whether the value is a secret itself (else a path).
const FIELDS: &[(&str, &str)] = &[
    ("client-key-data", "an embedded client private key"),
    ("token", "a static bearer token"),
    ("password", "a basic-auth password"),
    ("client-key", "a client private key file"),
    ("tokenFile", "a static token file"),
];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if !is_kubeconfig(o) {
        return;
    }
    for (i, name, user) in entries(o, "users", "user") {
        for (field, what) in FIELDS {
            if user
                .get(field)
                .and_then(|n| n.as_str())
                .is_some_and(|v| !v.is_empty())
            {
                let f = out.report(
                    o,
                    ptr!("/users", i, "user", *field),
                    format!("user `{name}` uses {what}"),
                );
                if field.ends_with("-file") || *field == "client-key" || *field == "tokenFile" {
                    // A file reference is better than embedding but still a long-lived secret.
                    f.severity(Severity::Medium);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn embedded() {
        let y = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-certificate-data: Zm9v\n    client-key-data: c2VjcmV0LWtleQ==\n- name: ci\n  user: {token: sekret-token-value}\n- name: eks\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token]}\n";
        let h = run(&RULE, y);
        assert_eq!(
            pointers(&h),
            vec!["/users/0/user/client-key-data", "/users/1/user/token"]
        );
        for hit in &h {
            assert!(!hit.message.contains("sekret") && !hit.message.contains("c2VjcmV0"));
        }
        assert!(run(&RULE, "apiVersion: v1\nkind: Config\nusers:\n- name: e\n  user: {exec: {command: kubelogin}}\n").is_empty());
    }
}
