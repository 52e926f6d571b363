//! KW-KCFG-004: kubeconfig readable by others or owned by someone else.

use super::{entries, is_kubeconfig};
use kubeward_core::inventory::SourceKind;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Status, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-KCFG-004",
        name: "kubeconfig-file-permissions",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "kubeconfig file is readable by others or owned by another user",
        why: "A kubeconfig is a credential. Mode bits wider than 0600 let other local users (and \
              any process running as them, such as a compromised build job) read it; a file \
              owned by another user can be rewritten by that user to point your kubectl at a \
              server of their choosing.",
        fix: "`chmod 600` the file and `chown` it to the user who runs kubectl.",
        references: &[("cis", "1.1.13"), ("cis", "4.1.5"), ("mitre", "T1552.001")],
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
    let source = ctx.inventory.source(o.source);
    let Some(meta) = ctx.inventory.file_meta(o.source) else {
        let how = match source.kind {
            SourceKind::Stdin => "it was read from standard input",
            SourceKind::Kustomize => "it came out of `kubectl kustomize`",
            _ => "its file permissions were not available",
        };
        out.report(
            o,
            "",
            format!("cannot check the file mode of {}: {how}", source.name),
        )
        .status(Status::Unknown);
        return;
    };
    if let Some(mode) = meta.mode {
        let who = |bits: u32| {
            if mode & bits & 0o007 != 0 {
                "every local user"
            } else {
                "the file's group"
            }
        };
        if mode & 0o022 != 0 {
            // Whoever can write it can point kubectl (or the API server) at their own server.
            out.report(
                o,
                "",
                format!(
                    "{} has mode {:04o}: {} can rewrite it (want 0600 or stricter)",
                    source.name,
                    mode & 0o7777,
                    who(0o022)
                ),
            );
        } else if mode & 0o044 != 0 {
            // Server addresses and CA paths are not secrets: a kubeconfig whose users hold no
            // credential of their own (the API server's webhook configurations, templates)
            // may be readable.
            if let Some(what) = inline_credential(o) {
                out.report(
                    o,
                    "",
                    format!(
                        "{} has mode {:04o}: {} can read it, and with it {what} \
                         (want 0600 or stricter)",
                        source.name,
                        mode & 0o7777,
                        who(0o044)
                    ),
                );
            }
        }
    }
    if let (Some(owner), Some(reader)) = (meta.owner_uid, meta.reader_uid) {
        if owner != reader {
            out.report(
                o,
                "",
                format!(
                    "{} is owned by uid {owner}, not by the user reading it (uid {reader})",
                    source.name
                ),
            )
            .severity(Severity::Medium);
        }
    }
}

/// The first credential held in the file itself (not a path to one), described.
fn inline_credential(o: &kubeward_core::Object) -> Option<String> {
    const HELD: &[(&str, &str)] = &[
        ("token", "a bearer token"),
        ("client-key-data", "a client private key"),
        ("password", "a password"),
        (
            "auth-provider",
            "an auth-provider configuration (often refresh tokens)",
        ),
    ];
    entries(o, "users", "user").find_map(|(_, name, user)| {
        HELD.iter()
            .find(|(field, _)| user.get(field).is_some_and(|n| !n.is_null()))
            .map(|(_, what)| format!("user `{name}`'s {what}"))
    })
}

#[cfg(test)]
mod tests {
    use super::super::harness::run_with_meta;
    use super::RULE;
    use kubeward_core::Status;
    use kubeward_core::inventory::FileMeta;

    const KC: &str = "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: t\n";
    const NO_CREDENTIAL: &str =
        "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    client-key: /etc/k.pem\n";

    #[test]
    fn modes_and_owner() {
        let f = run_with_meta(
            &RULE,
            KC,
            Some(FileMeta {
                mode: Some(0o644),
                owner_uid: Some(1000),
                reader_uid: Some(1000),
            }),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("0644") && f[0].message.contains("every local user"));
        assert!(f[0].message.contains("bearer token"), "{}", f[0].message);
        let meta = |mode| {
            Some(FileMeta {
                mode: Some(mode),
                owner_uid: Some(1000),
                reader_uid: Some(1000),
            })
        };
        // Readable, but it holds only paths and addresses: nothing to steal.
        assert!(run_with_meta(&RULE, NO_CREDENTIAL, meta(0o644)).is_empty());
        // Writable by the group: it can be pointed elsewhere, credential or not.
        let f = run_with_meta(&RULE, NO_CREDENTIAL, meta(0o664));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("the file's group can rewrite it"),
            "{}",
            f[0].message
        );
        let f = run_with_meta(
            &RULE,
            KC,
            Some(FileMeta {
                mode: Some(0o600),
                owner_uid: Some(0),
                reader_uid: Some(1000),
            }),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("uid 0"));
        assert!(
            run_with_meta(
                &RULE,
                KC,
                Some(FileMeta {
                    mode: Some(0o600),
                    owner_uid: Some(1000),
                    reader_uid: Some(1000)
                })
            )
            .is_empty()
        );
        let f = run_with_meta(&RULE, KC, None);
        assert_eq!(f[0].status, Status::Unknown);
    }
}
