//! The benchmark topology for attack paths: the NetworkPolicy benchmark's workloads and
//! policies ([`crate::netpol::generate::topology`]) with the other layers added: a
//! LoadBalancer Service per web tier, an Internet-facing policy in every tenth namespace,
//! RBAC for the default service accounts (secrets readers, pod creators, one cluster-admin),
//! a privileged workload in every fifth namespace and a node agent DaemonSet.

use std::fmt::Write;

/// YAML for `workloads` Deployments (namespaces of 50) and `policies` NetworkPolicies, plus
/// the layers above.
pub fn topology(workloads: usize, policies: usize, seed: u64) -> String {
    let mut o = crate::netpol::generate::topology(workloads, policies, seed);
    let n_ns = workloads.div_ceil(50).max(1);
    for w in (0..workloads).filter(|w| w % 4 == 0) {
        let ns = w / 50;
        let _ = write!(
            o,
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: svc-{w}, namespace: ns-{ns}}}\nspec: {{type: LoadBalancer, selector: {{app: svc-{w}}}, ports: [{{port: 443, targetPort: http}}]}}\n"
        );
    }
    for n in 0..n_ns {
        if n % 10 == 0 {
            let _ = write!(
                o,
                "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: public-web, namespace: ns-{n}}}\nspec:\n  podSelector: {{matchLabels: {{tier: web}}}}\n  ingress:\n  - from: [{{ipBlock: {{cidr: 0.0.0.0/0}}}}]\n"
            );
        }
        let role = match n % 3 {
            0 => "secret-reader",
            1 => "pod-creator",
            _ => continue,
        };
        let _ = write!(
            o,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: default-{role}, namespace: ns-{n}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\nsubjects: [{{kind: ServiceAccount, name: default, namespace: ns-{n}}}]\n"
        );
        if n % 5 == 0 {
            let _ = write!(
                o,
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: debug, namespace: ns-{n}}}\nspec:\n  selector: {{matchLabels: {{app: debug}}}}\n  template:\n    metadata: {{labels: {{app: debug, tier: web}}}}\n    spec:\n      containers:\n      - name: sh\n        image: registry.example.com/debug:1\n        securityContext: {{privileged: true}}\n"
            );
        }
    }
    o.push_str(
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: secret-reader}\nrules: [{apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}]\n\
         ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: pod-creator}\nrules: [{apiGroups: [\"\"], resources: [pods], verbs: [create]}]\n\
         ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ns-1-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: default, namespace: ns-1}]\n\
         ---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: node-agent, namespace: kube-system}\nspec:\n  selector: {matchLabels: {app: node-agent}}\n  template:\n    metadata: {labels: {app: node-agent}}\n    spec:\n      serviceAccountName: node-agent\n      hostPID: true\n      containers:\n      - name: agent\n        image: registry.example.com/agent:1\n        volumeMounts: [{name: root, mountPath: /host}]\n      volumes: [{name: root, hostPath: {path: /}}]\n",
    );
    o
}
