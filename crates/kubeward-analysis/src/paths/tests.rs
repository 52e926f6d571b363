//! Hand-built topologies.

use super::*;
use kubeward_core::testing::load;

fn deploy(name: &str, sa: &str, extra_spec: &str, container_extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\n\
         spec:\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      serviceAccountName: {sa}\n{extra_spec}      containers:\n      - name: app\n        image: reg.example/app@sha256:0\n        ports: [{{containerPort: 8080}}]\n{container_extra}---\n"
    )
}

fn lb(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: shop}}\n\
         spec: {{type: LoadBalancer, selector: {{app: {name}}}, ports: [{{port: 80}}]}}\n---\n"
    )
}

fn sa(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: {name}, namespace: shop}}\n{extra}---\n"
    )
}

fn crb(name: &str, role: &str, sa: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: {name}}}\n\
         roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\n\
         subjects: [{{kind: ServiceAccount, name: {sa}, namespace: shop}}]\n---\n"
    )
}

const PRIVILEGED: &str = "        securityContext: {privileged: true}\n";
const SECRET_READER: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: secret-reader}\n\
     rules: [{apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}]\n---\n";

fn run(yaml: &str) -> (kubeward_core::input::Loaded, Paths) {
    let l = load(yaml);
    let p = analyze(&l.inventory);
    (l, p)
}

fn summary(p: &Paths, inv: &kubeward_core::Inventory) -> Vec<String> {
    let names = |id: kubeward_core::ObjectId| inv.object(id).display();
    p.paths
        .iter()
        .map(|path| {
            let mut s = p.graph.vertices[path.entry as usize].key(&names);
            for &e in &path.edges {
                s.push_str(" > ");
                s.push_str(&p.graph.vertices[p.graph.edges[e as usize].to as usize].key(&names));
            }
            s
        })
        .collect()
}

fn rules_on(p: &Paths, path: &Path) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = path
        .steps(&p.graph)
        .into_iter()
        .flat_map(|s| p.graph.steps[s as usize].reasons.iter().map(|r| r.rule))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn exposed_privileged_pod_with_a_powerful_token() {
    let yaml = deploy("web", "web", "", PRIVILEGED)
        + &lb("web")
        + &sa("web", "")
        + &crb("web-admin", "cluster-admin", "web");
    let (l, p) = run(&yaml);
    let s = summary(&p, &l.inventory);
    // The best path: straight from the Internet through the token to cluster-admin.
    assert_eq!(
        s[0], "internet > workload:Deployment shop/web > sa:shop/web > cluster-admin",
        "{s:#?}"
    );
    assert_eq!(p.paths[0].score, 30);
    assert_eq!(
        rules_on(&p, &p.paths[0]),
        ["KW-NET-002", "KW-NET-104", "KW-RBAC-001", "KW-RBAC-031"]
    );
    // Node root through the privileged container, too.
    assert!(
        s.contains(&"internet > workload:Deployment shop/web > node:any".to_string()),
        "{s:#?}"
    );
    let node = p
        .paths
        .iter()
        .find(|x| {
            p.graph.vertices[x.target as usize] == Vertex::NodeRoot(None)
                && p.graph.vertices[x.entry as usize] == Vertex::Internet
        })
        .unwrap();
    assert!(rules_on(&p, node).contains(&"KW-PSS-003"));
    // Counts: the binding is on every path to cluster-admin.
    let counts = p.counts();
    let binding = l
        .inventory
        .get("ClusterRoleBinding", None, "web-admin")
        .unwrap();
    let to_admin = p
        .paths
        .iter()
        .filter(|x| p.graph.vertices[x.target as usize] == Vertex::ClusterAdmin)
        .count();
    assert_eq!(counts[&("KW-RBAC-001", binding.id)], to_admin);
    // Every renderer names the finding.
    let text = render::text(&p, &l.inventory, 5);
    assert!(
        text.contains("KW-RBAC-001 ClusterRoleBinding web-admin at test.yaml:"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&render::json(&p, &l.inventory, 5)).unwrap();
    assert_eq!(json["paths"][0]["target"], "cluster-admin equivalent");
    assert!(render::mermaid(&p, &l.inventory, 5).starts_with("flowchart LR\n"));
    assert!(render::dot(&p, &l.inventory, 5).contains("-> \"cluster-admin\""));
}

#[test]
fn network_policy_breaks_the_path() {
    let base = deploy("web", "web", "", PRIVILEGED)
        + &lb("web")
        + &sa("web", "")
        + &crb("web-admin", "cluster-admin", "web");
    // Only pods of its own namespace may connect.
    let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\n\
                  spec: {podSelector: {matchLabels: {app: web}}, ingress: [{from: [{podSelector: {}}]}]}\n---\n";
    let (l, open) = run(&base);
    assert!(
        summary(&open, &l.inventory)
            .iter()
            .any(|s| s.starts_with("internet >"))
    );
    assert!(
        summary(&open, &l.inventory)
            .iter()
            .any(|s| s.starts_with("any-pod >"))
    );
    let (l, closed) = run(&(base + policy));
    let s = summary(&closed, &l.inventory);
    assert!(
        !s.iter()
            .any(|s| s.starts_with("internet >") || s.starts_with("any-pod >")),
        "{s:#?}"
    );
    // A policy that admits the world keeps it open, and names the policy rule.
    let world = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\n\
                 spec: {podSelector: {matchLabels: {app: web}}, ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]}\n---\n";
    let yaml = deploy("web", "web", "", PRIVILEGED)
        + &lb("web")
        + &sa("web", "")
        + &crb("web-admin", "cluster-admin", "web")
        + world;
    let (_, p) = run(&yaml);
    assert!(rules_on(&p, &p.paths[0]).contains(&"KW-NET-112"));
}

#[test]
fn automount_false_breaks_the_token_path() {
    let yaml = deploy(
        "web",
        "web",
        "      automountServiceAccountToken: false\n",
        "",
    ) + &lb("web")
        + &sa("web", "")
        + &crb("web-admin", "cluster-admin", "web");
    let (l, p) = run(&yaml);
    let s = summary(&p, &l.inventory);
    assert!(p.paths.is_empty(), "{s:#?}");
    // With the token mounted, the path is there.
    let yaml = deploy("web", "web", "", "")
        + &lb("web")
        + &sa("web", "")
        + &crb("web-admin", "cluster-admin", "web");
    let (l, p) = run(&yaml);
    assert_eq!(
        summary(&p, &l.inventory)[0],
        "internet > workload:Deployment shop/web > sa:shop/web > cluster-admin"
    );
}

#[test]
fn node_escape_reaches_other_pods_tokens() {
    // web: exposed, privileged, no token. backup: not exposed, isolated, reads every Secret.
    let isolate = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: backup, namespace: shop}\n\
                   spec: {podSelector: {matchLabels: {app: backup}}, policyTypes: [Ingress]}\n---\n";
    let yaml = deploy(
        "web",
        "web",
        "      automountServiceAccountToken: false\n",
        PRIVILEGED,
    ) + &lb("web")
        + &deploy("backup", "backup", "", "")
        + isolate
        + &sa("web", "")
        + &sa("backup", "")
        + SECRET_READER
        + &crb("backup-secrets", "secret-reader", "backup");
    let (l, p) = run(&yaml);
    let s = summary(&p, &l.inventory);
    assert!(
        s.contains(
            &"internet > workload:Deployment shop/web > node:any > sa:shop/backup > secrets:*"
                .to_string()
        ),
        "{s:#?}"
    );
    let path = p
        .paths
        .iter()
        .find(|x| {
            p.graph.vertices[x.target as usize] == Vertex::Secrets(None)
                && p.graph.vertices[x.entry as usize] == Vertex::Internet
        })
        .unwrap();
    let backup = l
        .inventory
        .get("Deployment", Some("shop"), "backup")
        .unwrap();
    let steps: Vec<&Step> = path
        .steps(&p.graph)
        .into_iter()
        .map(|i| &p.graph.steps[i as usize])
        .collect();
    assert!(steps.iter().any(|st| {
        st.reasons
            .iter()
            .any(|r| r.rule == "KW-RBAC-031" && r.object == backup.id)
    }));
    assert!(
        steps
            .iter()
            .any(|st| st.reasons.iter().any(|r| r.rule == "KW-PSS-003"))
    );
    // backup itself is not an entry: nothing reaches it over the network.
    assert!(
        !s.iter()
            .any(|x| x.starts_with("any-pod > workload:Deployment shop/backup"))
    );
}

#[test]
fn min_cut_names_the_shared_step_first() {
    // Two exposed workloads, one shared over-powerful service account.
    let yaml = deploy("web", "shared", "", "")
        + &lb("web")
        + &deploy("api", "shared", "", "")
        + &lb("api")
        + &sa("shared", "")
        + &crb("shared-admin", "cluster-admin", "shared");
    let (l, p) = run(&yaml);
    let s = summary(&p, &l.inventory);
    let internet: Vec<&String> = s.iter().filter(|x| x.starts_with("internet >")).collect();
    assert_eq!(internet.len(), 2, "{s:#?}");
    let first = &p.graph.steps[p.cut[0].step as usize];
    assert_eq!(first.key, "rbac:FullAdmin:shop/shared:*");
    assert_eq!(p.cut[0].breaks, p.paths.len());
    assert_eq!(p.cut.len(), 1);
    let text = render::text(&p, &l.inventory, 3);
    assert!(
        text.contains(&format!("(breaks {} paths)", p.paths.len())),
        "{text}"
    );
}

#[test]
fn cloud_identity_of_a_mapped_service_account() {
    let yaml = deploy("web", "web", "", "")
        + &lb("web")
        + &sa(
            "web",
            "metadata: {name: web, namespace: shop, annotations: {eks.amazonaws.com/role-arn: \"arn:aws:iam::1:role/web\"}}\n",
        );
    let (l, p) = run(&yaml);
    let s = summary(&p, &l.inventory);
    assert!(s.contains(&"internet > workload:Deployment shop/web > sa:shop/web > cloud:arn:aws:iam::1:role/web".to_string()), "{s:#?}");
}

#[test]
fn every_write_verb_on_everything_is_cluster_admin_equivalent() {
    // Listing the write verbs instead of `*` is the same power (issue 11 §1.3).
    let writer = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: writer}\n\
         rules: [{apiGroups: ['*'], resources: ['*'], verbs: [get, deletecollection, patch, create, delete, update]}]\n---\n";
    let y = deploy("web", "web", "", "")
        + &lb("web")
        + &sa("web", "")
        + writer
        + &crb("w", "writer", "web");
    let (_, p) = run(&y);
    assert!(
        p.paths
            .iter()
            .any(|x| p.graph.vertices[x.target as usize] == Vertex::ClusterAdmin)
    );
    // Without deletecollection it is not.
    let (_, p) = run(&y.replace("deletecollection, ", ""));
    assert!(
        !p.paths
            .iter()
            .any(|x| p.graph.vertices[x.target as usize] == Vertex::ClusterAdmin)
    );
}
