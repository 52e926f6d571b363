//! Table tests of the role-level fallback (issue 11 §1): roles that grant a catalogue
//! capability are reported on the role when no binding grants them, and only then.

use super::rules::*;
use kubeward_core::testing::{pointers, run};
use kubeward_core::{Rule, Severity};

fn cr(name: &str, labels: &str, rules: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: {name}, labels: {{{labels}}}}}\nrules: {rules}\n---\n"
    )
}
fn role(ns: &str, name: &str, rules: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: {name}, namespace: {ns}}}\nrules: {rules}\n---\n"
    )
}
fn rb(ns: &str, kind: &str, role: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b, namespace: {ns}}}\n\
         roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: {role}}}\nsubjects: [{{kind: User, name: alice}}]\n---\n"
    )
}
fn g(verbs: &str, res: &str) -> String {
    format!("[{{apiGroups: [\"\"], resources: [{res}], verbs: [{verbs}]}}]")
}
/// (rule, case, yaml, findings, severity of the first, fragment of its pointer and message)
type Case = (
    &'static Rule,
    &'static str,
    String,
    usize,
    Option<Severity>,
    &'static str,
);

const AGG_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit: 'true'";

#[test]
fn unbound_roles_are_reported_on_the_role_one_step_lower() {
    #[rustfmt::skip]
    let table: Vec<Case> = vec![
        (&READ_SECRETS, "unbound ClusterRole", cr("r", "", &g("get", "secrets")), 1, Some(Severity::Medium), "not bound in the scanned input"),
        (&READ_SECRETS, "unbound Role in kube-system: one step up, one down", role("kube-system", "r", &g("list", "secrets")), 1, Some(Severity::High), "in namespace kube-system"),
        (&READ_SECRETS, "named secrets only", role("shop", "r", "[{apiGroups: [''], resources: [secrets], resourceNames: [db], verbs: [get]}]"), 1, Some(Severity::Low), "only objects named db"),
        (&READ_SECRETS, "bound role: the subject finding only", role("shop", "r", &g("get", "secrets")) + &rb("shop", "Role", "r"), 1, Some(Severity::High), "User alice"),
        (&READ_SECRETS, "no such grant", cr("r", "", &g("get", "configmaps")), 0, None, ""),
        (&EXEC, "unbound exec", role("shop", "r", &g("create", "pods/exec")), 1, Some(Severity::Medium), "/rules/0"),
        (&ESCALATE, "both clauses in one unbound role", cr("r", "", "[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}, {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [update]}]"), 1, Some(Severity::High), "rules[1]"),
        (&ESCALATE, "one clause only", cr("r", "", "[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}]"), 0, None, ""),
        (&NODES_PROXY, "bound in a namespace, where nodes/proxy grants nothing: not reported as unbound", cr("r", "", &g("get", "nodes/proxy")) + &rb("shop", "ClusterRole", "r"), 0, None, ""),
        (&NODES_PROXY, "unbound ClusterRole", cr("r", "", &g("get", "nodes/proxy")), 1, Some(Severity::High), "ClusterRoleBinding"),
        (&FULL_WILDCARD, "unbound Role with every write verb on *", role("shop", "r", "[{apiGroups: ['*'], resources: ['*'], verbs: [create, update, patch, delete, deletecollection]}]"), 1, Some(Severity::Medium), "not bound"),
        (&KUBE_SYSTEM_CONFIGMAPS, "unbound ClusterRole: where it is bound decides", cr("r", "", &g("update", "configmaps")), 0, None, ""),
        (&COREDNS_CONFIG, "unbound Role in kube-system", role("kube-system", "r", &g("patch", "configmaps")), 1, Some(Severity::Medium), "coredns"),
        (&DELETE_EVENTS, "new rules fall back too", role("shop", "r", &g("delete", "events")), 1, Some(Severity::Low), "not bound"),
        // Aggregated into the default roles: bound to whoever holds them, full severity.
        (&READ_SECRETS, "aggregated into edit", cr("r", AGG_EDIT, &g("get", "secrets")), 1, Some(Severity::High), "aggregated into ClusterRole edit (label rbac.authorization.k8s.io/aggregate-to-edit: \"true\"), so everyone who holds edit or admin gets it"),
        (&READ_SECRETS, "aggregated into edit and edit bound: the subject finding", cr("r", AGG_EDIT, &g("get", "secrets")) + &rb("shop", "ClusterRole", "edit"), 1, Some(Severity::High), "User alice"),
        (&READ_SECRETS, "a label not 'true' is no aggregation", cr("r", "rbac.authorization.k8s.io/aggregate-to-edit: 'false'", &g("get", "secrets")), 1, Some(Severity::Medium), "not bound"),
    ];
    let mut failures = Vec::new();
    for (rule, name, yaml, want, sev, frag) in &table {
        let h = run(rule, yaml);
        if h.len() != *want {
            failures.push(format!(
                "{} / {name}: {} hits, want {want}: {h:#?}",
                rule.meta.id,
                h.len()
            ));
            continue;
        }
        let Some(first) = h.first() else { continue };
        if Some(first.severity) != *sev {
            failures.push(format!(
                "{} / {name}: severity {:?}, want {sev:?}",
                rule.meta.id, first.severity
            ));
        }
        let text = format!("{} {}", first.pointer, first.message);
        if !text.contains(frag) {
            failures.push(format!(
                "{} / {name}: {text:?} lacks {frag:?}",
                rule.meta.id
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_rule_is_reported_once_per_role_and_capability() {
    // Bound: subject findings only, none on the role; unbound: one on the role.
    let r = role(
        "shop",
        "r",
        "[{apiGroups: [''], resources: [secrets], verbs: [get, list]}, {apiGroups: [''], resources: [secrets], verbs: [watch]}]",
    );
    let bound = run(&READ_SECRETS, &(r.clone() + &rb("shop", "Role", "r")));
    assert_eq!(bound.len(), 1);
    assert!(
        !bound[0].message.contains("not bound"),
        "{}",
        bound[0].message
    );
    let unbound = run(&READ_SECRETS, &r);
    assert_eq!(pointers(&unbound), vec!["/rules/0"]);
    // The unbound full wildcard is KW-RBAC-002's, not also KW-RBAC-003's.
    let y = cr(
        "r",
        "",
        "[{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]",
    );
    assert_eq!(run(&FULL_WILDCARD, &y).len(), 1);
    assert_eq!(run(&WILDCARD_RULE, &y).len(), 0);
}

#[test]
fn every_capability_rule_explains_the_fallback() {
    for &r in RULES {
        let n: u32 = r.meta.id[8..].parse().expect("KW-RBAC-NNN");
        let cap_rule = ((2..=26).contains(&n) && n != 3 && n != 24) || (37..=42).contains(&n);
        assert_eq!(
            r.meta.why.contains("not bound in the scanned input"),
            cap_rule,
            "{}",
            r.meta.id
        );
    }
}
