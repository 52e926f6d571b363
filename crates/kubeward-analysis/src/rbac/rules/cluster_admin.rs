//! KW-RBAC-001: subjects bound to cluster-admin outside the allow-list.

use super::GOOD_PRACTICES;
use super::common::{input_bindings, role_text};
use crate::rbac::analysis::Analysis;
use crate::rbac::model::{BindingKind, Origin, Principal};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static CLUSTER_ADMIN_BINDING: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-001",
        name: "cluster-admin-binding",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Subject bound to cluster-admin outside the allow-list",
        why: "cluster-admin is every permission on every resource, including ones added later, plus every \
              non-resource URL. A ClusterRoleBinding to it makes the subject the owner of the cluster; a \
              RoleBinding to it makes the subject admin of the namespace, secrets included. A stolen \
              token or credential of such a subject is a full takeover.",
        fix: "Bind a role with only the permissions the subject needs (a namespace RoleBinding to `edit` or \
              `view`, or a purpose-built role). If the subject really needs it, add it to \
              `settings.cluster_admin_allowed` (`user:NAME`, `group:NAME`, `sa:NS/NAME`) in .kubeward.yaml.",
        references: &[
            ("cis", "5.1.1"),
            ("kubescape", "C-0035"),
            ("mitre", "T1078"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_cluster_admin),
};

fn allowed_admin(settings: &[String], p: &Principal) -> bool {
    let spec = p.spec();
    settings.iter().any(|a| {
        let a = a.trim();
        a == spec
            || a.strip_prefix("serviceaccount:").map(|x| format!("sa:{x}")) == Some(spec.clone())
            || a.strip_prefix("sa:")
                .map(|x| x.replacen(':', "/", 1))
                .map(|x| format!("sa:{x}"))
                == Some(spec.clone())
    })
}

fn check_cluster_admin(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    for (_, b, id) in input_bindings(m) {
        if b.role_kind != "ClusterRole" || b.role_name != "cluster-admin" {
            continue;
        }
        for s in &b.subjects {
            let Some(p) = &s.principal else { continue };
            if allowed_admin(&ctx.settings.cluster_admin_allowed, p) {
                continue;
            }
            let (what, sev) = match b.kind {
                BindingKind::ClusterRoleBinding => {
                    ("owns the cluster".to_string(), Severity::Critical)
                }
                BindingKind::RoleBinding => (
                    format!(
                        "is admin of namespace {}, secrets and RBAC included",
                        b.namespace.as_deref().unwrap_or("")
                    ),
                    Severity::High,
                ),
            };
            let role = b
                .role
                .map(|r| role_text(m, r))
                .unwrap_or_else(|| "ClusterRole cluster-admin".into());
            let f = out.report(
                ctx.inventory.object(id),
                format!("/subjects/{}", s.index),
                format!(
                    "{} {what}: {} → {} → {role} (`*` on everything); not in settings.cluster_admin_allowed",
                    p.display(),
                    s.display(),
                    b.display()
                ),
            );
            f.severity(sev).key(p.spec());
            if let Some(r) = b.role {
                if let Origin::Inventory(rid) = m.role(r).origin {
                    f.related(rid, "/rules", "the cluster-admin ClusterRole in the input");
                }
            }
        }
    }
}
