//! An in-process HTTPS Kubernetes API server for tests (feature `fake-server`).
//!
//! It serves `/version`, aggregated (`apidiscovery.k8s.io/v2`) and legacy discovery, and
//! paginated lists (`limit` + `continue`) of fixture objects, cluster-wide or per namespace,
//! full or as `PartialObjectMetadataList`. It answers 403 for resources marked forbidden,
//! delays lists on request (timeout tests), and authenticates with a bearer token or a client
//! certificate signed by its own CA (rcgen). Every request is recorded so tests can check
//! what a client asked for. Faults ([`Fault`]) can be injected into list pages: a connection
//! reset, a body that is not JSON, 410 Gone for an expired `continue` token, a slow answer; and
//! the server can die after a number of list requests.
//!
//! ```ignore
//! let server = FakeApiServer::start(FakeCluster::new(objects)).await;
//! std::fs::write(&path, server.kubeconfig(FakeAuth::Token))?;
//! ```

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_rustls::rustls;

/// A resource the fake server serves.
#[derive(Clone, Debug)]
pub struct FakeResource {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    pub verbs: Vec<&'static str>,
}

const READ: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

/// Built-in resources served even without objects: (group, version, kind, plural, namespaced).
const BUILTIN: &[(&str, &str, &str, &str, bool)] = &[
    ("", "v1", "Namespace", "namespaces", false),
    ("", "v1", "Node", "nodes", false),
    ("", "v1", "Pod", "pods", true),
    ("", "v1", "Service", "services", true),
    ("", "v1", "ConfigMap", "configmaps", true),
    ("", "v1", "Secret", "secrets", true),
    ("", "v1", "ServiceAccount", "serviceaccounts", true),
    ("", "v1", "Event", "events", true),
    ("", "v1", "PersistentVolume", "persistentvolumes", false),
    (
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        true,
    ),
    ("", "v1", "Endpoints", "endpoints", true),
    ("", "v1", "LimitRange", "limitranges", true),
    ("", "v1", "ResourceQuota", "resourcequotas", true),
    ("apps", "v1", "Deployment", "deployments", true),
    ("apps", "v1", "DaemonSet", "daemonsets", true),
    ("apps", "v1", "StatefulSet", "statefulsets", true),
    ("apps", "v1", "ReplicaSet", "replicasets", true),
    ("batch", "v1", "Job", "jobs", true),
    ("batch", "v1", "CronJob", "cronjobs", true),
    (
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        true,
    ),
    ("networking.k8s.io", "v1", "Ingress", "ingresses", true),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", true),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
    ),
    (
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        true,
    ),
    ("coordination.k8s.io", "v1", "Lease", "leases", true),
    (
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        false,
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
    ),
    ("events.k8s.io", "v1", "Event", "events", true),
];

/// A resource the credentials may not list (namespace `None`: anywhere).
#[derive(Clone, Debug)]
pub struct Forbidden {
    pub group: String,
    pub resource: String,
    pub namespace: Option<String>,
}

/// A fault injected into list requests.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// The connection is dropped in the middle of the answer (a reset).
    Reset,
    /// A 200 answer whose body is not JSON (a proxy's error page).
    NotJson,
    /// 410 Gone: the `continue` token expired.
    Gone,
    /// The answer comes after this long.
    Slow(Duration),
}

/// Where and how often a [`FaultKind`] strikes.
#[derive(Clone, Debug)]
pub struct Fault {
    pub group: String,
    pub resource: String,
    /// The page it strikes (0: the first; a page is `limit` objects).
    pub page: usize,
    pub kind: FaultKind,
    /// How many times it strikes before the page is served normally.
    pub times: usize,
}

/// What the fake cluster holds and how it behaves.
#[derive(Clone, Debug)]
pub struct FakeCluster {
    pub objects: Vec<Value>,
    pub git_version: String,
    /// Serve aggregated discovery (else only the legacy documents).
    pub aggregated_discovery: bool,
    pub forbidden: Vec<Forbidden>,
    /// Wait this long before answering each list request.
    pub list_delay: Option<Duration>,
    /// The bearer token accepted (client certificates from the server's CA are always
    /// accepted).
    pub token: String,
    /// Faults injected into list pages.
    pub faults: Vec<Fault>,
    /// After this many list requests, the server dies: every later request (on open
    /// connections too) is reset and new connections are closed.
    pub die_after_lists: Option<usize>,
    /// Each node's kubelet configuration, served at `/api/v1/nodes/NAME/proxy/configz` (as
    /// `{"kubeletconfig": ...}`) unless `nodes/proxy` is forbidden; other nodes answer 404.
    pub configz: BTreeMap<String, Value>,
}

impl FakeCluster {
    pub fn new(objects: Vec<Value>) -> Self {
        FakeCluster {
            objects,
            git_version: "v1.33.1".into(),
            aggregated_discovery: true,
            forbidden: Vec::new(),
            list_delay: None,
            token: "fake-token-0123456789".into(),
            faults: Vec::new(),
            die_after_lists: None,
            configz: BTreeMap::new(),
        }
    }

    /// Injects `kind` on `page` of `group`/`resource`, `times` times.
    pub fn fault(
        mut self,
        group: &str,
        resource: &str,
        page: usize,
        kind: FaultKind,
        times: usize,
    ) -> Self {
        self.faults.push(Fault {
            group: group.into(),
            resource: resource.into(),
            page,
            kind,
            times,
        });
        self
    }

    /// Serves `config` as the kubelet configuration of node `node`.
    pub fn with_configz(mut self, node: &str, config: Value) -> Self {
        self.configz.insert(node.to_string(), config);
        self
    }

    pub fn forbid(mut self, group: &str, resource: &str, namespace: Option<&str>) -> Self {
        self.forbidden.push(Forbidden {
            group: group.into(),
            resource: resource.into(),
            namespace: namespace.map(str::to_string),
        });
        self
    }
}

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub accept: String,
    /// `token`, `cert:<CN>` or `anonymous`.
    pub identity: String,
    pub status: u16,
}

/// How the generated kubeconfig authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FakeAuth {
    Token,
    ClientCert,
    /// No credentials (expect 401).
    None,
    /// A wrong token (expect 401).
    WrongToken,
    /// An exec credential plugin (`/bin/sh`) that prints the token as an ExecCredential.
    Exec,
}

struct Inner {
    cluster: FakeCluster,
    resources: Vec<FakeResource>,
    /// (group, plural) → objects sorted by namespace and name.
    objects: HashMap<(String, String), Vec<Value>>,
    log: Mutex<Vec<Recorded>>,
    /// How often each fault has struck.
    fault_hits: Mutex<Vec<usize>>,
    lists: std::sync::atomic::AtomicUsize,
    dead: std::sync::atomic::AtomicBool,
    /// Objects written by server-side apply, by path.
    applied: Mutex<BTreeMap<String, Value>>,
}

/// A running fake API server; stops when dropped.
pub struct FakeApiServer {
    pub addr: SocketAddr,
    ca_pem: String,
    client_cert_pem: String,
    client_key_pem: String,
    token: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct Identity(String);

fn split_api_version(av: &str) -> (String, String) {
    match av.rsplit_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), av.to_string()),
    }
}

fn build_resources(objects: &[Value]) -> Vec<FakeResource> {
    let mut out: Vec<FakeResource> = BUILTIN
        .iter()
        .map(|(g, v, k, p, n)| FakeResource {
            group: g.to_string(),
            version: v.to_string(),
            kind: k.to_string(),
            plural: p.to_string(),
            namespaced: *n,
            verbs: READ.to_vec(),
        })
        .collect();
    // A create-only resource, which a scanner must not try to list.
    out.push(FakeResource {
        group: String::new(),
        version: "v1".into(),
        kind: "Binding".into(),
        plural: "bindings".into(),
        namespaced: true,
        verbs: vec!["create"],
    });
    for o in objects {
        let (g, v) = split_api_version(o["apiVersion"].as_str().unwrap_or("v1"));
        let kind = o["kind"].as_str().unwrap_or("").to_string();
        if out.iter().any(|r| r.group == g && r.kind == kind) {
            continue;
        }
        out.push(FakeResource {
            plural: format!("{}s", kind.to_ascii_lowercase()),
            namespaced: o.pointer("/metadata/namespace").is_some(),
            group: g,
            version: v,
            kind,
            verbs: READ.to_vec(),
        });
    }
    out
}

fn status(code: StatusCode, reason: &str, message: String) -> Response {
    (
        code,
        axum::Json(json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code.as_u16()
        })),
    )
        .into_response()
}

impl FakeApiServer {
    /// Starts the server on 127.0.0.1 with a fresh CA, server and client certificate.
    pub async fn start(cluster: FakeCluster) -> FakeApiServer {
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Certificates.
        let ca_key = KeyPair::generate().expect("ca key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "kubeward-fake-ca");
        let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
        let issuer = Issuer::new(ca_params, ca_key);
        let server_key = KeyPair::generate().expect("server key");
        let mut sp = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("server params");
        sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = sp.signed_by(&server_key, &issuer).expect("server cert");
        let client_key = KeyPair::generate().expect("client key");
        let mut cp = CertificateParams::new(Vec::<String>::new()).expect("client params");
        cp.distinguished_name
            .push(DnType::CommonName, "kubeward-scanner");
        cp.distinguished_name
            .push(DnType::OrganizationName, "kubeward-readers");
        cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_cert = cp.signed_by(&client_key, &issuer).expect("client cert");

        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca_cert.der().clone()).expect("root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .allow_unauthenticated()
        .build()
        .expect("verifier");
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![server_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
            )
            .expect("server config");
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

        // Data.
        let resources = build_resources(&cluster.objects);
        let mut objects: HashMap<(String, String), Vec<Value>> = HashMap::new();
        for o in &cluster.objects {
            let (g, _) = split_api_version(o["apiVersion"].as_str().unwrap_or("v1"));
            let kind = o["kind"].as_str().unwrap_or("");
            if let Some(r) = resources.iter().find(|r| r.group == g && r.kind == kind) {
                objects
                    .entry((g, r.plural.clone()))
                    .or_default()
                    .push(o.clone());
            }
        }
        for v in objects.values_mut() {
            v.sort_by(|a, b| {
                let k = |o: &Value| {
                    (
                        o.pointer("/metadata/namespace")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        o.pointer("/metadata/name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    )
                };
                k(a).cmp(&k(b))
            });
        }
        let token = cluster.token.clone();
        let inner = Arc::new(Inner {
            fault_hits: Mutex::new(vec![0; cluster.faults.len()]),
            cluster,
            resources,
            objects,
            log: Mutex::new(Vec::new()),
            lists: Default::default(),
            dead: Default::default(),
            applied: Mutex::new(BTreeMap::new()),
        });
        let router = Router::new()
            .route("/version", get(version))
            .route("/api", get(core_root))
            .route("/apis", get(apis_root))
            .route("/api/{version}", get(core_resources))
            .route("/apis/{group}/{version}", get(group_resources))
            .route("/api/{version}/{res}", get(list_core))
            .route("/api/{version}/namespaces/{ns}/{res}", get(list_core_ns))
            .route("/apis/{group}/{version}/{res}", get(list_group))
            .route(
                "/apis/{group}/{version}/namespaces/{ns}/{res}",
                get(list_group_ns),
            )
            .route("/api/v1/nodes/{name}/proxy/configz", get(configz))
            .route("/apis/{group}/{version}/{res}/{name}", patch(apply_cluster))
            .route(
                "/apis/{group}/{version}/namespaces/{ns}/{res}/{name}",
                patch(apply_ns),
            )
            .fallback(|| async {
                status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "the server could not find the requested resource".into(),
                )
            })
            .with_state(Arc::clone(&inner));

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::clone(&inner);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                if state.dead.load(std::sync::atomic::Ordering::SeqCst) {
                    drop(tcp);
                    continue;
                }
                let acceptor = acceptor.clone();
                let router = router.clone();
                tokio::spawn(async move {
                    let Ok(stream) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let cn = stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        // Only certificates from this server's CA pass the handshake, and it
                        // issued one client certificate.
                        .map(|_| "kubeward-scanner".to_string());
                    let svc =
                        tower::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                            if let Some(cn) = &cn {
                                req.extensions_mut().insert(Identity(format!("cert:{cn}")));
                            }
                            let router = router.clone();
                            async move {
                                use tower::ServiceExt;
                                router.oneshot(req.map(axum::body::Body::new)).await
                            }
                        });
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(stream),
                        hyper_util::service::TowerToHyperService::new(svc),
                    )
                    .await;
                });
            }
        });
        FakeApiServer {
            addr,
            ca_pem: ca_cert.pem(),
            client_cert_pem: client_cert.pem(),
            client_key_pem: client_key.serialize_pem(),
            token,
            inner,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// A kubeconfig (context `fake`) that reaches this server.
    pub fn kubeconfig(&self, auth: FakeAuth) -> String {
        let b64 = |s: &str| base64(s.as_bytes());
        let user = match auth {
            FakeAuth::Token => format!("    token: {}\n", self.token),
            FakeAuth::WrongToken => "    token: not-the-token\n".to_string(),
            FakeAuth::ClientCert => format!(
                "    client-certificate-data: {}\n    client-key-data: {}\n",
                b64(&self.client_cert_pem),
                b64(&self.client_key_pem)
            ),
            FakeAuth::None => "    {}\n".to_string(),
            FakeAuth::Exec => format!(
                "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      interactiveMode: Never\n      command: /bin/sh\n      args:\n      - -c\n      - 'printf \"%s\" \"{{\\\"apiVersion\\\":\\\"client.authentication.k8s.io/v1\\\",\\\"kind\\\":\\\"ExecCredential\\\",\\\"status\\\":{{\\\"token\\\":\\\"{}\\\"}}}}\"'\n",
                self.token
            ),
        };
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster:\n    server: {}\n    certificate-authority-data: {}\nusers:\n- name: scanner\n  user:\n{user}contexts:\n- name: fake\n  context: {{cluster: fake, user: scanner}}\n",
            self.url(),
            b64(&self.ca_pem)
        )
    }

    /// Every request received so far.
    /// Objects written by server-side apply (PATCH with `application/apply-patch+yaml`),
    /// by request path, in path order.
    pub fn applied(&self) -> Vec<(String, Value)> {
        self.inner
            .applied
            .lock()
            .expect("applied")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.log.lock().expect("log").clone()
    }
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Authenticates and records; `Err` is the 401 answer.
#[allow(clippy::result_large_err)] // a test server; the error is the HTTP answer itself
fn admit(
    st: &Inner,
    headers: &HeaderMap,
    ext: Option<&Identity>,
    path: &str,
    query: &str,
) -> Result<usize, Response> {
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let identity = match (bearer, ext) {
        (Some(t), _) if t == st.cluster.token => "token".to_string(),
        (_, Some(Identity(i))) => i.clone(),
        _ => "anonymous".to_string(),
    };
    let mut log = st.log.lock().expect("log");
    log.push(Recorded {
        method: "GET".into(),
        path: path.to_string(),
        query: query.to_string(),
        accept,
        identity: identity.clone(),
        status: 200,
    });
    let idx = log.len() - 1;
    if identity == "anonymous" {
        log[idx].status = 401;
        return Err(status(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized".into(),
        ));
    }
    Ok(idx)
}

fn set_status(st: &Inner, idx: usize, code: u16) {
    if let Some(r) = st.log.lock().expect("log").get_mut(idx) {
        r.status = code;
    }
}

type Ext = Option<axum::Extension<Identity>>;

fn ext(e: &Ext) -> Option<&Identity> {
    e.as_ref().map(|axum::Extension(i)| i)
}

async fn version(State(st): State<Arc<Inner>>, h: HeaderMap, e: Ext) -> Response {
    if let Err(r) = admit(&st, &h, ext(&e), "/version", "") {
        return r;
    }
    let v = &st.cluster.git_version;
    let (major, minor) = v
        .trim_start_matches('v')
        .split_once('.')
        .map(|(a, b)| {
            (
                a.to_string(),
                b.split(['.', '-', '+']).next().unwrap_or("").to_string(),
            )
        })
        .unwrap_or_default();
    axum::Json(json!({
        "major": major, "minor": minor, "gitVersion": v, "gitCommit": "0000000",
        "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24.0",
        "compiler": "gc", "platform": "linux/amd64"
    }))
    .into_response()
}

async fn configz(
    State(st): State<Arc<Inner>>,
    Path(name): Path<String>,
    h: HeaderMap,
    e: Ext,
) -> Response {
    let path = format!("/api/v1/nodes/{name}/proxy/configz");
    let idx = match admit(&st, &h, ext(&e), &path, "") {
        Ok(i) => i,
        Err(r) => return r,
    };
    if st
        .cluster
        .forbidden
        .iter()
        .any(|f| f.group.is_empty() && f.resource == "nodes/proxy")
    {
        set_status(&st, idx, 403);
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "nodes \"{name}\" is forbidden: User \"kubeward-scanner\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope"
            ),
        );
    }
    match st.cluster.configz.get(&name) {
        Some(c) => axum::Json(json!({ "kubeletconfig": c })).into_response(),
        None => {
            set_status(&st, idx, 404);
            status(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("nodes \"{name}\" not found"),
            )
        }
    }
}

fn wants_aggregated(st: &Inner, h: &HeaderMap) -> bool {
    st.cluster.aggregated_discovery
        && h.get("accept")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("as=APIGroupDiscoveryList"))
}

fn aggregated(st: &Inner, core: bool) -> Value {
    let mut groups: BTreeMap<String, Vec<&FakeResource>> = BTreeMap::new();
    for r in st.resources.iter().filter(|r| r.group.is_empty() == core) {
        groups.entry(r.group.clone()).or_default().push(r);
    }
    let items: Vec<Value> = groups
        .iter()
        .map(|(g, rs)| {
            let version = rs[0].version.clone();
            json!({
                "metadata": {"name": g},
                "versions": [{
                    "version": version,
                    "freshness": "Current",
                    "resources": rs.iter().map(|r| json!({
                        "resource": r.plural,
                        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": r.kind.to_ascii_lowercase(),
                        "verbs": r.verbs,
                        "subresources": if r.plural == "pods" {
                            json!([{"subresource": "log", "responseKind": {"group": "", "version": "v1", "kind": "Pod"}, "verbs": ["get"]}])
                        } else { json!([]) },
                    })).collect::<Vec<_>>()
                }]
            })
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

async fn core_root(State(st): State<Arc<Inner>>, h: HeaderMap, e: Ext) -> Response {
    if let Err(r) = admit(&st, &h, ext(&e), "/api", "") {
        return r;
    }
    if wants_aggregated(&st, &h) {
        return axum::Json(aggregated(&st, true)).into_response();
    }
    axum::Json(json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}))
        .into_response()
}

async fn apis_root(State(st): State<Arc<Inner>>, h: HeaderMap, e: Ext) -> Response {
    if let Err(r) = admit(&st, &h, ext(&e), "/apis", "") {
        return r;
    }
    if wants_aggregated(&st, &h) {
        return axum::Json(aggregated(&st, false)).into_response();
    }
    let mut groups: BTreeMap<String, String> = BTreeMap::new();
    for r in st.resources.iter().filter(|r| !r.group.is_empty()) {
        groups.entry(r.group.clone()).or_insert(r.version.clone());
    }
    let list: Vec<Value> = groups
        .iter()
        .map(|(g, v)| {
            let gv = json!({"groupVersion": format!("{g}/{v}"), "version": v});
            json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
        })
        .collect();
    axum::Json(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": list})).into_response()
}

fn resource_list(st: &Inner, group: &str, version: &str) -> Value {
    let mut resources: Vec<Value> = Vec::new();
    for r in st
        .resources
        .iter()
        .filter(|r| r.group == group && r.version == version)
    {
        resources.push(json!({
            "name": r.plural, "singularName": r.kind.to_ascii_lowercase(),
            "namespaced": r.namespaced, "kind": r.kind, "verbs": r.verbs
        }));
        if r.plural == "pods" {
            resources.push(json!({"name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]}));
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}

async fn core_resources(
    State(st): State<Arc<Inner>>,
    Path(version): Path<String>,
    h: HeaderMap,
    e: Ext,
) -> Response {
    if let Err(r) = admit(&st, &h, ext(&e), &format!("/api/{version}"), "") {
        return r;
    }
    axum::Json(resource_list(&st, "", &version)).into_response()
}

async fn group_resources(
    State(st): State<Arc<Inner>>,
    Path((group, version)): Path<(String, String)>,
    h: HeaderMap,
    e: Ext,
) -> Response {
    if let Err(r) = admit(&st, &h, ext(&e), &format!("/apis/{group}/{version}"), "") {
        return r;
    }
    axum::Json(resource_list(&st, &group, &version)).into_response()
}

async fn list_core(
    State(st): State<Arc<Inner>>,
    Path((version, res)): Path<(String, String)>,
    q: Query<HashMap<String, String>>,
    h: HeaderMap,
    e: Ext,
) -> Response {
    list(st, String::new(), version, None, res, q.0, h, e).await
}

async fn list_core_ns(
    State(st): State<Arc<Inner>>,
    Path((version, ns, res)): Path<(String, String, String)>,
    q: Query<HashMap<String, String>>,
    h: HeaderMap,
    e: Ext,
) -> Response {
    list(st, String::new(), version, Some(ns), res, q.0, h, e).await
}

async fn list_group(
    State(st): State<Arc<Inner>>,
    Path((group, version, res)): Path<(String, String, String)>,
    q: Query<HashMap<String, String>>,
    h: HeaderMap,
    e: Ext,
) -> Response {
    list(st, group, version, None, res, q.0, h, e).await
}

async fn list_group_ns(
    State(st): State<Arc<Inner>>,
    Path((group, version, ns, res)): Path<(String, String, String, String)>,
    q: Query<HashMap<String, String>>,
    h: HeaderMap,
    e: Ext,
) -> Response {
    list(st, group, version, Some(ns), res, q.0, h, e).await
}

/// An answer whose body fails half-way: the client sees the connection drop.
fn reset() -> Response {
    let body = futures::stream::iter(vec![
        Ok(axum::body::Bytes::from_static(
            b"{\"kind\": \"PodList\", \"items\": [",
        )),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by the fake server",
        )),
    ]);
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("content-length", "1048576")
        .body(axum::body::Body::from_stream(body))
        .expect("response")
}

/// The fault that strikes this request, if any.
async fn inject(
    st: &Inner,
    idx: usize,
    group: &str,
    res: &str,
    q: &HashMap<String, String>,
) -> Option<Response> {
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let start: usize = q
        .get("continue")
        .and_then(|c| c.strip_prefix("fake-continue-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let page = start / limit;
    let kind = {
        let mut hits = st.fault_hits.lock().expect("faults");
        let i = st.cluster.faults.iter().enumerate().position(|(i, f)| {
            f.group == group && f.resource == res && f.page == page && hits[i] < f.times
        })?;
        hits[i] += 1;
        st.cluster.faults[i].kind.clone()
    };
    Some(match kind {
        FaultKind::Reset => {
            set_status(st, idx, 0);
            reset()
        }
        FaultKind::NotJson => (
            StatusCode::OK,
            [("content-type", "text/html")],
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response(),
        FaultKind::Gone => {
            set_status(st, idx, 410);
            status(
                StatusCode::GONE,
                "Expired",
                "The provided continue parameter is too old to display a consistent list result."
                    .into(),
            )
        }
        FaultKind::Slow(d) => {
            tokio::time::sleep(d).await;
            return None;
        }
    })
}

#[allow(clippy::too_many_arguments)]
async fn list(
    st: Arc<Inner>,
    group: String,
    version: String,
    ns: Option<String>,
    res: String,
    q: HashMap<String, String>,
    h: HeaderMap,
    e: Ext,
) -> Response {
    let prefix = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    let path = match &ns {
        Some(n) => format!("{prefix}/namespaces/{n}/{res}"),
        None => format!("{prefix}/{res}"),
    };
    let mut query: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    query.sort();
    use std::sync::atomic::Ordering;
    if st.dead.load(Ordering::SeqCst) {
        return reset();
    }
    let idx = match admit(&st, &h, ext(&e), &path, &query.join("&")) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let n = st.lists.fetch_add(1, Ordering::SeqCst) + 1;
    if st.cluster.die_after_lists.is_some_and(|max| n > max) {
        st.dead.store(true, Ordering::SeqCst);
        set_status(&st, idx, 0);
        return reset();
    }
    if let Some(d) = st.cluster.list_delay {
        tokio::time::sleep(d).await;
    }
    if let Some(r) = inject(&st, idx, &group, &res, &q).await {
        return r;
    }
    let Some(r) = st
        .resources
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == res)
    else {
        set_status(&st, idx, 404);
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        );
    };
    if !r.verbs.contains(&"list") {
        set_status(&st, idx, 405);
        return status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({res})"),
        );
    }
    if st.cluster.forbidden.iter().any(|f| {
        f.group == group && f.resource == res && (f.namespace.is_none() || f.namespace == ns)
    }) {
        set_status(&st, idx, 403);
        let scope = match &ns {
            Some(n) => format!("in the namespace \"{n}\""),
            None => "at the cluster scope".into(),
        };
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "{res} is forbidden: User \"kubeward-scanner\" cannot list resource \"{res}\" in API group \"{group}\" {scope}"
            ),
        );
    }
    let all = st.objects.get(&(group.clone(), res.clone()));
    let items: Vec<&Value> = all
        .map(|v| {
            v.iter()
                .filter(|o| {
                    ns.as_deref().is_none_or(|n| {
                        o.pointer("/metadata/namespace").and_then(Value::as_str) == Some(n)
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let start: usize = match q.get("continue") {
        None => 0,
        Some(c) => match c
            .strip_prefix("fake-continue-")
            .and_then(|n| n.parse().ok())
        {
            Some(n) if n <= items.len() => n,
            _ => {
                set_status(&st, idx, 400);
                return status(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "invalid continue token".into(),
                );
            }
        },
    };
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(items.len());
    let cont = if end < items.len() {
        format!("fake-continue-{end}")
    } else {
        String::new()
    };
    let metadata_only = h
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=PartialObjectMetadataList"));
    let page: Vec<Value> = items[start..end]
        .iter()
        .map(|o| {
            if metadata_only {
                json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]})
            } else {
                // Typed lists carry no apiVersion/kind on their items.
                let mut o = (*o).clone();
                if let Some(m) = o.as_object_mut() {
                    m.remove("apiVersion");
                    m.remove("kind");
                }
                o
            }
        })
        .collect();
    let mut meta = json!({"resourceVersion": "12345"});
    if !cont.is_empty() {
        meta["continue"] = json!(cont);
        meta["remainingItemCount"] = json!(items.len() - end);
    }
    let (kind, api_version) = if metadata_only {
        (
            "PartialObjectMetadataList".to_string(),
            "meta.k8s.io/v1".to_string(),
        )
    } else {
        (
            format!("{}List", r.kind),
            if group.is_empty() {
                version.clone()
            } else {
                format!("{group}/{version}")
            },
        )
    };
    axum::Json(json!({"kind": kind, "apiVersion": api_version, "metadata": meta, "items": page}))
        .into_response()
}

/// Kinds the fake accepts server-side apply for: (group, plural, namespaced).
const APPLY_KINDS: &[(&str, &str, bool)] = &[
    ("wgpolicyk8s.io", "policyreports", true),
    ("wgpolicyk8s.io", "clusterpolicyreports", false),
];

async fn apply_cluster(
    State(st): State<Arc<Inner>>,
    Path((group, version, res, name)): Path<(String, String, String, String)>,
    q: Query<HashMap<String, String>>,
    h: HeaderMap,
    e: Ext,
    body: axum::body::Bytes,
) -> Response {
    apply(st, group, version, None, res, name, q.0, h, e, body)
}

async fn apply_ns(
    State(st): State<Arc<Inner>>,
    Path((group, version, ns, res, name)): Path<(String, String, String, String, String)>,
    q: Query<HashMap<String, String>>,
    h: HeaderMap,
    e: Ext,
    body: axum::body::Bytes,
) -> Response {
    apply(st, group, version, Some(ns), res, name, q.0, h, e, body)
}

/// Server-side apply as the API server checks it: the apply content type, a field manager,
/// a body naming the object of the URL; only for [`APPLY_KINDS`].
#[allow(clippy::too_many_arguments)]
fn apply(
    st: Arc<Inner>,
    group: String,
    version: String,
    ns: Option<String>,
    res: String,
    name: String,
    q: HashMap<String, String>,
    h: HeaderMap,
    e: Ext,
    body: axum::body::Bytes,
) -> Response {
    let path = match &ns {
        Some(n) => format!("/apis/{group}/{version}/namespaces/{n}/{res}/{name}"),
        None => format!("/apis/{group}/{version}/{res}/{name}"),
    };
    let mut query: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    query.sort();
    let idx = match admit(&st, &h, ext(&e), &path, &query.join("&")) {
        Ok(i) => i,
        Err(r) => return r,
    };
    if let Some(r) = st.log.lock().expect("log").get_mut(idx) {
        r.method = "PATCH".into();
    }
    let fail = |code: StatusCode, reason: &str, msg: String| {
        set_status(&st, idx, code.as_u16());
        status(code, reason, msg)
    };
    if !APPLY_KINDS
        .iter()
        .any(|(g, p, namespaced)| *g == group && *p == res && *namespaced == ns.is_some())
        || version != "v1alpha2"
    {
        return fail(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        );
    }
    let ct = h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct != "application/apply-patch+yaml" {
        return fail(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (got {ct})"
            ),
        );
    }
    if q.get("fieldManager").is_none_or(|m| m.is_empty()) {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch".into(),
        );
    }
    // JSON is YAML: clients send JSON.
    let Ok(obj) = serde_json::from_slice::<Value>(&body) else {
        return fail(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "error decoding the apply patch".into(),
        );
    };
    let body_ns = obj.pointer("/metadata/namespace").and_then(Value::as_str);
    if obj.pointer("/metadata/name").and_then(Value::as_str) != Some(name.as_str())
        || (ns.is_some() && body_ns.is_some() && body_ns != ns.as_deref())
    {
        return fail(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the name or namespace of the object does not match the URL".into(),
        );
    }
    st.applied
        .lock()
        .expect("applied")
        .insert(path, obj.clone());
    (StatusCode::OK, axum::Json(obj)).into_response()
}
