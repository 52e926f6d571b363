//! Binding-level weaknesses: KW-RBAC-027 (anonymous), 028 (all authenticated), 029 (missing
//! role).

use super::GOOD_PRACTICES;
use super::common::{input_bindings, risky_role, role_ref, role_text, scope_text};
use crate::rbac::analysis::Analysis;
use crate::rbac::authz::{ANONYMOUS, AUTHENTICATED, SERVICEACCOUNTS, UNAUTHENTICATED};
use crate::rbac::model::{Binding, BindingKind, Origin, Principal, Subject};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static ANONYMOUS_BINDING: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-027",
        name: "anonymous-binding",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Binding grants permissions to anonymous or unauthenticated users",
        why: "A subject `system:anonymous` or `system:unauthenticated` gives the role to anyone who can \
              reach the API server, with no credential at all (when anonymous authentication is on, the \
              default).",
        fix: "Remove the subject. Public endpoints that must stay open (health, version) are already \
              granted by the default system:public-info-viewer binding.",
        references: &[
            ("kubescape", "C-0262"),
            ("mitre", "T1078.001"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_anonymous),
};

pub static ALL_AUTHENTICATED_BINDING: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-028",
        name: "all-authenticated-binding",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Binding grants permissions to every authenticated user or service account",
        why: "`system:authenticated` is every user and every service account of every pod; \
              `system:serviceaccounts` is every service account, `system:serviceaccounts:<ns>` every one \
              of a namespace. A token stolen from any pod then carries the role.",
        fix: "Bind the role to the users, groups or service accounts that need it.",
        references: &[("mitre", "T1078"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(check_all_authenticated),
};

pub static MISSING_ROLE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-029",
        name: "binding-to-missing-role",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Binding refers to a role that exists nowhere",
        why: "The role is neither in the input nor one of the default roles of a cluster. The binding \
              grants nothing today, but whoever creates a role of that name later grants it to these \
              subjects at once, without touching the binding.",
        fix: "Delete the binding, or fix its roleRef.",
        references: &[GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(check_missing_role),
};

fn check_anonymous(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    for (_, b, id) in input_bindings(m) {
        for s in &b.subjects {
            let anon = matches!(&s.principal, Some(Principal::User(u)) if u == ANONYMOUS)
                || matches!(&s.principal, Some(Principal::Group(g)) if g == UNAUTHENTICATED);
            if !anon {
                continue;
            }
            let (message, risky) =
                broad_grant(&a, b, s, "anyone who can reach the API server".into());
            let f = out.report(
                ctx.inventory.object(id),
                format!("/subjects/{}", s.index),
                message,
            );
            f.key(s.name.to_string());
            if risky {
                f.severity(Severity::Critical);
            }
            if let Some(r) = b.role {
                if let Origin::Inventory(rid) = m.role(r).origin {
                    f.related(rid, "/rules", format!("{} grants", m.role(r).display()));
                }
            }
        }
    }
}

fn check_all_authenticated(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    for (_, b, id) in input_bindings(m) {
        for s in &b.subjects {
            let Some(Principal::Group(g)) = &s.principal else {
                continue;
            };
            let who = if g == AUTHENTICATED {
                "every authenticated user and every service account in the cluster".to_string()
            } else if g == SERVICEACCOUNTS {
                "every service account in the cluster".to_string()
            } else if let Some(ns) = g.strip_prefix("system:serviceaccounts:") {
                format!("every service account of namespace {ns}")
            } else {
                continue;
            };
            let (message, risky) = broad_grant(&a, b, s, who);
            let f = out.report(
                ctx.inventory.object(id),
                format!("/subjects/{}", s.index),
                message,
            );
            f.key(g.to_string());
            if risky {
                f.severity(Severity::High);
            }
        }
    }
}

/// The message of a binding that grants its role to a broad group (`who`), and whether the
/// role holds dangerous permissions (the callers raise the severity for it).
fn broad_grant(a: &Analysis, b: &Binding, s: &Subject, who: String) -> (String, bool) {
    let m = &a.model;
    let role = match b.role {
        Some(r) => role_text(m, r),
        None => format!("{} {} (missing)", b.role_kind, b.role_name),
    };
    let risky = risky_role(a, b);
    let message = format!(
        "{} → {} → {role}: {who} gets this role {}{}",
        s.display(),
        b.display(),
        scope_text(b.scope()),
        if risky {
            ", and it includes dangerous permissions"
        } else {
            ""
        }
    );
    (message, risky)
}

fn check_missing_role(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    for (_, b, id) in input_bindings(m) {
        if b.role.is_some() || !(b.role_kind == "ClusterRole" || b.role_kind == "Role") {
            continue;
        }
        if b.kind == BindingKind::ClusterRoleBinding && b.role_kind == "Role" {
            continue; // rejected: KW-RBAC-034
        }
        let subjects: Vec<String> = b.subjects.iter().map(|s| s.display()).collect();
        let where_ = role_ref(b).to_string();
        out.report(
            ctx.inventory.object(id),
            "/roleRef/name",
            format!(
                "{} refers to {where_}, which is neither in the input nor a kubeadm default; whoever creates it later grants it to {}",
                b.display(),
                if subjects.is_empty() { "nobody (no subjects)".into() } else { subjects.join(", ") }
            ),
        );
    }
}
