//! KW-RBAC-035 and KW-RBAC-036: subjects with many roles, namespaces with many subjects.

use super::common::{RoleRef, input_bindings, role_ref};
use crate::rbac::analysis::Analysis;
use crate::rbac::model::{Binding, BindingKind, Principal};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static MANY_ROLES: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-035",
        name: "subject-with-many-roles",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Subject holds many roles",
        why: "A user, group or service account bound to many different roles holds the union of all of \
              them, which nobody reviews as a whole: one more binding quietly completes an escalation, \
              and a stale binding of a departed user stays in the pile. Not a hole by itself, but the \
              identities that hold the most are the first to review and to split.",
        fix: "Review what the subject needs; merge the roles it really uses into one purpose-built role, \
              and delete the bindings it no longer needs. The threshold is \
              `settings.rbac_max_roles_per_subject` (10).",
        references: &[
            ("krane", "subjects-with-many-roles"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#periodic-review",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_many_roles),
};

pub static MANY_SUBJECTS: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-036",
        name: "namespace-with-many-subjects",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Namespace is shared by many subjects",
        why: "When many users, groups and service accounts hold roles in one namespace, its secrets, pods \
              and tokens are within reach of all of them, and a compromise of any one reaches the others' \
              workloads. Such namespaces are the first to review for stale or over-broad bindings, and \
              candidates for splitting by team.",
        fix: "Review the namespace's RoleBindings, remove subjects that no longer need access, and move \
              teams with separate trust into separate namespaces. The threshold is \
              `settings.rbac_max_subjects_per_namespace` (25).",
        references: &[
            ("krane", "namespaces-with-many-subjects"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#periodic-review",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_many_subjects),
};

fn check_many_roles(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    use std::collections::{HashMap, HashSet};
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    let max = ctx.settings.rbac_max_roles_per_subject;
    // Principal → distinct roles, and each binding subject entry that names it (binding,
    // subject index).
    type Held<'a> = (HashSet<RoleRef<'a>>, Vec<(&'a Binding, u32)>);
    let mut held: HashMap<&Principal, Held<'_>> = HashMap::new();
    for (_, b, _) in input_bindings(m) {
        let role = role_ref(b);
        for s in &b.subjects {
            let Some(p) = &s.principal else { continue };
            let e = held.entry(p).or_default();
            e.0.insert(role);
            e.1.push((b, s.index));
        }
    }
    let mut over: Vec<_> = held
        .into_iter()
        .filter(|(_, (roles, _))| roles.len() > max)
        .collect();
    over.sort_by(|x, y| x.0.cmp(y.0));
    let id_of = |b: &Binding| b.origin.object_id().expect("input bindings only");
    for (p, (roles, mut entries)) in over {
        // Located at the first binding of the input that names the subject.
        entries.sort_by_key(|(b, index)| (id_of(b), *index));
        let mut roles: Vec<String> = roles.iter().map(RoleRef::to_string).collect();
        roles.sort();
        let (first, rest) = entries.split_first().expect("a principal has an entry");
        let f = out.report(
            ctx.inventory.object(id_of(first.0)),
            format!("/subjects/{}", first.1),
            format!(
                "{} holds {} different roles through {} binding{} (more than settings.rbac_max_roles_per_subject = {max}): {}",
                p.display(),
                roles.len(),
                entries.len(),
                if entries.len() == 1 { "" } else { "s" },
                crate::some_of(&roles, 12)
            ),
        );
        for (b, index) in rest {
            f.related(
                id_of(b),
                format!("/subjects/{index}"),
                format!("also bound by {}", b.display()),
            );
        }
    }
}

fn check_many_subjects(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    let max = ctx.settings.rbac_max_subjects_per_namespace;
    use std::collections::{HashMap, HashSet};
    // Namespace → distinct principals holding a role there through its RoleBindings, and the
    // bindings that added them.
    type Shared<'a> = (HashSet<&'a Principal>, Vec<kubeward_core::ObjectId>);
    let mut by_ns: HashMap<&str, Shared<'_>> = HashMap::new();
    for (_, b, id) in input_bindings(m) {
        if b.kind != BindingKind::RoleBinding {
            continue;
        }
        let Some(ns) = b.namespace.as_deref() else {
            continue;
        };
        let e = by_ns.entry(ns).or_default();
        let before = e.0.len();
        e.0.extend(b.subjects.iter().filter_map(|s| s.principal.as_ref()));
        if e.0.len() > before || e.1.is_empty() {
            e.1.push(id);
        }
    }
    let mut over: Vec<_> = by_ns
        .into_iter()
        .filter(|(_, (subjects, _))| subjects.len() > max)
        .collect();
    over.sort_by(|x, y| x.0.cmp(y.0));
    for (ns, (subjects, mut bindings)) in over {
        bindings.sort();
        let mut subjects: Vec<&Principal> = subjects.into_iter().collect();
        subjects.sort();
        let names: Vec<String> = subjects.iter().map(|p| p.display()).collect();
        let message = format!(
            "namespace {ns}: {} different subjects hold roles through its RoleBindings (more than settings.rbac_max_subjects_per_namespace = {max}): {}",
            subjects.len(),
            crate::some_of(&names, 12)
        );
        // On the Namespace object when it is in the input, else on the first binding.
        let (f, related) = match ctx.inventory.get("Namespace", None, ns) {
            Some(nso) => (out.report(nso, "/metadata/name", message), &bindings[..]),
            None => (
                out.report(ctx.inventory.object(bindings[0]), "/subjects", message),
                &bindings[1..],
            ),
        };
        for id in related {
            f.related(*id, "/subjects", "a RoleBinding that adds subjects");
        }
    }
}
