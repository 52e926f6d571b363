//! kubeward's cluster source: reads a live cluster through a kubeconfig (exec plugins, tokens,
//! client certificates) or in-cluster credentials, read-only, into the same
//! [`Inventory`](kubeward_core::Inventory) manifests go into, so every rule runs unchanged.
//!
//! - [`connect`]: a kube client for a context, with the scan's timeout.
//! - [`collect::collect`]: discovery (aggregated, falling back to legacy), then paginated lists
//!   of every listable resource, a bounded number at a time. Secrets are requested as
//!   `PartialObjectMetadata` only; a refused resource becomes a [`CoverageGap`] that rule
//!   KW-CP-001 reports as UNKNOWN.
//! - [`snapshot`]: the same inventory saved as zstd-compressed JSON and read back offline.
//! - [`kubeconfig`]: kubeconfig files located the way kubectl does, and their file facts.
//! - `fake` (feature `fake-server`): an in-process HTTPS API server for tests.

pub mod apply;
pub mod collect;
pub mod configz;
pub mod discovery;
mod exec;
pub mod json;
pub mod kubeconfig;
mod progress;
pub mod snapshot;
pub mod source;

#[cfg(feature = "fake-server")]
pub mod fake;

pub use collect::Collected;
pub use kubeward_core::inventory::{ClusterInfo, CoverageGap};

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use kubeward_core::input::Loaded;
use kubeward_core::inventory::{NewObject, Source, SourceKind};
use kubeward_core::tree::Node;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to read a cluster.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// The kubeconfig (default: `$KUBECONFIG`, then `~/.kube/config`, then in-cluster).
    pub kubeconfig: Option<PathBuf>,
    /// The context (default: the kubeconfig's current context).
    pub context: Option<String>,
    /// Namespaces to read namespaced resources from (empty: all). Cluster-scoped resources
    /// are always read.
    pub namespaces: Vec<String>,
    /// Deadline for the whole read (connect, discovery, every list).
    pub timeout: Duration,
    /// Lists running at once.
    pub concurrency: usize,
    /// Objects per page (`limit`).
    pub page_size: u32,
    /// Show a progress bar (only drawn when standard error is a terminal).
    pub progress: bool,
    /// Read each (sampled) node's kubelet configuration through `nodes/proxy/configz`.
    pub kubelet: Option<configz::KubeletOptions>,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            kubeconfig: None,
            context: None,
            namespaces: Vec::new(),
            timeout: Duration::from_secs(120),
            concurrency: 8,
            page_size: 500,
            progress: false,
            kubelet: None,
        }
    }
}

/// Why a cluster could not be read.
#[derive(Debug, Clone)]
pub enum ClusterError {
    /// No kubeconfig and no in-cluster credentials, or a kubeconfig that cannot be used.
    Config(String),
    /// The API server answered with an error status.
    Api {
        what: String,
        code: u16,
        message: String,
    },
    /// Could not reach the server, TLS failed, and similar.
    Connect(String),
    Timeout {
        after: Duration,
        pending: Vec<String>,
    },
    Other(String),
}

impl ClusterError {
    pub fn from_kube(what: &str, e: kube::Error) -> ClusterError {
        match e {
            kube::Error::Api(s) => ClusterError::Api {
                what: what.to_string(),
                code: s.code,
                message: s.message.clone(),
            },
            other => ClusterError::Connect(format!("{what}: {}", error_chain(&other))),
        }
    }
}

/// An error and its causes, `: `-joined.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

impl std::fmt::Display for ClusterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClusterError::Config(m) | ClusterError::Connect(m) | ClusterError::Other(m) => {
                f.write_str(m)
            }
            ClusterError::Api {
                what,
                code: 401,
                message,
            } => write!(
                f,
                "{what}: the API server refused the credentials (401 Unauthorized: {message}); \
                 refresh them (e.g. log in again) and retry"
            ),
            ClusterError::Api {
                what,
                code,
                message,
            } => write!(f, "{what}: HTTP {code}: {message}"),
            ClusterError::Timeout { after, pending } => {
                write!(f, "timed out after {}s", after.as_secs_f64())?;
                if !pending.is_empty() {
                    write!(f, " while reading {}", pending.join(", "))?;
                }
                write!(
                    f,
                    "; raise --timeout or restrict the scan with --cluster-namespace"
                )
            }
        }
    }
}

impl std::error::Error for ClusterError {}

/// A client for one context.
pub struct Connected {
    pub client: Client,
    pub context: String,
    pub server: String,
}

/// Reads the kubeconfig the way kubectl does: an explicit file, else `$KUBECONFIG` (several
/// files merged), else `~/.kube/config`. `Ok(None)` when there is none.
pub fn read_kubeconfig(path: Option<&Path>) -> Result<Option<Kubeconfig>, ClusterError> {
    let cfg = |e: kube::config::KubeconfigError| ClusterError::Config(error_chain(&e));
    if let Some(p) = path {
        return Kubeconfig::read_from(p)
            .map(Some)
            .map_err(|e| ClusterError::Config(format!("{}: {}", p.display(), error_chain(&e))));
    }
    if let Some(k) = Kubeconfig::from_env().map_err(cfg)? {
        return Ok(Some(k));
    }
    match kubeconfig::default_path() {
        Some(p) if p.is_file() => Kubeconfig::read_from(&p)
            .map(Some)
            .map_err(|e| ClusterError::Config(format!("{}: {}", p.display(), error_chain(&e)))),
        _ => Ok(None),
    }
}

/// The context names of the kubeconfig, in file order.
pub fn contexts(path: Option<&Path>) -> Result<Vec<String>, ClusterError> {
    let kc =
        read_kubeconfig(path)?.ok_or_else(|| ClusterError::Config("no kubeconfig found".into()))?;
    Ok(kc.contexts.iter().map(|c| c.name.clone()).collect())
}

/// Builds a client for `opts.context` (or the current context; or in-cluster credentials
/// when there is no kubeconfig at all).
pub async fn connect(opts: &ClusterOptions) -> Result<Connected, ClusterError> {
    // One crypto provider for the whole process: ring (no aws-lc-rs in the build).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (mut config, context) = match read_kubeconfig(opts.kubeconfig.as_deref())? {
        Some(mut kc) => {
            let context = opts
                .context
                .clone()
                .or_else(|| kc.current_context.clone())
                .ok_or_else(|| {
                    ClusterError::Config(
                        "the kubeconfig has no current-context; pass --context".into(),
                    )
                })?;
            if !kc.contexts.iter().any(|c| c.name == context) {
                let known: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
                return Err(ClusterError::Config(format!(
                    "no context `{context}` in the kubeconfig (known: {})",
                    known.join(", ")
                )));
            }
            // An exec credential plugin runs here, once, under the deadline; the client gets
            // the credential it printed and never runs the plugin itself.
            let dir = opts.kubeconfig.as_deref().and_then(Path::parent);
            exec::resolve(&mut kc, &context, opts.timeout, dir)?;
            let o = KubeConfigOptions {
                context: Some(context.clone()),
                ..Default::default()
            };
            let config = Config::from_custom_kubeconfig(kc, &o).await.map_err(|e| {
                ClusterError::Config(format!("context `{context}`: {}", error_chain(&e)))
            })?;
            (config, context)
        }
        None => {
            let config = Config::incluster().map_err(|e| {
                ClusterError::Config(format!(
                    "no kubeconfig ($KUBECONFIG, ~/.kube/config) and not running in a pod: {}",
                    error_chain(&e)
                ))
            })?;
            (config, "in-cluster".to_string())
        }
    };
    config.connect_timeout = Some(opts.timeout.min(Duration::from_secs(30)));
    config.read_timeout = Some(opts.timeout);
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config)
        .map_err(|e| ClusterError::Connect(format!("context `{context}`: {}", error_chain(&e))))?;
    Ok(Connected {
        client,
        context,
        server,
    })
}

/// Connects and lists, in a runtime of its own (for synchronous callers such as the CLI).
pub fn read_cluster(opts: &ClusterOptions) -> Result<Collected, ClusterError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ClusterError::Other(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(read_cluster_async(opts))
}

/// Connects and lists (inside an existing Tokio runtime).
pub async fn read_cluster_async(opts: &ClusterOptions) -> Result<Collected, ClusterError> {
    // One deadline for everything: connecting (exec plugins included), discovery, lists.
    let started = tokio::time::Instant::now();
    let c = tokio::time::timeout(opts.timeout, connect(opts))
        .await
        .map_err(|_| ClusterError::Timeout {
            after: opts.timeout,
            pending: vec!["connecting".into()],
        })??;
    let rest = ClusterOptions {
        timeout: opts.timeout.saturating_sub(started.elapsed()),
        ..opts.clone()
    };
    let mut collected = collect::collect(&c.client, &c.context, Some(c.server), &rest)
        .await
        .map_err(|e| match e {
            ClusterError::Timeout { pending, .. } => ClusterError::Timeout {
                after: opts.timeout,
                pending,
            },
            other => other,
        })?;
    if let Some(k) = &opts.kubelet {
        let left = opts.timeout.saturating_sub(started.elapsed());
        let kubelets = tokio::time::timeout(left, configz::read(&c.client, &collected.objects, k))
            .await
            .map_err(|_| ClusterError::Timeout {
                after: opts.timeout,
                pending: vec!["kubelet configurations (nodes/proxy/configz)".into()],
            })??;
        collected.objects.extend(kubelets);
    }
    Ok(collected)
}

/// The name a cluster source shows in reports.
pub fn source_name(context: &str) -> String {
    format!("cluster:{context}")
}

/// Adds what was read from a cluster (or a snapshot) to `loaded` as one source.
pub fn add_to(loaded: &mut Loaded, info: ClusterInfo, objects: Vec<Node>, snapshot: Option<&Path>) {
    let context = info.context.clone();
    let source = match snapshot {
        Some(p) => Source {
            name: p.display().to_string(),
            path: Some(p.to_path_buf()),
            kind: SourceKind::Snapshot {
                context: context.clone(),
            },
            text: None,
        },
        None => Source {
            name: source_name(&context),
            path: None,
            kind: SourceKind::Cluster {
                context: context.clone(),
            },
            text: None,
        },
    };
    let sid = loaded.inventory.add_source(source);
    let mut new = Vec::with_capacity(objects.len());
    for root in objects {
        let s = |p: &[&str]| {
            root.path(p)
                .and_then(Node::as_str)
                .map(compact_str::CompactString::from)
        };
        let (Some(api_version), Some(kind)) = (s(&["apiVersion"]), s(&["kind"])) else {
            loaded.diagnostics.push(kubeward_core::input::Diagnostic {
                file: source_name(&context),
                line: 0,
                column: 0,
                level: kubeward_core::input::Level::Warning,
                message: "an object without apiVersion/kind was skipped".into(),
            });
            continue;
        };
        let name = s(&["metadata", "name"]).unwrap_or_else(|| "(unnamed)".into());
        let namespace = s(&["metadata", "namespace"]);
        new.push(NewObject {
            source: sid,
            doc: 0,
            base_pointer: String::new(),
            api_version,
            kind,
            name,
            namespace,
            root,
        });
    }
    loaded.stats.documents += new.len();
    loaded.inventory.add_objects(new, "default");
    loaded.inventory.set_cluster_info(sid, info);
}
