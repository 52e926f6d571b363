//! A generator of large, realistic topologies for benchmarks: namespaces of microservices with
//! default deny, DNS egress, per-service allows (named ports, port ranges, cross-namespace
//! peers, ipBlocks with excepts) and a few admin policies.

use std::fmt::Write;

/// A deterministic pseudo-random sequence (64-bit LCG).
struct Rng(u64);

impl Rng {
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

/// YAML for `workloads` Deployments in namespaces of 50 and `policies` NetworkPolicies (two
/// per namespace are default deny and DNS, the rest per-service allows), plus two
/// AdminNetworkPolicies and a BaselineAdminNetworkPolicy.
pub fn topology(workloads: usize, policies: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let per_ns = 50;
    let n_ns = workloads.div_ceil(per_ns).max(1);
    let mut o = String::with_capacity(workloads * 900 + policies * 700);
    let teams = ["payments", "search", "identity", "growth", "platform"];
    for n in 0..n_ns {
        let _ = write!(
            o,
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{n}\n  labels:\n    team: {}\n    env: {}\n",
            teams[n % teams.len()],
            if n % 3 == 0 { "dev" } else { "prod" }
        );
    }
    for w in 0..workloads {
        let ns = w / per_ns;
        let tier = ["web", "api", "db", "worker"][w % 4];
        let _ = write!(
            o,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-{w}\n  namespace: ns-{ns}\nspec:\n  selector:\n    matchLabels: {{app: svc-{w}}}\n  template:\n    metadata:\n      labels: {{app: svc-{w}, tier: {tier}}}\n    spec:\n      containers:\n      - name: main\n        image: registry.example.com/svc:1\n        ports:\n        - {{name: http, containerPort: {}}}\n        - {{name: metrics, containerPort: 9090}}\n        - {{name: gossip, containerPort: 7946, protocol: UDP}}\n",
            8000 + (w % 7) * 10
        );
    }
    let mut count = 0;
    for n in 0..n_ns {
        if count + 2 > policies {
            break;
        }
        let _ = write!(
            o,
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: default-deny, namespace: ns-{n}}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: allow-dns, namespace: ns-{n}}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: kube-system}}}}\n      podSelector: {{matchLabels: {{k8s-app: kube-dns}}}}\n    ports: [{{port: 53, protocol: UDP}}, {{port: 53, protocol: TCP}}]\n"
        );
        count += 2;
    }
    let mut i = 0;
    while count < policies {
        let w = i % workloads;
        let ns = w / per_ns;
        let peer = (w / per_ns) * per_ns + rng.below(per_ns.min(workloads - (w / per_ns) * per_ns));
        let other_ns = rng.below(n_ns);
        let kind = i % 5;
        let body = match kind {
            // Same-namespace caller on the named port, caller's egress in the same policy set.
            0 | 1 => format!(
                "  podSelector: {{matchLabels: {{app: svc-{w}}}}}\n  policyTypes: [Ingress]\n  ingress:\n  - from: [{{podSelector: {{matchLabels: {{app: svc-{peer}}}}}}}]\n    ports: [{{port: http}}]\n"
            ),
            2 => format!(
                "  podSelector: {{matchLabels: {{app: svc-{peer}}}}}\n  policyTypes: [Egress]\n  egress:\n  - to: [{{podSelector: {{matchLabels: {{app: svc-{w}}}}}}}]\n    ports: [{{port: http}}, {{port: 9000, endPort: 9010}}]\n"
            ),
            // A team's namespaces, by label, on a port range; metrics from monitoring.
            3 => format!(
                "  podSelector: {{matchLabels: {{app: svc-{w}}}}}\n  ingress:\n  - from:\n    - namespaceSelector: {{matchLabels: {{team: {}}}}}\n      podSelector: {{matchExpressions: [{{key: tier, operator: In, values: [web, api]}}]}}\n    ports: [{{port: 8000, endPort: 8100}}]\n  - from: [{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: ns-{other_ns}}}}}}}]\n    ports: [{{port: metrics}}]\n",
                teams[rng.below(teams.len())]
            ),
            // Egress to partner networks with excepts.
            _ => format!(
                "  podSelector: {{matchLabels: {{app: svc-{w}}}}}\n  policyTypes: [Egress]\n  egress:\n  - to: [{{ipBlock: {{cidr: 10.{}.0.0/16, except: [10.{}.{}.0/24]}}}}]\n    ports: [{{port: 443}}]\n",
                i % 256,
                i % 256,
                rng.below(256)
            ),
        };
        let _ = write!(
            o,
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p-{i}, namespace: ns-{ns}}}\nspec:\n{body}"
        );
        count += 1;
        i += 1;
    }
    o.push_str(
        "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: deny-dev-to-prod}\nspec:\n  priority: 10\n  subject: {namespaces: {matchLabels: {env: prod}}}\n  ingress:\n  - name: from-dev\n    action: Deny\n    from: [{namespaces: {matchLabels: {env: dev}}}]\n---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: metadata-api}\nspec:\n  priority: 5\n  subject: {namespaces: {}}\n  egress:\n  - name: no-imds\n    action: Deny\n    to: [{networks: [169.254.169.254/32]}]\n---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec:\n  subject: {namespaces: {matchLabels: {env: prod}}}\n  ingress:\n  - name: no-dev\n    action: Deny\n    from: [{namespaces: {matchLabels: {env: dev}}}]\n",
    );
    o
}
