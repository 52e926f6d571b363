//! KW-RBAC-033 and KW-RBAC-034: RBAC objects the API server would ignore or reject.

use crate::rbac::analysis::Analysis;
use crate::rbac::model::Origin;
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static INEFFECTIVE_RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-033",
        name: "ineffective-rbac-rule",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "RBAC rule entry grants nothing although it looks as if it did",
        why: "`pods/*` is not a wildcard (only `*` and `*/SUBRESOURCE` are), and resourceNames never \
              match create or deletecollection requests, which carry no object name. The author believes \
              something is granted (or restricted) that is not: the role is wrong either way.",
        fix: "List the subresources explicitly or use `*/SUBRESOURCE`; for create, drop resourceNames \
              (and restrict with admission policy instead).",
        references: &[(
            "docs",
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources",
        )],
        default_enabled: true,
    },
    check: Check::Inventory(check_ineffective),
};

pub static REJECTED_OBJECT: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-034",
        name: "invalid-rbac-object",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "RBAC object the API server rejects",
        why: "The API server refuses this Role, ClusterRole or binding, so applying the manifest fails, or \
              (a ServiceAccount subject without namespace in a ClusterRoleBinding) the authorizer matches \
              nobody: the intended access is not what runs.",
        fix: "Fix the field named in the finding.",
        references: &[(
            "docs",
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
        )],
        default_enabled: true,
    },
    check: Check::Inventory(check_rejected),
};

fn report_defects(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>, rejected: bool) {
    let a = Analysis::of(ctx.inventory);
    for d in a.model.defects.iter().filter(|d| d.rejected == rejected) {
        let Origin::Inventory(id) = d.origin else {
            continue;
        };
        out.report(
            ctx.inventory.object(id),
            d.pointer.clone(),
            d.message.clone(),
        );
    }
}

fn check_ineffective(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    report_defects(ctx, out, false);
}

fn check_rejected(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    report_defects(ctx, out, true);
}
