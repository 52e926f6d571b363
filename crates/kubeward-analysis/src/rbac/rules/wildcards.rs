//! KW-RBAC-002 and KW-RBAC-003: roles that grant everything, and rules with wildcards.

use super::GOOD_PRACTICES;
use super::common::{emit_capability, input_bindings};
use crate::rbac::analysis::{Analysis, Cap};
use crate::rbac::model::Origin;
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static FULL_WILDCARD: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-002",
        name: "wildcard-admin-grant",
        layer: Layer::PodToApi,
        severity: Severity::Critical,
        title: "Role grants every verb on every resource",
        why: concat!(
            "A rule with `*` verbs (or every write verb listed: create, update, patch, delete and \
             deletecollection), `*` resources and `*` API groups is cluster-admin (or namespace admin \
             through a RoleBinding) under another name: every escalation path below is open to the \
             subject, including resources that do not exist yet.",
            " Severity: critical cluster-wide and in kube-system (cluster-admin or its \
             equivalent), one step lower in any other single namespace, and one step lower \
             again when the binding only reaches its own Namespace object.",
            fallback_note!()
        ),
        fix: "List the API groups, resources and verbs the subject needs instead of `*`, and bind the role \
              only where it is needed.",
        references: &[
            ("cis", "5.1.3"),
            ("kubescape", "C-0187"),
            ("checkov", "CKV_K8S_49"),
            ("mitre", "T1078"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::FullAdmin)),
};

pub static WILDCARD_RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-003",
        name: "wildcard-rule",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Role rule uses a wildcard for verbs or resources",
        why: "`*` in verbs or resources grants everything of that kind, now and later: `resources: [\"*\"]` \
              includes secrets, `verbs: [\"*\"]` includes escalate, bind, impersonate and delete, and a new \
              CRD or subresource is granted the day it is installed. Broad `get`/`list` or \
              `create`/`delete` on `*` reads or destroys everything in scope.",
        fix: "Name the resources and verbs the subject needs. Keep wildcards to roles given to cluster \
              operators, and review each one.",
        references: &[
            ("cis", "5.1.3"),
            ("kubescape", "C-0187"),
            ("checkov", "CKV_K8S_49"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_wildcard_rule),
};

fn check_wildcard_rule(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    // Roles bound by an input binding: full wildcards there are KW-RBAC-001/002's.
    let mut bound: std::collections::HashSet<u32> = std::collections::HashSet::new();
    for (_, b, _) in input_bindings(m) {
        if let Some(r) = b.role {
            bound.insert(r);
            for e in &m.role(r).effective {
                bound.insert(e.role);
            }
        }
    }
    for (ri, role) in m.roles.iter().enumerate() {
        let Origin::Inventory(id) = role.origin else {
            continue;
        };
        if role.stock || role.selectors.is_some() {
            continue;
        }
        let is_bound = bound.contains(&(ri as u32));
        for r in &role.rules {
            let verbs = r.all_verbs();
            let res = r.all_resources();
            let urls = r.non_resource_urls.iter().any(|u| u == "*");
            if !(verbs || res || urls) {
                continue;
            }
            if r.is_full_wildcard() {
                // KW-RBAC-002's: through its subjects when bound, on the role otherwise.
                continue;
            }
            let mut what = Vec::new();
            if verbs {
                what.push("every verb");
            }
            if res {
                what.push("every resource");
            }
            if urls {
                what.push("every non-resource URL");
            }
            let broad_sensitive = res
                && [
                    "get",
                    "list",
                    "watch",
                    "create",
                    "delete",
                    "deletecollection",
                ]
                .iter()
                .any(|v| crate::rbac::authz::verb_matches(r, v));
            let f = out.report(
                ctx.inventory.object(id),
                format!("/rules/{}", r.index),
                format!(
                    "{} rules[{}] ({}) grants {}{}",
                    role.display(),
                    r.index,
                    r.describe(),
                    what.join(" and "),
                    if is_bound {
                        ""
                    } else {
                        " (not bound by any binding in the input)"
                    }
                ),
            );
            if r.is_full_wildcard() || broad_sensitive {
                f.severity(Severity::High);
            }
        }
    }
}
