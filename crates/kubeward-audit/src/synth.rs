//! A generated, realistic mix of audit events for the benchmarks (not a test fixture).
//!
//! Proportions follow what a busy cluster's audit log looks like under the Kubernetes docs'
//! example policy: mostly reads and watches by kubelets and controllers, node and lease
//! updates, some creates with request bodies (pods, deployments, services), secret reads,
//! a few execs and refused requests.

use std::fmt::Write;

/// A small deterministic generator (xorshift), so runs compare.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

const NAMESPACES: &[&str] = &[
    "default",
    "prod",
    "staging",
    "monitoring",
    "kube-system",
    "payments",
];

/// Appends one event line (with its newline) to `out`; `i` numbers it.
pub fn event_line(rng: &mut Rng, i: u64, out: &mut String) {
    let ns = NAMESPACES[rng.below(NAMESPACES.len() as u64) as usize];
    let node = rng.below(50);
    let micros = i % 1_000_000;
    let sec = (i / 1_000_000) % 60;
    let ts = format!("2026-12-05T08:00:{sec:02}.{micros:06}Z");
    let roll = rng.below(1000);
    // (user, verb, resource, subresource, name, code, user agent, body)
    let (user, verb, resource, sub, name, code, ua, body): (
        String,
        &str,
        &str,
        &str,
        String,
        u32,
        &str,
        Option<String>,
    ) = match roll {
        0..=279 => (
            format!("system:node:node-{node}"),
            "get",
            "configmaps",
            "",
            "kube-root-ca.crt".to_string(),
            200,
            "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46",
            None,
        ),
        280..=449 => (
            format!("system:node:node-{node}"),
            "patch",
            "nodes",
            "status",
            format!("node-{node}"),
            200,
            "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46",
            None,
        ),
        450..=599 => (
            "system:kube-controller-manager".into(),
            "update",
            "leases",
            "",
            "kube-controller-manager".into(),
            200,
            "kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election",
            None,
        ),
        600..=749 => (
            "system:serviceaccount:kube-system:replicaset-controller".into(),
            "watch",
            "pods",
            "",
            String::new(),
            200,
            "kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:replicaset-controller",
            None,
        ),
        750..=839 => (
            format!("system:serviceaccount:{ns}:app"),
            "list",
            "endpoints",
            "",
            String::new(),
            200,
            "app/2.3.1",
            None,
        ),
        840..=899 => {
            let body = format!(
                r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"web-{i}","namespace":"{ns}","labels":{{"app":"web"}}}},"spec":{{"serviceAccountName":"app","containers":[{{"name":"app","image":"registry.example.com/web:1.{}","ports":[{{"containerPort":8080}}],"resources":{{"limits":{{"cpu":"500m","memory":"256Mi"}}}},"securityContext":{{"runAsNonRoot":true,"allowPrivilegeEscalation":false{}}},"env":[{{"name":"DB","valueFrom":{{"secretKeyRef":{{"name":"db","key":"password"}}}}}}]}}]{}}}}}"#,
                i % 10,
                if i.is_multiple_of(50) {
                    r#","privileged":true"#
                } else {
                    ""
                },
                if i.is_multiple_of(97) {
                    r#","hostNetwork":true"#
                } else {
                    ""
                },
            );
            (
                "system:serviceaccount:kube-system:replicaset-controller".into(),
                "create",
                "pods",
                "",
                format!("web-{i}"),
                201,
                "kube-controller-manager/v1.31.2",
                Some(body),
            )
        }
        900..=939 => (
            format!("system:serviceaccount:{ns}:app"),
            "get",
            "secrets",
            "",
            "db".into(),
            200,
            "app/2.3.1",
            None,
        ),
        940..=959 => (
            "alice@example.com".into(),
            "get",
            "pods",
            "",
            format!("web-{}", i % 100),
            200,
            "kubectl/v1.31.0 (linux/amd64) kubernetes/abc",
            None,
        ),
        960..=969 => (
            "deploy-bot".into(),
            "create",
            "services",
            "",
            format!("svc-{i}"),
            201,
            "helm/3.16",
            Some(format!(
                r#"{{"kind":"Service","apiVersion":"v1","spec":{{"type":"{}","ports":[{{"port":80}}]}}}}"#,
                if i.is_multiple_of(7) {
                    "NodePort"
                } else {
                    "ClusterIP"
                }
            )),
        ),
        970..=989 => (
            format!("user{}", rng.below(20)),
            "list",
            "secrets",
            "",
            String::new(),
            403,
            "kubectl/v1.31.0 (linux/amd64) kubernetes/abc",
            None,
        ),
        990..=994 => (
            "alice@example.com".into(),
            "create",
            "pods",
            "exec",
            format!("web-{}", i % 100),
            101,
            "kubectl/v1.31.0 (linux/amd64) kubernetes/abc",
            None,
        ),
        _ => (
            "system:anonymous".into(),
            "get",
            "",
            "",
            String::new(),
            401,
            "curl/8.5.0",
            None,
        ),
    };
    let decision = if code == 403 || code == 401 {
        "forbid"
    } else {
        "allow"
    };
    let _ = write!(
        out,
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{}","auditID":"{:08x}-1d2e-4f5a-9b8c-{:012x}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/{ns}/{resource}/{name}","verb":"{verb}","user":{{"username":"{user}","uid":"{:x}","groups":["system:authenticated"]}},"sourceIPs":["10.{}.{}.{}"],"userAgent":"{ua}","#,
        if body.is_some() {
            "Request"
        } else {
            "Metadata"
        },
        rng.next_u64() as u32,
        i,
        rng.next_u64() as u32,
        rng.below(4),
        node,
        rng.below(250),
    );
    if !resource.is_empty() {
        let _ = write!(
            out,
            r#""objectRef":{{"resource":"{resource}","namespace":"{ns}","#
        );
        if !name.is_empty() {
            let _ = write!(out, r#""name":"{name}","#);
        }
        if !sub.is_empty() {
            let _ = write!(out, r#""subresource":"{sub}","#);
        }
        out.push_str(r#""apiVersion":"v1"},"#);
    }
    let _ = write!(
        out,
        r#""responseStatus":{{"metadata":{{}},"code":{code}}},"#
    );
    if let Some(b) = body {
        let _ = write!(out, r#""requestObject":{b},"#);
    }
    let _ = writeln!(
        out,
        r#""requestReceivedTimestamp":"{ts}","stageTimestamp":"{ts}","annotations":{{"authorization.k8s.io/decision":"{decision}","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:node\" of ClusterRole \"system:node\" to Group \"system:nodes\""}}}}"#
    );
}

/// `n` event lines.
pub fn lines(n: u64, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(n as usize * 900);
    for i in 0..n {
        event_line(&mut rng, i, &mut out);
    }
    out
}
