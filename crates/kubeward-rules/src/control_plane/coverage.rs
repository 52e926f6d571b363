//! KW-CP-001: parts of a cluster the scan could not read.

use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity, Status};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-001",
        name: "cluster-coverage",
        layer: Layer::ControlPlane,
        severity: Severity::Medium,
        title: "Part of the cluster could not be read",
        why: "A resource the scanner's credentials may not list is a blind spot: every rule that \
              needs those objects stays silent about them. kubeward says so once per resource \
              instead of reporting a clean result it cannot vouch for.",
        fix: "Grant the scanner `get` and `list` on the resource (deploy/scanner-rbac.yaml is the \
              minimal read-only ClusterRole), or accept the gap knowingly.",
        references: &[(
            "docs",
            "https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
        )],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    for (_, info) in ctx.inventory.clusters() {
        for g in &info.gaps {
            let group = if g.group.is_empty() {
                "the core group".to_string()
            } else {
                format!("group {}", g.group)
            };
            let scope = match &g.namespace {
                Some(ns) => format!(" in namespace {ns}"),
                None => String::new(),
            };
            out.report_global(format!(
                "cluster `{}`: {} {}{scope} could not be read ({}): objects of kind {} were not \
                 checked; the scanner needs `{}` on `{}` in {group}",
                info.context, g.verb, g.resource, g.reason, g.kind, g.verb, g.resource
            ))
            .status(Status::Unknown);
        }
    }
}
