//! A generator of large, realistic RBAC inventories for benchmarks: namespaces with Roles and
//! RoleBindings, ClusterRoles (some aggregated) and ClusterRoleBindings, service accounts,
//! users and groups as subjects, and Deployments with Services. Deterministic for a seed.

use std::fmt::Write;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const RULES: &[&str] = &[
    r#"[{apiGroups: [""], resources: [pods, services, configmaps], verbs: [get, list, watch]}]"#,
    r#"[{apiGroups: [apps], resources: [deployments, replicasets], verbs: [get, list, watch, create, update, patch]}, {apiGroups: [""], resources: [pods], verbs: [get, list]}]"#,
    r#"[{apiGroups: [""], resources: [secrets], resourceNames: [app-secret], verbs: [get]}]"#,
    r#"[{apiGroups: [""], resources: [configmaps], verbs: [get, list, watch, create, update, patch, delete]}, {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}]"#,
    r#"[{apiGroups: [""], resources: [pods, pods/log], verbs: [get, list]}, {apiGroups: [""], resources: [pods/exec], verbs: [create]}]"#,
    r#"[{apiGroups: [batch], resources: [jobs, cronjobs], verbs: ["*"]}]"#,
    r#"[{apiGroups: [""], resources: [secrets], verbs: [get, list, watch]}]"#,
    r#"[{apiGroups: [networking.k8s.io], resources: [networkpolicies, ingresses], verbs: [get, list, watch, create, update, patch, delete]}]"#,
    r#"[{apiGroups: [""], resources: [events], verbs: [create, patch]}, {apiGroups: [""], resources: [endpoints], verbs: [get, list, watch]}]"#,
    r#"[{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}]"#,
];

const CLUSTER_RULES: &[&str] = &[
    r#"[{apiGroups: [""], resources: [nodes, namespaces], verbs: [get, list, watch]}]"#,
    r#"[{apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch]}]"#,
    r#"[{apiGroups: [""], resources: [nodes/proxy, nodes/metrics], verbs: [get]}]"#,
    r#"[{apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions], verbs: [get, list, watch]}]"#,
    r#"[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}, {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}]"#,
    r#"[{apiGroups: [""], resources: [persistentvolumes], verbs: [get, list, watch]}]"#,
];

/// A multi-document YAML stream with `roles` Roles/ClusterRoles and `bindings` bindings.
pub fn corpus(roles: usize, bindings: usize, seed: u64) -> String {
    let mut r = Lcg(seed);
    let namespaces = (roles / 20).max(1);
    let cluster_roles = roles / 5;
    let ns_roles = roles - cluster_roles;
    let roles_per_ns = (ns_roles / namespaces).max(1);
    let crbs = bindings / 10;
    let rbs = bindings - crbs;
    let rbs_per_ns = (rbs / namespaces).max(1);
    let mut o = String::with_capacity(roles * 300 + bindings * 350);
    for c in 0..cluster_roles {
        let labels = if c % 40 == 1 {
            format!(", labels: {{kubeward.bench/aggregate: group-{}}}", c % 7)
        } else {
            String::new()
        };
        if c % 200 == 0 {
            let _ = write!(
                o,
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: cr-{c}}}\n\
                 aggregationRule: {{clusterRoleSelectors: [{{matchLabels: {{kubeward.bench/aggregate: group-{}}}}}]}}\nrules: []\n---\n",
                c % 7
            );
            continue;
        }
        let rules = if c % 3 == 0 {
            CLUSTER_RULES[r.below(CLUSTER_RULES.len())]
        } else {
            RULES[r.below(RULES.len())]
        };
        let _ = write!(
            o,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: cr-{c}{labels}}}\nrules: {rules}\n---\n"
        );
    }
    for n in 0..namespaces {
        let ns = format!("ns-{n}");
        for i in 0..roles_per_ns {
            let _ = write!(
                o,
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: role-{i}, namespace: {ns}}}\nrules: {}\n---\n",
                RULES[r.below(RULES.len())]
            );
        }
        for i in 0..rbs_per_ns {
            let (kind, role) = if r.below(4) == 0 {
                (
                    "ClusterRole",
                    format!("cr-{}", r.below(cluster_roles.max(1))),
                )
            } else {
                ("Role", format!("role-{}", r.below(roles_per_ns)))
            };
            let subject = match r.below(10) {
                0 => format!("{{kind: User, name: user-{}}}", r.below(2000)),
                1 => format!("{{kind: Group, name: team-{}}}", r.below(200)),
                2 => "{kind: ServiceAccount, name: default}".to_string(),
                _ => format!("{{kind: ServiceAccount, name: sa-{}}}", r.below(20)),
            };
            let _ = write!(
                o,
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: rb-{i}, namespace: {ns}}}\n\
                 roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: {role}}}\nsubjects: [{subject}]\n---\n"
            );
        }
        for d in 0..4 {
            let _ = write!(
                o,
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{d}, namespace: {ns}}}\n\
                 spec: {{selector: {{matchLabels: {{app: app-{d}}}}}, template: {{metadata: {{labels: {{app: app-{d}}}}}, \
                 spec: {{serviceAccountName: sa-{}, containers: [{{name: c, image: 'registry.example.com/app:1'}}]}}}}}}\n---\n\
                 apiVersion: v1\nkind: Service\nmetadata: {{name: app-{d}, namespace: {ns}}}\n\
                 spec: {{type: {}, selector: {{app: app-{d}}}, ports: [{{port: 80}}]}}\n---\n",
                r.below(20),
                if d == 0 { "LoadBalancer" } else { "ClusterIP" }
            );
        }
    }
    for b in 0..crbs {
        let subject = match r.below(10) {
            0 => format!("{{kind: User, name: user-{}}}", r.below(2000)),
            1 => format!("{{kind: Group, name: team-{}}}", r.below(200)),
            _ => format!(
                "{{kind: ServiceAccount, name: sa-{}, namespace: ns-{}}}",
                r.below(20),
                r.below(namespaces)
            ),
        };
        let _ = write!(
            o,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: crb-{b}}}\n\
             roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr-{}}}\nsubjects: [{subject}]\n---\n",
            r.below(cluster_roles.max(1))
        );
    }
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_are_as_asked() {
        let text = super::corpus(200, 1000, 7);
        let l = kubeward_core::testing::load(&text);
        let inv = &l.inventory;
        let roles = inv.of_kind("Role").count() + inv.of_kind("ClusterRole").count();
        let bindings =
            inv.of_kind("RoleBinding").count() + inv.of_kind("ClusterRoleBinding").count();
        assert_eq!((roles, bindings), (200, 1000));
    }
}
