//! KW-KCFG-007: several users or contexts share one admin credential.

use super::{entries, is_kubeconfig};
use crate::support::x509;
use kubeward_core::{
    Check, Emitter, Layer, Node, ObjectCtx, Rule, RuleMeta, Severity, Targets, ptr,
};
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-KCFG-007",
        name: "kubeconfig-shared-credential",
        layer: Layer::ControlPlane,
        severity: Severity::Medium,
        title: "Several users or contexts share one admin credential",
        why: "When several user entries carry the same key or token, or several contexts (often \
              for different clusters or people) all use one admin user, the audit log cannot \
              tell who did what, and revoking the credential for one use breaks all of them, so \
              it is never revoked.",
        fix: "Give each person and each cluster its own credential, ideally short-lived exec/OIDC \
              tokens, and keep the admin credential for break-glass use only.",
        references: &[
            ("mitre", "T1078"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["Config"]),
        run: check,
    },
};

/// An identity for the credential material of a user entry (FNV-1a of the values, never the
/// values themselves).
fn fingerprint(user: &Node) -> Option<u64> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut any = false;
    for f in [
        "client-key-data",
        "client-certificate-data",
        "token",
        "password",
    ] {
        if let Some(v) = user.str_at(f).filter(|v| !v.is_empty()) {
            any = true;
            for b in f.bytes().chain(v.bytes()).chain([0xff]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }
    any.then_some(h)
}

/// Whether a user entry is an admin credential: a system:masters certificate, or a name that
/// says admin.
fn is_admin(name: &str, user: &Node) -> bool {
    let masters = user
        .str_at("client-certificate-data")
        .and_then(|d| x509::from_kubeconfig_data(d).ok())
        .is_some_and(|c| c[0].organizations.iter().any(|g| g == "system:masters"));
    masters || name.to_ascii_lowercase().contains("admin")
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let o = ctx.object;
    if !is_kubeconfig(o) {
        return;
    }
    // Distinct user entries with the same credential.
    let mut by_fp: BTreeMap<u64, Vec<(usize, &str)>> = BTreeMap::new();
    let mut admins: Vec<&str> = Vec::new();
    for (i, name, user) in entries(o, "users", "user") {
        if let Some(fp) = fingerprint(user) {
            by_fp.entry(fp).or_default().push((i, name));
        }
        if is_admin(name, user) && user.as_map().is_some_and(|m| !m.is_empty()) {
            admins.push(name);
        }
    }
    for users in by_fp.values().filter(|u| u.len() > 1) {
        let names: Vec<String> = users.iter().map(|(_, n)| format!("`{n}`")).collect();
        for (i, name) in &users[1..] {
            out.report(
                o,
                ptr!("/users", *i, "user"),
                format!("user `{name}` carries the same credential as {}", names[0]),
            );
        }
    }
    // Several contexts using one admin user.
    let mut contexts_of: BTreeMap<&str, Vec<(usize, &str)>> = BTreeMap::new();
    for (i, name, c) in entries(o, "contexts", "context") {
        if let Some(u) = c.str_at("user") {
            contexts_of.entry(u).or_default().push((i, name));
        }
    }
    for admin in admins {
        let Some(ctxs) = contexts_of.get(admin) else {
            continue;
        };
        if ctxs.len() > 1 {
            let names: Vec<String> = ctxs.iter().map(|(_, n)| format!("`{n}`")).collect();
            out.report(
                o,
                ptr!("/contexts", ctxs[1].0, "context", "user"),
                format!(
                    "{} contexts ({}) all use the admin user `{admin}`",
                    ctxs.len(),
                    names.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn shared() {
        let y = "apiVersion: v1\nkind: Config\nusers:\n- name: alice\n  user: {token: same-token}\n- name: bob\n  user: {token: same-token}\n- name: carol\n  user: {token: other}\n- name: cluster-admin\n  user: {client-key-data: a2V5}\ncontexts:\n- name: prod\n  context: {cluster: prod, user: cluster-admin}\n- name: staging\n  context: {cluster: staging, user: cluster-admin}\n- name: dev\n  context: {cluster: dev, user: carol}\n";
        let h = run(&RULE, y);
        assert_eq!(
            pointers(&h),
            vec!["/users/1/user", "/contexts/1/context/user"]
        );
        assert!(!h[0].message.contains("same-token"));
        let y = "apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user: {token: x}\n- name: b\n  user: {token: y}\ncontexts:\n- name: one\n  context: {cluster: c, user: a}\n- name: two\n  context: {cluster: c, user: a}\n";
        assert!(run(&RULE, y).is_empty());
    }
}
