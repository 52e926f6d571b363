//! Service accounts and their tokens: KW-RBAC-030, 031, 039 and 043.

use super::GOOD_PRACTICES;
use super::common::{
    add_related, catalogue_severity, chain, emit_capability, hit_severity, input_bindings, locate,
    names_note, risky_role, role_text, scope_text, up,
};
use crate::rbac::analysis::{Analysis, Cap, Hit};
use crate::rbac::model::Principal;
use kubeward_core::{Check, Emitter, Inventory, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static DEFAULT_SA: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-030",
        name: "default-service-account-permissions",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Default service account is given permissions",
        why: "Every pod that names no service account runs as `default` of its namespace, so permissions \
              bound to it go to every such pod, present and future.",
        fix: "Create a service account per workload, bind permissions to it, and leave `default` \
              without bindings (and with automountServiceAccountToken: false).",
        references: &[("cis", "5.1.5"), ("kubescape", "C-0189"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(check_default_sa),
};

pub static WORKLOAD_TOKEN: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-031",
        name: "workload-token-power",
        layer: Layer::PodToApi,
        severity: Severity::High,
        title: "Workload's mounted token can read secrets, run pods, exec, escalate, bind or impersonate",
        why: "Anyone who gets code execution in the workload (an RCE, a malicious dependency) reads its \
              mounted service-account token and gains these permissions; when the workload is exposed \
              outside the cluster by a LoadBalancer or NodePort Service or an Ingress, that is one bug \
              away from the internet. Severity: graded as the catalogue rule for the same grant held by \
              a subject (KW-RBAC-002 to KW-RBAC-026), one step higher when the workload is exposed \
              outside the cluster.",
        fix: "Give the workload its own service account with only the permissions it uses, and set \
              `automountServiceAccountToken: false` when it does not call the API at all.",
        references: &[
            ("cis", "5.1.6"),
            ("kubescape", "C-0034"),
            ("mitre", "T1528"),
            GOOD_PRACTICES,
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_workload_tokens),
};

fn check_default_sa(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    for (_, b, id) in input_bindings(m) {
        let Some(role) = b.role else { continue };
        for s in &b.subjects {
            let Some(Principal::ServiceAccount(ns, name)) = &s.principal else {
                continue;
            };
            if name != "default" {
                continue;
            }
            let risky = risky_role(&a, b);
            let f = out.report(
                ctx.inventory.object(id),
                format!("/subjects/{}", s.index),
                format!(
                    "ServiceAccount {ns}/default → {} → {}: every pod of namespace {ns} that names no service account gets this role {}{}",
                    b.display(),
                    role_text(m, role),
                    scope_text(b.scope()),
                    if risky { ", and it includes dangerous permissions" } else { "" }
                ),
            );
            f.key(format!("{ns}/default"));
            if risky {
                f.severity(Severity::High);
            }
        }
    }
}

/// Capabilities the workload rule reports.
fn workload_cap(c: Cap) -> bool {
    matches!(
        c,
        Cap::FullAdmin
            | Cap::ReadSecrets
            | Cap::CreateWorkloads
            | Cap::Exec
            | Cap::Escalate
            | Cap::Bind
            | Cap::Impersonate
            | Cap::TokenRequest
            | Cap::NodesProxy
            | Cap::ApproveCsr
    )
}

fn check_workload_tokens(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let a = Analysis::of(ctx.inventory);
    let m = &a.model;
    let inv: &Inventory = ctx.inventory;
    // Workload → its hits, grouped in one pass (filtering every hit for every workload was
    // quadratic: 900 s of a 2.7M-object scan).
    let mut by_workload: Vec<Vec<&Hit>> = vec![Vec::new(); a.workloads.len()];
    for (i, h) in &a.workload_hits {
        if workload_cap(h.cap) {
            by_workload[*i].push(h);
        }
    }
    for (w, hits) in a.workloads.iter().zip(by_workload) {
        let obj = inv.object(w.object);
        let exposed = a.exposed.get(&w.object);
        for h in &hits {
            let Principal::ServiceAccount(sns, sname) = &h.principal else {
                continue;
            };
            let token = w
                .tokens
                .iter()
                .find(|t| t.namespace == *sns && t.service_account == *sname)
                .expect("hit for a mounted token");
            let chains: Vec<String> = h.evidence.iter().map(|e| chain(m, e)).collect();
            let mut msg = format!(
                "{} mounts the token of ServiceAccount {sns}/{sname} ({}), which can {} {}{}: {}",
                obj.display(),
                token.how,
                h.cap.what(),
                scope_text(h.scope.as_deref()),
                names_note(h),
                chains.join("; and ")
            );
            // The same grading as the subject-centric catalogue rules (KW-RBAC-004 rates a
            // grant of one named Secret as this rule does), one step up when the workload is
            // exposed outside the cluster.
            let mut sev = hit_severity(catalogue_severity(h.cap), h);
            if let Some(e) = exposed {
                // Name a few; a workload behind hundreds of Services would otherwise make
                // one message as long as a manifest.
                let how: Vec<&str> = e.iter().map(|x| x.how.as_str()).collect();
                msg.push_str(&format!(
                    "; exposed outside the cluster by {}",
                    crate::some_of(&how, 3)
                ));
                sev = up(sev);
            }
            let primary = locate(m, &h.evidence).unwrap_or((w.object, token.pointer.clone()));
            let f = out.report(inv.object(primary.0), primary.1.clone(), msg);
            f.severity(sev).key(format!(
                "{:?}|{}/{}/{}|{}|{}",
                h.cap,
                obj.kind,
                obj.namespace().unwrap_or(""),
                obj.name,
                h.principal.spec(),
                h.scope.as_deref().unwrap_or("*")
            ));
            if primary.0 != w.object {
                f.related(
                    w.object,
                    token.pointer.clone(),
                    format!("{} mounts the token", obj.display()),
                );
            }
            add_related(m, f, &h.evidence, &primary);
            if let Some(e) = exposed {
                for x in e {
                    f.related(x.by, "", format!("exposes {}", obj.display()));
                }
            }
        }
    }
}

pub static DEFAULT_SA_TOKEN: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-039",
        name: "default-service-account-token",
        layer: Layer::PodToApi,
        severity: Severity::Medium,
        title: "Subject can mint tokens for the default service account",
        why: concat!(
            "create on serviceaccounts/token for `default` (not limited by resourceNames, or limited to \
             names that include default) issues tokens of the identity that every pod naming no service \
             account runs as: a credential the subject keeps after its own access is gone, carrying \
             whatever is bound to default or to the service-account groups.",
            severity_note!(),
            fallback_note!()
        ),
        fix: "Grant serviceaccounts/token only with resourceNames naming the accounts that need it, never \
              `default`; keep `default` without permissions.",
        references: &[("cis", "5.1.13"), ("mitre", "T1528"), GOOD_PRACTICES],
        default_enabled: true,
    },
    check: Check::Inventory(|ctx, out| emit_capability(ctx, out, Cap::DefaultSaToken)),
};

pub static UNUSED_SERVICE_ACCOUNT: Rule = Rule {
    meta: RuleMeta {
        id: "KW-RBAC-043",
        name: "unused-service-account",
        layer: Layer::PodToApi,
        severity: Severity::Low,
        title: "Service account that no binding and no workload uses",
        why: "A ServiceAccount that no binding names and no workload of the input runs as is a stale \
              identity: nobody reviews it, yet tokens can still be issued for it, and a binding or a pod \
              added later quietly gives it power. `default` is left out (every namespace has one).",
        fix: "Delete the service account if nothing uses it, or add the workload or binding that does to \
              the scanned input.",
        references: &[
            ("mitre", "T1078"),
            (
                "docs",
                "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#periodic-review",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check_unused_service_account),
};

fn check_unused_service_account(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    use crate::rbac::model::Principal;
    use std::collections::HashSet;
    let a = Analysis::of(ctx.inventory);
    let used: HashSet<(&str, &str)> = a
        .workloads
        .iter()
        .map(|w| (w.namespace.as_str(), w.service_account.as_str()))
        .chain(a.workloads.iter().flat_map(|w| {
            w.tokens
                .iter()
                .map(|t| (t.namespace.as_str(), t.service_account.as_str()))
        }))
        .collect();
    for sa in ctx.inventory.of_kind("ServiceAccount") {
        if !sa.group().is_empty() || sa.name == "default" {
            continue;
        }
        let ns = sa.namespace().unwrap_or("default");
        if used.contains(&(ns, sa.name.as_str())) {
            continue;
        }
        let p = Principal::ServiceAccount(ns.into(), sa.name.clone());
        if a.model.by_principal.contains_key(&p) {
            continue;
        }
        out.report(
            sa,
            "/metadata/name",
            format!(
                "ServiceAccount {ns}/{} is named by no binding and used by no workload in the scanned input",
                sa.name
            ),
        );
    }
}
